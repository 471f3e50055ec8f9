"""One message on screen: who said it, the text (Markdown), its actions and stats.

A finished message renders its Markdown once: prose through Qt's Markdown support,
each fenced code block as a `CodeBlock` with its own Copy button. A streaming reply
shows plain text appended at the end, and is rendered as Markdown when it ends.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QGuiApplication, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from parrotchat.core.chat_records import Message
from parrotchat.gui.code_block import CodeBlock
from parrotchat.gui.fitted_text import FittedTextView
from parrotchat.gui.markdown_blocks import split_blocks
from parrotchat.gui.stats_line import format_stats

_BOLD: dict[str, QFont] = {}


def _bold_font(base: QFont) -> QFont:
    key = base.key()
    if key not in _BOLD:
        bold = QFont(base)
        bold.setBold(True)
        _BOLD[key] = bold
    return _BOLD[key]


def prose_view(markdown: str) -> FittedTextView:
    view = FittedTextView(wrap=True)
    view.setMarkdown(markdown)
    return view


class MessageWidget(QFrame):
    """A user or assistant message.

    Signals:
        editRequested(int, str): message id and text (user messages).
        regenerateRequested(): redo this reply (the last one only).
    """

    editRequested = Signal(int, str)
    regenerateRequested = Signal()

    def __init__(self, message: Message, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_id = message.id
        self.role = message.role
        self.status = message.status
        self._parts: list[str] = [message.content]
        self._stream_view: FittedTextView | None = None
        self.setObjectName("userMessage" if message.role == "user" else "assistantMessage")

        self.role_label = QLabel(self._role_name(message))
        self.role_label.setObjectName("roleLabel")
        self.role_label.setFont(_bold_font(self.role_label.font()))
        self.copy_button = self._tool_button(self.tr("Copy"))
        self.edit_button = self._tool_button(self.tr("Edit"))
        self.edit_button.setVisible(message.role == "user")
        self.regenerate_button = self._tool_button(self.tr("Regenerate"))
        self.regenerate_button.setVisible(False)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.role_label)
        header.addStretch(1)
        for button in (self.edit_button, self.regenerate_button, self.copy_button):
            header.addWidget(button)

        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(4)
        self.stats_label = QLabel()
        self.stats_label.setObjectName("statsLine")
        self.stats_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.stats_label.setWordWrap(True)
        self.stats_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(self.body)
        layout.addWidget(self.stats_label)

        if message.status == "streaming" and not message.content:
            self._start_stream()
        else:
            self._render(message.content)
            self.set_stats(message.stats, message.status)
        self._connect_signals()

    def paintEvent(self, event: QPaintEvent) -> None:
        # The user's messages sit on a soft bubble in the palette's alternate colour
        # (a style sheet would cost every child widget a re-polish).
        if self.role == "user":
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().alternateBase())
            painter.drawRoundedRect(self.rect(), 8, 8)
        super().paintEvent(event)

    def _tool_button(self, text: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _role_name(self, message: Message) -> str:
        if message.role == "user":
            return self.tr("You")
        if message.role == "system":
            return self.tr("System")
        return message.model or self.tr("Assistant")

    def _connect_signals(self) -> None:
        self.copy_button.clicked.connect(self._copy)
        self.edit_button.clicked.connect(self._edit)
        self.regenerate_button.clicked.connect(self.regenerateRequested)

    # --- content ------------------------------------------------------------------------

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0]

    @property
    def is_streaming(self) -> bool:
        return self._stream_view is not None

    def _clear_body(self) -> None:
        while self.body.count():
            item = self.body.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def _render(self, markdown: str) -> None:
        self._clear_body()
        for block in split_blocks(markdown) or []:
            if block.kind == "code":
                self.body.addWidget(CodeBlock(block.text, block.language))
            else:
                self.body.addWidget(prose_view(block.text))

    def _start_stream(self) -> None:
        self._clear_body()
        self._stream_view = FittedTextView(wrap=True)
        self._stream_view.setObjectName("streamingText")
        self.body.addWidget(self._stream_view)
        self.copy_button.setEnabled(False)

    def append_text(self, text: str) -> None:
        """Streaming: add text at the end (O(len(text)))."""
        if self._stream_view is None:
            self._start_stream()
        assert self._stream_view is not None
        self._parts.append(text)
        self._stream_view.append_plain(text)

    def finish(self, status: str, stats: dict[str, Any]) -> None:
        """The stream ended: render the Markdown once and show the stats."""
        self.status = status
        if self._stream_view is not None:
            self._stream_view = None
            self._render(self.text)
        self.copy_button.setEnabled(True)
        self.set_stats(stats, status)

    def set_stats(self, stats: dict[str, Any] | None, status: str) -> None:
        line = format_stats(stats, status) if self.role == "assistant" else ""
        self.stats_label.setText(line)
        self.stats_label.setVisible(bool(line))

    def set_last_reply(self, last: bool, busy: bool) -> None:
        self.regenerate_button.setVisible(last and self.role == "assistant")
        self.regenerate_button.setEnabled(not busy)
        self.edit_button.setEnabled(not busy)

    # --- actions ------------------------------------------------------------------------

    @Slot()
    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    @Slot()
    def _edit(self) -> None:
        self.editRequested.emit(self.message_id, self.text)
