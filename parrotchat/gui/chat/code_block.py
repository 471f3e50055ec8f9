"""One fenced code block in a message: language, Copy button, highlighted code.

Highlighting uses Pygments when it is installed (imported on first use) and
falls back to plain monospace text; light or dark colours follow the palette.
"""

from __future__ import annotations

import importlib

from PySide6.QtCore import QEvent, Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from parrotchat.gui.fitted_text import FittedTextView


def highlight_html(code: str, language: str, dark: bool) -> str | None:
    """The code as HTML with inline colours, or None if it cannot be highlighted."""
    try:  # optional: imported by name so that no stubs are needed
        pygments = importlib.import_module("pygments")
        formatters = importlib.import_module("pygments.formatters")
        lexers = importlib.import_module("pygments.lexers")
        util = importlib.import_module("pygments.util")
    except ImportError:
        return None
    try:
        lexer = lexers.get_lexer_by_name(language or "text", stripnl=False)
    except util.ClassNotFound:
        return None
    formatter = formatters.HtmlFormatter(
        nowrap=True, noclasses=True, style="monokai" if dark else "default"
    )
    body: str = pygments.highlight(code, lexer, formatter)
    return f"<pre style='margin:0'>{body}</pre>"


_FIXED: list[QFont] = []


def _fixed_font() -> QFont:
    if not _FIXED:
        _FIXED.append(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return _FIXED[0]


class CodeBlock(QFrame):
    """A code block with its own Copy button.

    Signals:
        copied(): the code went to the clipboard.
    """

    copied = Signal()

    def __init__(self, code: str, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = code
        self.setObjectName("codeBlock")
        self.language_label = QLabel(language or self.tr("code"))
        self.language_label.setObjectName("codeLanguage")
        self.language_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.copy_button = QToolButton()
        self.copy_button.setText(self.tr("Copy code"))
        self.copy_button.setAutoRaise(True)
        self.view = FittedTextView(wrap=False)
        self.view.setFont(_fixed_font())
        self.language = language
        self._dark: bool | None = None
        self._highlight()
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 2, 0)
        header.addWidget(self.language_label)
        header.addStretch(1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.view)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.copy_button.clicked.connect(self._copy)

    def append_code(self, text: str) -> None:
        """Streaming: more code at the end, as it comes (coloured when the reply ends)."""
        self.code += text
        self.view.append_plain(text)

    def _highlight(self) -> None:
        """Colour the code for the palette now in use (again after a change of theme)."""
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        if dark == self._dark:
            return
        self._dark = dark
        rendered = highlight_html(self.code, self.language, dark)
        if rendered is None:
            self.view.setPlainText(self.code)
        else:
            self.view.setHtml(rendered)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._highlight()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.setBrush(self.palette().base())
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 6, 6)
        super().paintEvent(event)

    @Slot()
    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code)
        self.copied.emit()
