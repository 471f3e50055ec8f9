"""Plain text and Markdown: decoding the bytes, and splitting the text into passages.

Korean users' older files are often CP949 (Windows' "ANSI" code page for Korean, a
superset of EUC-KR), so decoding tries UTF-8 (with or without a BOM) first and CP949
second; UTF-16 is recognised by its byte-order mark (Notepad's "Unicode"). Bytes that
are none of these, or that carry NUL bytes, are not text and are refused.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from parrotchat.core.docs.formats.limits import Limits, checked_size
from parrotchat.core.docs.formats.passage import DocumentError, Passage

# Passages are bounded so a single huge paragraph-less file still streams to the indexer
# in pieces; the indexer chunks them further.
PASSAGE_CHARS = 4000

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def decode_text(path: Path, data: bytes, *, fallback: str | None = None) -> str:
    """`data` as text: UTF-8 (BOM allowed), then `fallback` (a declared charset), then CP949."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Notepad's "Unicode": UTF-16 with a byte-order mark.
        try:
            return _lines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise DocumentError(path, "is not valid UTF-16 text") from None
    if b"\x00" in data[:65536]:
        raise DocumentError(path, "is not text (it contains binary data)")
    encodings = ["utf-8-sig"]
    if fallback:
        encodings.append(fallback)
    encodings.append("cp949")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        sample = text[:65536]
        if len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
            raise DocumentError(path, "is not text (it contains binary data)")
        return _lines(text)
    raise DocumentError(path, "is not text in UTF-8 or CP949/EUC-KR (cannot decode it)")


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text_file(path: Path, limits: Limits) -> str:
    checked_size(path, limits.text_bytes)
    return decode_text(path, path.read_bytes())


def paragraphs_to_passages(
    paragraphs: Iterable[str], *, page: int | None = None, section: str | None = None
) -> Iterator[Passage]:
    """Joins paragraphs (blank line between) into passages of about PASSAGE_CHARS."""
    buffer: list[str] = []
    size = 0
    for paragraph in paragraphs:
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        while len(paragraph) > PASSAGE_CHARS:
            if buffer:
                yield Passage("\n\n".join(buffer), page, section)
                buffer, size = [], 0
            cut = _cut(paragraph)
            yield Passage(paragraph[:cut].rstrip(), page, section)
            paragraph = paragraph[cut:].lstrip()
        if buffer and size + len(paragraph) > PASSAGE_CHARS:
            yield Passage("\n\n".join(buffer), page, section)
            buffer, size = [], 0
        buffer.append(paragraph)
        size += len(paragraph) + 2
    if buffer:
        yield Passage("\n\n".join(buffer), page, section)


def _cut(paragraph: str) -> int:
    """Where to split an over-long paragraph: the last space in the window's second half."""
    space = paragraph.rfind(" ", PASSAGE_CHARS // 2, PASSAGE_CHARS)
    return space if space > 0 else PASSAGE_CHARS


def iter_txt(path: Path, limits: Limits) -> Iterator[Passage]:
    yield from paragraphs_to_passages(read_text_file(path, limits).split("\n\n"))


def iter_markdown(path: Path, limits: Limits) -> Iterator[Passage]:
    """Markdown as text, each passage labelled with the ATX heading (# ...) above it."""
    section: str | None = None
    paragraphs: list[str] = []
    in_fence = False
    for line in read_text_file(path, limits).split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        heading = None if in_fence else _MD_HEADING.match(line)
        if heading:
            yield from paragraphs_to_passages(paragraphs, section=section)
            # The heading is text too: "예산" should find the budget section.
            section = heading.group(2).strip()
            paragraphs = [section, ""]
        elif not line.strip() and not in_fence:
            paragraphs.append("")
        elif paragraphs and paragraphs[-1]:
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    yield from paragraphs_to_passages(paragraphs, section=section)
