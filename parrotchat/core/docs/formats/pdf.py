"""PDF through PDFium (pypdfium2): page by page, each passage keeping its 1-based page.

PDFium is Chrome's PDF engine: it parses only the cross-reference table when the file
opens and loads each page on demand, so a 10,000-page PDF streams one page at a time
instead of being read whole (pypdf would parse every page object). It runs no
JavaScript unless a form environment is set up, which we never do. It tells
password-protected files apart (FPDF_ERR_PASSWORD), so those get their own reason.
Where the PDF has bookmarks (its outline), each page's passages carry as `section` the
title of the last bookmark at or before that page.

PDFium is not thread-safe: every call into it holds `_PDFIUM`, released between pages
so that the indexer's consumer never runs under the lock.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parrotchat.core.docs.formats.limits import Limits, checked_size
from parrotchat.core.docs.formats.passage import DocumentError, Passage
from parrotchat.core.docs.formats.text import paragraphs_to_passages

_PDFIUM = threading.Lock()

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "is encrypted (password-protected): ParrotChat cannot read it",
    pdfium_c.FPDF_ERR_SECURITY: "is protected by an unsupported security handler",
    pdfium_c.FPDF_ERR_FORMAT: "is damaged or not a PDF (PDFium cannot parse it)",
    pdfium_c.FPDF_ERR_FILE: "cannot be opened",
}


def _has_end_marker(path: Path, size: int) -> bool:
    # A PDF ends with %%EOF; one cut short (a download interrupted, a disk full) does not.
    # PDFium would "repair" it and quietly index whatever pages survived. Some writers
    # leave padding or a signature after the marker, hence the 16 KiB window.
    with path.open("rb") as file:
        file.seek(max(0, size - 16384))
        return b"%%EOF" in file.read()


_MAX_BOOKMARKS = 10_000


def _outline(document: pdfium.PdfDocument) -> tuple[list[int], list[str]]:
    """Bookmark pages (0-based, ascending) and their titles; a broken outline is no outline."""
    marks: list[tuple[int, str]] = []
    try:
        for bookmark in document.get_toc(max_depth=6):
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            title = " ".join(str(bookmark.get_title()).split())
            if index is not None and title:
                marks.append((int(index), title))
            if len(marks) >= _MAX_BOOKMARKS:
                break
    except pdfium.PdfiumError:
        return [], []
    marks.sort(key=lambda mark: mark[0])  # stable: same-page bookmarks keep outline order
    return [index for index, _ in marks], [title for _, title in marks]


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return text.replace("\r\n", "\n").replace("\r", "\n")


def iter_pdf(path: Path, limits: Limits) -> Iterator[Passage]:
    size = checked_size(path, limits.pdf_bytes)
    with path.open("rb") as file:
        if not file.read(1024).lstrip().startswith(b"%PDF-"):
            raise DocumentError(path, "is not a PDF (no %PDF- header)")
    if not _has_end_marker(path, size):
        raise DocumentError(path, "is damaged (truncated: the PDF's end marker is missing)")
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            reason = _OPEN_ERRORS.get(exc.err_code, f"cannot be opened by PDFium ({exc})")
            raise DocumentError(path, reason) from None
        pages = len(document)
        bookmark_pages, titles = _outline(document)
    any_text = False
    try:
        for index in range(pages):
            with _PDFIUM:
                try:
                    text = _page_text(document, index)
                except pdfium.PdfiumError as exc:
                    raise DocumentError(path, f"is damaged at page {index + 1} ({exc})") from None
            at = bisect.bisect_right(bookmark_pages, index)
            section = titles[at - 1] if at else None
            paragraphs = text.split("\n\n")
            for passage in paragraphs_to_passages(paragraphs, page=index + 1, section=section):
                any_text = True
                yield passage
    finally:
        with _PDFIUM:
            document.close()
    if pages and not any_text:
        raise DocumentError(
            path, "has no text layer (scanned pages need OCR, which ParrotChat does not do)"
        )
