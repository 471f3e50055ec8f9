"""Where the user writes: Enter sends, Shift+Enter breaks the line, Esc stops.

Input methods (Korean, Japanese, Chinese) compose a syllable in a "preedit"
string before committing it to the text. While a preedit string is active, Enter
belongs to the input method, never to Send; and Send commits a pending preedit
first, so a message never goes out with its last syllable missing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

MAX_DROPPED_FILE = 2 * 1024 * 1024  # bytes of a dropped or pasted text file we insert


def read_text_file(path: Path) -> str | None:
    """A small text file's content (UTF-8, or the local encodings Korean users meet)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_DROPPED_FILE:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:4096]:
        return None  # binary
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


class ComposerEdit(QPlainTextEdit):
    """The text box.

    Signals:
        submitted(): Enter was pressed (no input-method composition active).
        escapePressed(): Esc was pressed.
    """

    submitted = Signal()
    escapePressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._preedit = ""
        self.setTabChangesFocus(True)

    @property
    def composing(self) -> bool:
        """True while an input method shows an uncommitted (preedit) string."""
        return bool(self._preedit)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        super().inputMethodEvent(event)
        self._preedit = event.preeditString()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.composing:
                event.accept()  # the input method's Enter: it confirms the syllable
                return
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
                event.accept()
                return
            if not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                event.accept()
                self.submitted.emit()
                return
        if key == Qt.Key.Key_Escape and not self.composing:
            event.accept()
            self.escapePressed.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasUrls():
            texts = []
            for url in source.urls():
                if url.isLocalFile():
                    text = read_text_file(Path(url.toLocalFile()))
                    if text is not None:
                        texts.append(text)
            if texts:
                self.insertPlainText("\n\n".join(texts))
                return
        if source.hasText():
            self.insertPlainText(source.text())


class Composer(QWidget):
    """Text box, Send/Stop button, and the edit-a-sent-message bar.

    Signals:
        sendRequested(str): send this text as a new message.
        editSubmitted(int, str): resend this edited message (id, new text).
        stopRequested(): stop the reply.
    """

    sendRequested = Signal(str)
    editSubmitted = Signal(int, str)
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = ComposerEdit()
        self.edit.setPlaceholderText(
            self.tr("Message the model (Enter sends, Shift+Enter: new line)")
        )
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        lines = self.edit.fontMetrics().lineSpacing()
        self.edit.setFixedHeight(lines * 4 + 16)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        self.edit_bar = QWidget()
        self.edit_label = QLabel(
            self.tr("Editing a sent message: the replies after it will be replaced.")
        )
        self.cancel_edit_button = QToolButton()
        self.cancel_edit_button.setText(self.tr("Cancel edit"))
        bar_layout = QHBoxLayout(self.edit_bar)
        bar_layout.setContentsMargins(0, 0, 0, 0)
        bar_layout.addWidget(self.edit_label, 1)
        bar_layout.addWidget(self.cancel_edit_button)
        self.edit_bar.setVisible(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit_bar)
        layout.addLayout(row)

        self._streaming = False
        self._editing: int | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.edit.submitted.connect(self._submit)
        self.edit.escapePressed.connect(self._escape)
        self.send_button.clicked.connect(self._button_clicked)
        self.cancel_edit_button.clicked.connect(self.cancel_edit)

    # --- state -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        self.edit.setFocus()

    def set_streaming(self, streaming: bool) -> None:
        """While a reply streams, Send becomes Stop."""
        self._streaming = streaming
        self.send_button.setText(self.tr("Stop") if streaming else self.tr("Send"))
        self.send_button.setToolTip(self.tr("Stop the reply (Esc)") if streaming else "")

    @property
    def streaming(self) -> bool:
        return self._streaming

    def begin_edit(self, message_id: int, text: str) -> None:
        self._editing = message_id
        self.edit_bar.setVisible(True)
        self.set_text(text)

    @Slot()
    def cancel_edit(self) -> None:
        if self._editing is not None:
            self._editing = None
            self.edit_bar.setVisible(False)
            self.edit.clear()

    # --- actions ------------------------------------------------------------------------

    @Slot()
    def _button_clicked(self) -> None:
        if self._streaming:
            self.stopRequested.emit()
        elif self.edit.composing:
            # Clicking Send mid-syllable: let the input method commit it, then send.
            QGuiApplication.inputMethod().commit()
            QTimer.singleShot(0, self._submit)
        else:
            self._submit()

    @Slot()
    def _submit(self) -> None:
        if self._streaming or self.edit.composing:
            return
        text = self.text
        if not text.strip():
            return
        if self._editing is not None:
            message_id, self._editing = self._editing, None
            self.edit_bar.setVisible(False)
            self.edit.clear()
            self.editSubmitted.emit(message_id, text)
        else:
            self.edit.clear()
            self.sendRequested.emit(text)

    @Slot()
    def _escape(self) -> None:
        if self._streaming:
            self.stopRequested.emit()
        elif self._editing is not None:
            self.cancel_edit()
