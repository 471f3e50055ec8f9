"""A streaming reply cut into prose and fenced code as it arrives. Plain Python, no Qt.

A finished message is cut by markdown_blocks.split_page. While a reply streams, each
piece goes through `StreamSplitter.feed`, which says where its text goes: onto the
prose or the code block shown last, or into a code block it opens or closes. So code
shows as code while it is written, never as raw ``` until the end.

It costs O(len(piece)): a line is held back only while it may still turn out to be
a fence ("``" so far, or "```py" until its line ends), and only up to HOLD_CHARS.
Blank lines are passed on when more of the same block follows, so that, as with
split_page, prose neither starts nor ends with one and code does not end with one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parrotchat.gui.chat.markdown_blocks import FENCE

HOLD_CHARS = 200  # a "fence" line longer than this is shown as it comes: it is text

_MAY_OPEN = re.compile(r" {0,3}(?:`{0,2}|~{0,2}|`{3,}.*|~{3,}.*)")


@dataclass(frozen=True)
class Prose:
    """Text to add to the prose shown last (a new prose view if a code block is last)."""

    text: str


@dataclass(frozen=True)
class Code:
    """Text to add to the open code block."""

    text: str


@dataclass(frozen=True)
class OpenCode:
    language: str


@dataclass(frozen=True)
class CloseCode:
    pass


Step = Prose | Code | OpenCode | CloseCode


class StreamSplitter:
    def __init__(self) -> None:
        self._fence: str | None = None  # the open code block's fence, None in prose
        self._held = ""  # the start of a line that may be a fence
        self._line_shown = False  # part of the current line was passed on already
        self._newlines = 0  # line ends not passed on yet
        self._prose_started = False  # the current prose has text on screen
        self.blocks = 0  # blocks begun so far, prose and code

    @property
    def in_code(self) -> bool:
        return self._fence is not None

    def feed(self, text: str) -> list[Step]:
        return self.feed_some(text)[0]

    def feed_some(self, text: str, max_blocks: int | None = None) -> tuple[list[Step], int]:
        """`feed`, stopping at the end of the line where `max_blocks` new blocks (prose
        or code) have begun; returns the steps and how much of `text` they took."""
        steps: list[Step] = []
        parts = text.split("\n")
        taken = 0
        stop = self.blocks + max_blocks if max_blocks is not None else None
        for i, part in enumerate(parts):
            self._take(part, steps)
            taken += len(part)
            if i < len(parts) - 1:
                self._end_line(steps)
                taken += 1
                if stop is not None and self.blocks >= stop:
                    break
        return steps, taken

    def flush(self) -> list[Step]:
        """The reply ended: what was held back, as it is."""
        steps: list[Step] = []
        if self._held:
            self._show(self._held, steps)
            self._held = ""
        return steps

    def _take(self, part: str, steps: list[Step]) -> None:
        if not part:
            return
        if self._line_shown:
            self._show(part, steps)
            return
        self._held += part
        if len(self._held) <= HOLD_CHARS and self._may_be_fence(self._held):
            return
        self._line_shown = True
        self._show(self._held, steps)
        self._held = ""

    def _may_be_fence(self, start: str) -> bool:
        if self._fence is None:
            return _MAY_OPEN.fullmatch(start) is not None
        return not start.strip().strip(self._fence[0])

    def _end_line(self, steps: list[Step]) -> None:
        line, self._held = self._held, ""
        shown, self._line_shown = self._line_shown, False
        if not shown:
            if self._fence is None:
                match = FENCE.match(line)
                if match is not None:
                    self._fence = match.group(2)
                    self._newlines = 0
                    self.blocks += 1
                    steps.append(OpenCode(match.group(3)))
                    return
            else:
                stripped = line.strip()
                fence = self._fence
                if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                    self._fence = None
                    self._newlines = 0
                    self._prose_started = False
                    steps.append(CloseCode())
                    return
            if line:
                self._show(line, steps)
        self._newlines += 1

    def _show(self, text: str, steps: list[Step]) -> None:
        if self._fence is not None:
            steps.append(Code("\n" * self._newlines + text))
        else:
            lead = "\n" * self._newlines if self._prose_started else ""
            steps.append(Prose(lead + text))
            self.blocks += not self._prose_started
            self._prose_started = True
        self._newlines = 0
