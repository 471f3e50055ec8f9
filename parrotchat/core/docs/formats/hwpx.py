"""Hangul .hwpx (OWPML, KS X 6101): zipped XML, one Contents/sectionN.xml per section.

No maintained Python library reads HWPX, and the layout is plain: paragraphs are
`<hp:p>`, their text is in `<hp:t>` (with `<hp:tab/>` and `<hp:lineBreak/>` inside),
tables nest further `<hp:p>` in their cells. So the sections are streamed through the
stdlib's expat parser straight from the guarded zip (see safe_zip), a chunk at a time.

Why expat with the DOCTYPE refused rather than defusedxml: OWPML sections never carry a
DTD, and without a DOCTYPE there is nowhere to declare an entity, so refusing any
DOCTYPE removes entity expansion (billion laughs) and external entities (reading local
files) entirely, without a runtime dependency for one call. ElementTree would also build
the whole tree in memory; expat's callbacks keep one paragraph at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from parrotchat.core.docs.formats.limits import Limits
from parrotchat.core.docs.formats.passage import DocumentError, Passage
from parrotchat.core.docs.formats.safe_zip import GuardedZip
from parrotchat.core.docs.formats.text import paragraphs_to_passages

_SECTION = re.compile(r"^Contents/section(\d+)\.xml$")
_INLINE = {"tab": "\t", "lineBreak": "\n", "fwSpace": " ", "nbSpace": " "}


class _NoDtd(Exception):
    pass


class _SectionParser:
    """Collects the paragraphs of one section as expat reports them.

    A table comes out one line per row, cells joined by " | " (as .docx and .html
    tables do), so a row's label and value stay together in one chunk.
    """

    def __init__(self) -> None:
        self.done: list[str] = []
        # Each <p> being read, with the number of table cells open around it (tables put
        # paragraphs inside paragraphs).
        self._open: list[tuple[list[str], int]] = []
        self._cells: list[list[str]] = []
        self._rows: list[list[str]] = []
        self._in_text = 0
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        self._parser = parser

    def feed(self, data: bytes, final: bool = False) -> None:
        self._parser.Parse(data, final)

    def _refuse(self, *_: object) -> None:
        raise _NoDtd

    def _start(self, name: str, _attributes: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "p":
            if self._open:
                # What the enclosing paragraph said before its table is a paragraph of its own.
                self._flush(*self._open[-1])
            self._open.append(([], len(self._cells)))
        elif local == "t":
            self._in_text += 1
        elif local == "tr":
            self._rows.append([])
        elif local == "tc":
            self._cells.append([])
        elif self._in_text and self._open and local in _INLINE:
            self._open[-1][0].append(_INLINE[local])

    def _end(self, name: str) -> None:
        local = name.rpartition(" ")[2]
        if local == "p" and self._open:
            self._flush(*self._open.pop())
        elif local == "t" and self._in_text:
            self._in_text -= 1
        elif local == "tc" and self._cells:
            cell = " ".join(self._cells.pop())
            if self._rows:
                self._rows[-1].append(cell)
        elif local == "tr" and self._rows:
            row = self._rows.pop()
            if any(row):
                self._emit(" | ".join(row), len(self._cells))

    def _text(self, data: str) -> None:
        if self._in_text and self._open:
            self._open[-1][0].append(data)

    def _flush(self, buffer: list[str], depth: int) -> None:
        text = "".join(buffer).strip()
        buffer.clear()
        if text:
            self._emit(text, depth)

    def _emit(self, text: str, depth: int) -> None:
        if depth and len(self._cells) >= depth:
            self._cells[depth - 1].append(" ".join(text.split()))
        else:
            self.done.append(text)


def _sections(archive: GuardedZip) -> list[str]:
    found = [(int(m.group(1)), name) for name in archive.names() if (m := _SECTION.match(name))]
    return [name for _, name in sorted(found)]


def _encrypted(archive: GuardedZip) -> bool:
    if "META-INF/manifest.xml" not in archive.names():
        return False
    return b"encryption-data" in archive.read("META-INF/manifest.xml")


def _paragraphs(path: Path, archive: GuardedZip, name: str) -> Iterator[str]:
    parser = _SectionParser()
    try:
        for chunk in archive.chunks(name):
            parser.feed(chunk)
            yield from parser.done
            parser.done.clear()
        parser.feed(b"", final=True)
    except _NoDtd:
        raise DocumentError(path, f"is refused ({name} declares a DTD or entities)") from None
    except expat.ExpatError as exc:
        raise DocumentError(path, f"is damaged ({name}: {exc})") from None
    yield from parser.done


def iter_hwpx(path: Path, limits: Limits) -> Iterator[Passage]:
    with GuardedZip(path, limits) as archive:
        sections = _sections(archive)
        if not sections:
            raise DocumentError(path, "is not an HWPX document (Contents/section0.xml is missing)")
        if _encrypted(archive):
            raise DocumentError(path, "is encrypted (password-protected): cannot be read")
        for number, name in enumerate(sections, start=1):
            yield from paragraphs_to_passages(
                _paragraphs(path, archive, name), section=f"Section {number}"
            )
