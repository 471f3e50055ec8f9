"""A band across the top of the chat that says what failed and offers Retry."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from parrotchat.gui.bands import paint_band
from parrotchat.gui.runtime_messages import localize, plain
from parrotchat.gui.theme import ERROR_HUE


class ErrorBanner(QFrame):
    """Hidden until `show_error`.

    Signals:
        retryRequested(): the user pressed Retry.
    """

    retryRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.title_label = QLabel()
        self.title_label.setObjectName("errorTitle")
        title_font = self.title_label.font()
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.title_label.setWordWrap(True)
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.retry_button = QPushButton(self.tr("Retry"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        texts = QVBoxLayout()
        texts.addWidget(self.title_label)
        texts.addWidget(self.detail_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(texts, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.dismiss_button)
        self.sticky = False
        self.title = ""
        self.setVisible(False)
        self._connect_signals()

    def paintEvent(self, event: QPaintEvent) -> None:
        paint_band(self, ERROR_HUE)
        super().paintEvent(event)

    def _connect_signals(self) -> None:
        self.retry_button.clicked.connect(self._retry)
        self.dismiss_button.clicked.connect(self.hide)

    def show_error(self, title: str, detail: str, can_retry: bool, sticky: bool = False) -> None:
        """`sticky`: stays until dismissed (start-up problems), not taken down by a model load."""
        self.sticky = sticky
        self.title = title  # as given: `withdraw` compares it
        self.title_label.setText(plain(title))
        # Lines one by one: start-up problems come several to a banner.
        shown = [localize(line) for line in detail.split("\n")]
        self.detail_label.setText("\n".join(s.text for s in shown))
        originals = [s.original for s in shown if s.original is not None]
        self.detail_label.setToolTip("\n".join(originals))
        self.retry_button.setVisible(can_retry)
        self.setVisible(True)

    @Slot(str)
    def withdraw(self, title: str) -> None:
        """Hide the banner if it still shows this error (the problem went away)."""
        if self.title == title:
            self.hide()

    @Slot()
    def _retry(self) -> None:
        self.hide()
        self.retryRequested.emit()
