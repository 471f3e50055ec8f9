"""HWP 5 body records: the record stream of a BodyText/SectionN, and the text of a paragraph.

Written by hand because no maintained Python library parses HWP 5: pyhwp (hwp5), the one
that did, has had no release since 2020 and pulls in a converter toolchain (lxml, XSLT,
its own CLI) for what is a small job here. The layout follows Hancom's published
"한글 문서 파일 형식 5.0" specification:

- A section stream is a sequence of records (deflate-compressed, without zlib header,
  when the FileHeader says so). Each starts with a little-endian DWORD: tag id (bits
  0-9), level (10-19), payload size (20-31; 0xFFF means a DWORD with the real size follows).
- HWPTAG_PARA_TEXT (HWPTAG_BEGIN + 51 = 67) holds a paragraph's text as UTF-16LE, with
  control characters 0-31 inline: "char" controls (0, 10, 13, 24-31) take one code unit;
  "inline" (4-9, 19, 20) and "extended" controls (1-3, 11, 12, 14-18, 21-23: tables,
  pictures, footnotes...) take eight, their parameters in the seven after the code.
  The text of a table's cells comes as PARA_TEXT records of their own, in order.
- A table is a CTRL_HEADER with the id "tbl ", then (one level deeper) its caption's
  LIST_HEADER and paragraphs if any, the TABLE record, and per cell a LIST_HEADER
  whose cell properties give the cell's row (UINT16 at byte 10), then its paragraphs.
  A record at the CTRL_HEADER's level or above ends the table.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

HWPTAG_PARA_TEXT = 67
HWPTAG_CTRL_HEADER = 71
HWPTAG_LIST_HEADER = 72
HWPTAG_TABLE = 77
_TABLE_ID = b" lbt"  # the control id "tbl ", stored as a little-endian DWORD

_ONE_UNIT = {0: "", 10: "\n", 13: "", 24: "-", 30: " ", 31: " "} | {
    code: "" for code in range(25, 30)
}
_TAB = 9
_INFLATE_STEP = 1024 * 1024


class RecordError(Exception):
    """The record stream is cut short or not compressed as the FileHeader says."""


class BombError(RecordError):
    """The compressed stream inflates past the ceiling."""


def para_text(payload: bytes) -> str:
    """The visible text of one PARA_TEXT record, controls dropped (tab and line break kept)."""
    units = array("H")
    units.frombytes(payload[: len(payload) // 2 * 2])
    if sys.byteorder == "big":
        units.byteswap()
    out: list[str] = []
    start = index = 0
    count = len(units)
    while index < count:
        code = units[index]
        if code >= 32:
            index += 1
            continue
        out.append(payload[start * 2 : index * 2].decode("utf-16le", errors="replace"))
        if code in _ONE_UNIT:
            out.append(_ONE_UNIT[code])
            index += 1
        else:
            if code == _TAB:
                out.append("\t")
            index += 8
        start = index
    out.append(payload[start * 2 : count * 2].decode("utf-16le", errors="replace"))
    return "".join(out)


def inflate(chunks: Iterable[bytes], ceiling: int) -> Iterator[bytes]:
    """Raw-deflate chunks inflated in bounded steps; RecordError past `ceiling` bytes."""
    inflater = zlib.decompressobj(-15)
    total = 0
    for chunk in chunks:
        data = chunk
        while data:
            try:
                piece = inflater.decompress(data, _INFLATE_STEP)
            except zlib.error:
                raise RecordError("is not valid compressed data") from None
            total += len(piece)
            if total > ceiling:
                raise BombError(f"expands past {ceiling // (1024 * 1024)} MiB")
            if piece:
                yield piece
            data = inflater.unconsumed_tail
            if inflater.eof:
                return
    if not inflater.eof:
        raise RecordError("is cut short (its compressed data ends early)")


def records(data: Iterable[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """(tag, level, payload) of each record in a section's (inflated) record stream."""
    buffer = bytearray()
    for chunk in data:
        buffer += chunk
        offset = 0
        while len(buffer) - offset >= 4:
            (header,) = struct.unpack_from("<I", buffer, offset)
            tag, level, size, head = header & 0x3FF, (header >> 10) & 0x3FF, header >> 20, 4
            if size == 0xFFF:
                if len(buffer) - offset < 8:
                    break
                (size,) = struct.unpack_from("<I", buffer, offset + 4)
                head = 8
            if len(buffer) - offset < head + size:
                break
            yield tag, level, bytes(buffer[offset + head : offset + head + size])
            offset += head + size
        del buffer[:offset]
    if buffer:
        raise RecordError("is cut short (its last record is incomplete)")


@dataclass
class _Table:
    level: int  # the level of its CTRL_HEADER: records deeper than this belong to it
    started: bool = False  # its TABLE record seen: list headers after it are cells
    rows: dict[int, list[list[str]]] = field(default_factory=dict)
    cell: list[str] | None = None

    def lines(self) -> list[str]:
        return [
            " | ".join(" ".join(cell) for cell in cells)
            for _, cells in sorted(self.rows.items())
            if any(cells)
        ]


def paragraphs(data: Iterable[bytes]) -> Iterator[str]:
    """The text of each paragraph in reading order; a table comes out a row per line,
    cells joined by " | " (a caption, which precedes the TABLE record, as a paragraph)."""
    tables: list[_Table] = []
    out: list[str] = []

    def emit(text: str) -> None:
        if tables and tables[-1].cell is not None:
            tables[-1].cell.append(" ".join(text.split()))
        else:
            out.append(text)

    def close(level: int) -> None:
        while tables and level <= tables[-1].level:
            for line in tables.pop().lines():
                emit(line)

    for tag, level, payload in records(data):
        close(level)
        top = tables[-1] if tables else None
        if tag == HWPTAG_CTRL_HEADER and payload[:4] == _TABLE_ID:
            tables.append(_Table(level))
        elif tag == HWPTAG_TABLE and top and level == top.level + 1:
            top.started = True
        elif tag == HWPTAG_LIST_HEADER and top and top.started and level == top.level + 1:
            row = struct.unpack_from("<H", payload, 10)[0] if len(payload) >= 12 else 0
            top.cell = []
            top.rows.setdefault(row, []).append(top.cell)
        elif tag == HWPTAG_PARA_TEXT and (text := para_text(payload).strip()):
            emit(text)
        yield from out
        out.clear()
    close(0)
    yield from out
