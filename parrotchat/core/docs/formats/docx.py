"""Word .docx through python-docx: paragraphs and tables in reading order, headings as sections.

The archive passes `GuardedZip`'s limits before python-docx opens it (see safe_zip);
python-docx parses its XML with lxml with entity resolution off, so the XML inside
cannot pull in files or expand entities either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from parrotchat.core.docs.formats.limits import Limits
from parrotchat.core.docs.formats.passage import DocumentError, Passage
from parrotchat.core.docs.formats.safe_zip import GuardedZip
from parrotchat.core.docs.formats.text import paragraphs_to_passages


def _heading_styles(document: DocxDocument) -> frozenset[str]:
    """Ids of the paragraph styles that are headings.

    Built once: python-docx's `paragraph.style` scans every style per call (seconds for
    a few thousand paragraphs). Built-in style names are stored in English whatever
    the Word UI language ("heading 1" shows as "제목 1").
    """
    return frozenset(
        style.style_id
        for style in document.styles
        if style.type == WD_STYLE_TYPE.PARAGRAPH
        and str(style.name or "").lower().startswith(("heading", "title"))
    )


def _style_id(paragraph: Paragraph) -> str | None:
    properties = paragraph._p.pPr
    return properties.style if properties is not None else None


def _table_text(table: Table) -> str:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # A merged cell appears once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def iter_docx(path: Path, limits: Limits) -> Iterator[Passage]:
    with GuardedZip(path, limits) as archive:
        if "word/document.xml" not in archive.names():
            raise DocumentError(path, "is not a Word document (word/document.xml is missing)")
    try:
        document = docx.Document(str(path))
    except PackageNotFoundError:
        raise DocumentError(path, "is not a Word document (no Word package inside)") from None
    headings = _heading_styles(document)
    section: str | None = None
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if _style_id(block) in headings and block.text.strip():
                yield from paragraphs_to_passages(blocks, section=section)
                section = " ".join(block.text.split())
                blocks = [section]
            else:
                blocks.append(block.text)
        else:
            blocks.append(_table_text(block))
    yield from paragraphs_to_passages(blocks, section=section)
