"""Cutting a document's passages into chunks of about a thousand characters.

A chunk is what a search finds and what goes into a prompt as a source: long enough
to hold an answer with its context, short enough that several fit a small model's
context. Chunks end at a paragraph break where one falls in the last third of the
allowed length, else at a sentence end, else at a space, else (Korean or Chinese
text written without spaces, a table's long line) at the length itself. Consecutive
chunks overlap by about OVERLAP characters, starting at a sentence where one is near,
so an answer cut by a boundary is whole in one of them. A chunk never spans two pages
or two sections: it carries one page and one section for its citation.

Offsets are in the file's extracted text: its passages joined by a blank line.
Passages are read one at a time and the buffer holds at most a few chunks, so a
10,000-page PDF is chunked in constant memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from parrotchat.core.docs.formats import Passage

CHUNK_MIN = 800
CHUNK_MAX = 1200
OVERLAP = 150

PASSAGE_SEPARATOR = "\n\n"

_PARAGRAPH = re.compile(r"\n\s*\n\s*")
# A sentence end (Latin, CJK full-width, closing quotes or brackets after it) and the
# space after it, or a line break.
_SENTENCE = re.compile(r"(?<=[.!?。！？…])[\"'”’)\]」』]*\s+|\n\s*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None
    section: str | None
    start: int
    end: int


def chunk_passages(passages: Iterable[Passage]) -> Iterator[Chunk]:
    chunker = Chunker()
    for passage in passages:
        yield from chunker.feed(passage)
    yield from chunker.finish()


class Chunker:
    """Passages in (`feed`), chunks out; `finish` for the last ones."""

    def __init__(self) -> None:
        self.chars = 0  # the extracted text's length so far
        self.passages = 0
        self._buffer = ""
        self._buffer_start = 0  # offset of the buffer in the extracted text
        self._place: tuple[int | None, str | None] | None = None

    def feed(self, passage: Passage) -> Iterator[Chunk]:
        place = (passage.page, passage.section)
        offset = self.chars + (len(PASSAGE_SEPARATOR) if self.passages else 0)
        self.chars = offset + len(passage.text)
        self.passages += 1
        if place != self._place:
            yield from self.finish()
            self._place = place
        if not self._buffer:
            self._buffer, self._buffer_start = passage.text, offset
        else:
            # Passages of one place are contiguous in the extracted text.
            self._buffer += PASSAGE_SEPARATOR + passage.text
        while len(self._buffer) > 2 * CHUNK_MAX:
            yield from self._cut()

    def finish(self) -> Iterator[Chunk]:
        """The chunks still buffered (the end of a page, a section or the file)."""
        while len(self._buffer) > CHUNK_MAX:
            yield from self._cut()
        chunk = self._make(0, len(self._buffer))
        self._buffer = ""
        if chunk is not None:
            yield chunk

    def _cut(self) -> Iterator[Chunk]:
        """One chunk off the buffer's front (none where that part was only spaces)."""
        text = self._buffer
        end = split_point(text, CHUNK_MIN, CHUNK_MAX)
        chunk = self._make(0, end)
        following = max(1, _overlap_start(text, end))
        self._buffer = text[following:]
        self._buffer_start += following
        if chunk is not None:
            yield chunk

    def _make(self, start: int, end: int) -> Chunk | None:
        raw = self._buffer[start:end]
        stripped = raw.strip()
        if not stripped:
            return None
        lead = len(raw) - len(raw.lstrip())
        begin = self._buffer_start + start + lead
        page, section = self._place if self._place is not None else (None, None)
        return Chunk(stripped, page, section, begin, begin + len(stripped))


def split_point(text: str, low: int, high: int) -> int:
    """Where to end a chunk of `text` between `low` and `high` characters: after the
    last paragraph break, else sentence end, else space there; else at `high`."""
    if len(text) <= high:
        return len(text)
    for pattern in (_PARAGRAPH, _SENTENCE, _SPACE):
        last = None
        for match in pattern.finditer(text, low, high):
            last = match
        if last is not None:
            return last.end()
    return high


def _overlap_start(text: str, end: int) -> int:
    """Where the next chunk starts: a sentence or word start about OVERLAP before `end`."""
    low, high = max(0, end - 2 * OVERLAP), max(0, end - OVERLAP // 2)
    for pattern in (_SENTENCE, _SPACE):
        first = None
        for match in pattern.finditer(text, low, high):
            if match.end() >= end - OVERLAP:
                first = match
                break
            first = match
        if first is not None and first.end() < end:
            return first.end()
    return max(0, end - OVERLAP)
