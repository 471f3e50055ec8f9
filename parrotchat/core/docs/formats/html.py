"""HTML through the stdlib's html.parser: visible text, h1-h6 as sections.

html.parser is made for exactly this: it tokenizes tag soup without building a tree,
never fetches anything (no DTDs, no external entities, no network), runs no script,
and needs no dependency. What a browser would not show (script, style, template, the
head apart from its title) is left out; block elements end a paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from parrotchat.core.docs.formats.limits import Limits, checked_size
from parrotchat.core.docs.formats.passage import Passage
from parrotchat.core.docs.formats.text import decode_text, paragraphs_to_passages

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HIDDEN = {"script", "style", "template", "head", "svg", "math"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer",
    "blockquote", "pre", "dd", "dt", "dl", "hr", "title", "main", "nav", "aside", "figcaption",
    "caption", "form", "fieldset", "address", "details", "summary",
}  # fmt: skip


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (section, paragraphs) groups in document order.
        self.groups: list[tuple[str | None, list[str]]] = [(None, [""])]
        self._hidden: list[str] = []
        self._heading: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN:
            self._hidden.append(tag)
        elif tag in _HEADINGS:
            self._heading = []
        elif tag in _BLOCKS:
            self._break()
        if tag in ("td", "th"):
            self._append(" | ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._hidden and tag == self._hidden[-1]:
            self._hidden.pop()
        elif tag in _HEADINGS and self._heading is not None:
            title = " ".join("".join(self._heading).split())
            self._heading = None
            if title:
                self.groups.append((title, [title, ""]))
        elif tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._hidden and not (self._in_title and self._hidden == ["head"]):
            return
        if self._heading is not None:
            self._heading.append(data)
        else:
            self._append(data)

    def _append(self, text: str) -> None:
        self.groups[-1][1][-1] += text

    def _break(self) -> None:
        paragraphs = self.groups[-1][1]
        if paragraphs[-1].strip():
            paragraphs.append("")


def iter_html(path: Path, limits: Limits) -> Iterator[Passage]:
    checked_size(path, limits.text_bytes)
    data = path.read_bytes()
    declared = _CHARSET.search(data[:4096])
    text = decode_text(path, data, fallback=declared.group(1).decode("ascii") if declared else None)
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    for section, paragraphs in parser.groups:
        cleaned = (" ".join(line.split()).strip(" |") for line in paragraphs)
        yield from paragraphs_to_passages(cleaned, section=section)
