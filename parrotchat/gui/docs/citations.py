"""A reply's [1], [2] as links to the files they cite, and the list of sources under it.

A link is the file's URL; a PDF's carries #page=N, which the usual PDF viewers
(browsers, Evince, Okular, Acrobat on Windows) open at that page and others ignore.
QTextBrowser follows file: links itself (it would show the PDF's bytes as text), so
the views that show them hand every click to QDesktopServices instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QUrl

from parrotchat.gui.fitted_text import FittedTextView
from parrotchat.service.doc_answers import Source

# [3] not already a link's text ([3](...)) nor a footnote definition ([3]: ...).
_CITATION = re.compile(r"\[(\d{1,3})\](?![(:])")
_INLINE_CODE = re.compile(r"(`+[^`\n]*`+)")


def source_url(source: Source) -> QUrl:
    """file:///docs/report.pdf#page=3 (the page for PDFs only)."""
    url = QUrl.fromLocalFile(source.file)
    if source.page is not None and source.file.lower().endswith(".pdf"):
        url.setFragment(f"page={source.page}")
    return url


def _link(url: QUrl) -> str:
    return "<" + url.toString(QUrl.ComponentFormattingOption.FullyEncoded) + ">"


def link_citations(markdown: str, sources: Sequence[Source]) -> str:
    """Markdown prose with each [n] that names a source made a link to its file."""
    by_number = {s.number: s for s in sources}

    def replace(match: re.Match[str]) -> str:
        source = by_number.get(int(match.group(1)))
        if source is None:
            return match.group(0)
        return f"[\\[{source.number}\\]]({_link(source_url(source))})"

    # Inline code stays as written: [1] there is code, not a citation.
    parts = _INLINE_CODE.split(markdown)
    return "".join(p if i % 2 else _CITATION.sub(replace, p) for i, p in enumerate(parts))


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def sources_markdown(sources: Sequence[Source], left_out: int) -> str:
    """The list under a reply: one linked line a source, and what did not fit."""
    translate = QCoreApplication.translate
    title = translate("Citations", "Sources")
    lines = [f"**{title}**", ""]
    if not sources and not left_out:
        lines.append(
            translate("Citations", "No passage of the chosen documents matched the question.")
        )
    for source in sources:
        where = source.where()
        if source.page is not None:
            where = translate("Citations", "p. %1").replace("%1", str(source.page))
        label = f"{source.name}, {where}" if where else source.name
        lines.append(f"{source.number}. [{_escape(label)}]({_link(source_url(source))})  ")
    if left_out:
        note = translate("Citations", "%1 more matching passages were left out to fit the context.")
        lines += ["", note.replace("%1", str(left_out))]
    return "\n".join(lines)


def open_sources_outside(view: FittedTextView, sources: Sequence[Source]) -> None:
    """A click on a source's link in `view` opens the file in the system's application for
    it; other links (the model's) still ask first (link_guard)."""
    view.trust_links(source_url(source) for source in sources)
