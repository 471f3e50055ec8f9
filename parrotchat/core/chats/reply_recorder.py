"""Save a streaming reply while it grows, without a database write per token.

The reply lives in memory and goes to the store at most once per interval (one
second by default), from inside `append` once the interval has passed since the
last write. So a killed app loses at most the last interval plus the gap to the
next token. A caller that can sit idle mid-reply (a slow model between tokens)
calls `flush_if_due()` from a timer to keep the bound at one interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parrotchat.core.chats.store import ChatStore


class ReplyRecorder:
    def __init__(
        self,
        store: ChatStore,
        message_id: int,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._message_id = message_id
        self._interval = interval_s
        self._clock = clock
        self._parts: list[str] = []
        self._dirty = False
        self._closed = False
        # The message row was written just now (empty), so the first interval
        # starts here rather than with the first token.
        self._last_write = clock()

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def message_id(self) -> int:
        return self._message_id

    def append(self, piece: str) -> bool:
        """Add text; writes the reply so far when the interval has passed (True if it wrote).

        A StorageError from that write propagates; the text stays in memory and
        the next write (or finish) tries again.
        """
        if self._closed:
            raise RuntimeError(f"reply {self._message_id} is already finished")
        if not piece:
            return False
        self._parts.append(piece)
        self._dirty = True
        return self.flush_if_due()

    def flush_if_due(self) -> bool:
        """Write unsaved text if the interval has passed; True if it wrote."""
        if not self._dirty or self._clock() - self._last_write < self._interval:
            return False
        return self.flush()

    def flush(self) -> bool:
        """Write unsaved text now (a retry after a failed write); True if it wrote."""
        if not self._dirty or self._closed:
            return False
        # Stamp before writing: a failing disk is then retried once per interval,
        # not once per token.
        self._last_write = self._clock()
        self._store.update_message(self._message_id, content=self.text)
        self._dirty = False
        return True

    def finish(self, stats: dict[str, Any] | None = None, status: str = "complete") -> None:
        """The reply is done: save the whole text, its stats and its status."""
        self._close(status, dict(stats or {}))

    def fail(self, reason: str, status: str = "error", stats: dict[str, Any] | None = None) -> None:
        """Keep the partial text, marked 'error' (or 'interrupted'), with the reason in stats."""
        if status not in ("error", "interrupted"):
            raise ValueError(f"a failed reply is 'error' or 'interrupted', not {status!r}")
        self._close(status, {**(stats or {}), "reason": reason})

    def _close(self, status: str, stats: dict[str, Any]) -> None:
        if self._closed:
            raise RuntimeError(f"reply {self._message_id} is already finished")
        self._store.update_message(self._message_id, content=self.text, stats=stats, status=status)
        self._closed = True
        self._dirty = False
