"""The Library tab's draft model row: which small GGUF drafts tokens for the selected model.

A draft model must share the chat model's vocabulary (the engine feeds its token ids
to the chat model as they are), so a pick is checked here, headers only, before it is
kept: one that does not fit is refused with the reason, and the settings keep the
earlier choice.

Signals:
    draftChanged(object): the ModelInfo whose draft model was set or cleared (the
        settings changed: save them, and reload that model if it is in use).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.settings import Settings
from parrotchat.gui.runtime_messages import localize

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo


class DraftPicker(QWidget):
    draftChanged = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.model: ModelInfo | None = None
        # Asks for a file; tests replace it.
        self.pick: Callable[[], str | None] = self._pick_file
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.choose_button = QPushButton(self.tr("Choose draft model…"))
        self.choose_button.setToolTip(
            self.tr(
                "A small model with the same vocabulary guesses the next words; the chat "
                "model keeps only the guesses it would have written itself. Used while "
                "Draft ahead is on."
            )
        )
        self.clear_button = QPushButton(self.tr("No draft model"))
        self.refusal = QLabel()  # why the last pick was refused
        self.refusal.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.label, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.refusal)
        self.choose_button.clicked.connect(self.choose)
        self.clear_button.clicked.connect(self.clear)
        self.set_model(None)

    def draft_of(self, model: ModelInfo) -> str | None:
        return self.settings.draft_models.get(str(model.path))

    def set_model(self, model: ModelInfo | None) -> None:
        """Show the draft model of `model` (the row is off without a selection)."""
        if _path(model) != _path(self.model):  # a refusal is about the model it was for
            self.refusal.clear()
        self.model = model
        draft = self.draft_of(model) if model is not None else None
        if draft is None:
            self.label.setText(self.tr("Draft model: none"))
        else:
            self.label.setText(self.tr("Draft model: %1").replace("%1", Path(draft).name))
        self.label.setToolTip(draft or "")
        self.choose_button.setEnabled(model is not None)
        self.clear_button.setEnabled(draft is not None)

    @Slot()
    def choose(self) -> None:
        model = self.model
        if model is None:
            return
        path = self.pick()
        if path:
            self.use(model, path)

    def use(self, model: ModelInfo, path: str) -> bool:
        """Keep `path` as `model`'s draft model if its vocabulary fits; else say why."""
        from parrotchat.core.models.draft_compat import draft_incompatibility

        reason = draft_incompatibility(model.path, path)
        if reason is not None:
            shown = localize(reason)
            self.refusal.setText(self.tr("Not used as draft model: %1").replace("%1", shown.text))
            self.refusal.setToolTip(shown.original or "")
            return False
        self.refusal.clear()
        self.settings.draft_models[str(model.path)] = path
        self.set_model(model)
        self.draftChanged.emit(model)
        return True

    @Slot()
    def clear(self) -> None:
        model = self.model
        if model is None or self.settings.draft_models.pop(str(model.path), None) is None:
            return
        self.refusal.clear()
        self.set_model(model)
        self.draftChanged.emit(model)

    def _pick_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Choose a draft model"),
            str(self.model.path.parent) if self.model is not None else "",
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        return path or None


def _path(model: ModelInfo | None) -> Path | None:
    return model.path if model is not None else None
