"""Where the user writes: Enter sends, Shift+Enter breaks the line, Esc stops.

Input methods (Korean, Japanese, Chinese) compose a syllable in a "preedit"
string before committing it to the text. While a preedit string is active, Enter
belongs to the input method, never to Send; and Send commits a pending preedit
first, so a message never goes out with its last syllable missing.

A big paste (a 5 MB log) goes into the box PASTE_CHUNK characters per turn of the
event loop, in one undo step: inserted at once it would freeze the window. The box
is read-only until the last chunk is in, and anything that reads the text (Send)
completes the paste first, so nothing is ever sent or lost half-pasted.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeyEvent, QTextCursor
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
PASTE_CHUNK = 256 * 1024  # characters of a big paste inserted per event-loop turn (~10 ms)


def _chunks(text: str, size: int) -> deque[str]:
    parts: deque[str] = deque()
    start = 0
    while start < len(text):
        end = start + size
        if text[end - 1 : end] == "\r":
            end += 1  # keep a CR LF pair together: split, it would be two line breaks
        parts.append(text[start:end])
        start = end
    return parts


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
        self._paste_rest: deque[str] = deque()
        self._paste_cursor: QTextCursor | None = None
        self._paste_timer = QTimer(self)
        self._paste_timer.setInterval(0)
        self._paste_timer.timeout.connect(self._paste_next)

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
                self.insert_text("\n\n".join(texts))
                return
        if source.hasText():
            self.insert_text(source.text())

    # --- big pastes ---------------------------------------------------------------------

    @property
    def pasting(self) -> bool:
        """A big paste is still going in (the box is read-only meanwhile)."""
        return bool(self._paste_rest)

    def insert_text(self, text: str) -> None:
        """Insert at the cursor (replacing the selection), a big text over a few turns."""
        self.finish_paste()
        if len(text) <= PASTE_CHUNK:
            self.insertPlainText(text)
            return
        chunks = _chunks(text, PASTE_CHUNK)
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.insertText(chunks.popleft())
        cursor.endEditBlock()
        self._paste_cursor = cursor
        self._paste_rest = chunks
        # Typed keys would land in the middle of the paste.
        self.setReadOnly(True)
        self._paste_timer.start()

    def finish_paste(self) -> None:
        """Insert what is left of a big paste now."""
        while self._paste_rest:
            self._paste_next()

    @Slot()
    def _paste_next(self) -> None:
        cursor = self._paste_cursor
        if not self._paste_rest or cursor is None:
            return
        cursor.joinPreviousEditBlock()  # one paste, one undo step
        cursor.insertText(self._paste_rest.popleft())
        cursor.endEditBlock()
        if not self._paste_rest:
            self._paste_timer.stop()
            self._paste_cursor = None
            self.setReadOnly(False)
            self.setTextCursor(cursor)
            self.ensureCursorVisible()


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
        """All of it: a big paste still going in is completed first."""
        self.edit.finish_paste()
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        if len(text) > PASTE_CHUNK:  # editing a 5 MB message: in chunks, like a paste
            self.edit.finish_paste()
            self.edit.clear()
            self.edit.insert_text(text)
        else:
            self.edit.finish_paste()
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
        if not text or text.isspace():
            return
        editing, self._editing = self._editing, None
        self.edit_bar.setVisible(False)
        if len(text) <= PASTE_CHUNK:
            self.edit.clear()
            self._hand_on(editing, text)
            return
        # Reading 5 MB out of the box took this turn of the event loop (~25 ms); emptying
        # it takes the next, saving it the one after: the window repaints in between.
        self.edit.setReadOnly(True)  # until it is empty: typed keys would be lost
        QTimer.singleShot(1, lambda: self._clear_and_hand_on(editing, text))

    def _clear_and_hand_on(self, editing: int | None, text: str) -> None:
        self.edit.clear()
        self.edit.setReadOnly(False)
        QTimer.singleShot(1, lambda: self._hand_on(editing, text))

    def _hand_on(self, editing: int | None, text: str) -> None:
        if editing is not None:
            self.editSubmitted.emit(editing, text)
        else:
            self.sendRequested.emit(text)

    @Slot()
    def _escape(self) -> None:
        if self._streaming:
            self.stopRequested.emit()
        elif self._editing is not None:
            self.cancel_edit()
