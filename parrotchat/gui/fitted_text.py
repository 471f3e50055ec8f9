"""A read-only text view as tall as its text, for code blocks and the streaming reply.

It never scrolls vertically (the chat view does that); its height follows the
document's, which Qt lays out incrementally, so appending text at the end costs
only the new text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QSizeF, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QTextCursor, QTextOption
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from parrotchat.gui.link_guard import ask_to_open


class FittedTextView(QTextBrowser):
    """QTextBrowser without its own vertical scrolling; `append_plain` adds at the end."""

    def __init__(self, wrap: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setReadOnly(True)
        # A click on a link asks first (link_guard); the view itself never navigates.
        self.setOpenLinks(False)
        self._trusted: set[str] = set()
        self.anchorClicked.connect(self._link_clicked)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if wrap else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.setLineWrapMode(
            QTextBrowser.LineWrapMode.WidgetWidth if wrap else QTextBrowser.LineWrapMode.NoWrap
        )
        if wrap:  # a long address or word breaks too, rather than running off the edge
            self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.document().setDocumentMargin(2)
        layout = self.document().documentLayout()
        layout.documentSizeChanged.connect(self._fit)
        self.horizontalScrollBar().rangeChanged.connect(self._refit)
        self._fit(self.document().size())

    def append_plain(self, text: str) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    @Slot(QUrl)
    def trust_links(self, urls: Iterable[QUrl]) -> None:
        """Links ParrotChat made itself (a document source) open without asking; any
        other link in the same text, written by the model, still asks first."""
        self._trusted = {url.toString() for url in urls}

    def _link_clicked(self, url: QUrl) -> None:
        if url.toString() in self._trusted:
            QDesktopServices.openUrl(url)
        else:
            ask_to_open(url, self.window())

    @Slot(QSizeF)
    def _fit(self, size: QSizeF) -> None:
        height = math.ceil(size.height()) + 2 * self.frameWidth()
        bar = self.horizontalScrollBar()
        if bar.maximum() > 0:
            height += bar.sizeHint().height()
        if height != self.height():
            self.setFixedHeight(height)

    @Slot(int, int)
    def _refit(self, _low: int, _high: int) -> None:
        self._fit(self.document().size())
