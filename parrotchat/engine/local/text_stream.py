"""Turn a stream of token bytes into text, O(1) per token.

llama-cpp-python's streaming completion re-detokenizes the whole reply on every
token; here each token's bytes go through an incremental UTF-8 decoder (a Korean
syllable is often split across two or three byte-level tokens) and a small
hold-back buffer that keeps back text which could still turn into a stop string.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence


class TextStream:
    """Feed token bytes in, get printable text out; stop strings are cut, not shown."""

    def __init__(self, stop: Sequence[str] = ()) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = tuple(s for s in stop if s)
        self._hold = ""
        self._longest_stop = max((len(s) for s in self._stop), default=0)
        self.stopped = False

    def feed(self, data: bytes) -> str:
        """Return the text that is now safe to show; sets `stopped` on a stop string."""
        if self.stopped:
            return ""
        text = self._decoder.decode(data)
        if not self._stop:
            return text
        self._hold += text
        for s in self._stop:
            at = self._hold.find(s)
            if at != -1:
                self.stopped = True
                out, self._hold = self._hold[:at], ""
                return out
        # Keep back only the longest tail that is still a prefix of some stop string.
        keep = 0
        for n in range(min(len(self._hold), self._longest_stop - 1), 0, -1):
            tail = self._hold[-n:]
            if any(s.startswith(tail) for s in self._stop):
                keep = n
                break
        out = self._hold[: len(self._hold) - keep]
        self._hold = self._hold[len(self._hold) - keep :]
        return out

    def flush(self) -> str:
        """Whatever is left when the reply ends for another reason than a stop string.

        A reply cut by its length limit can end inside a character (a Korean syllable is
        two or three tokens): those bytes are not text yet and are left out, rather than
        shown as U+FFFD at the end of the reply.
        """
        if self.stopped:
            return ""
        out = self._hold
        self._decoder.reset()
        self._hold = ""
        return out
