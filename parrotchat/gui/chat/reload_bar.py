"""Under the model settings: what a change will do, and the buttons to do it or undo it.

Reloading a model takes seconds to minutes and drops what the engine holds in
memory, so a changed context length, GPU layers or thread count waits here for the
user's word instead of reloading on its own.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class ReloadBar(QWidget):
    """A note (word-wrapped) over two buttons: apply (reload) and undo."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reloadBar")
        self.note = QLabel()
        self.note.setObjectName("reloadBarNote")
        self.note.setWordWrap(True)
        self.apply_button = QPushButton(self.tr("Reload now"))
        self.apply_button.setObjectName("reloadButton")
        self.apply_button.setToolTip(self.tr("Load the model again with these settings"))
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setObjectName("undoModelSettings")
        self.undo_button.setToolTip(self.tr("Go back to the settings the model runs with now"))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.setVisible(False)

    def offer(self, note: str) -> None:
        self.note.setText(note)
        self.setVisible(True)
