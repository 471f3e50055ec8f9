"""The top bar: which model is loaded, its quantization and backend, and loading.

Choosing another model loads it; while a model loads a progress bar and a Cancel
button show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo


class ModelPicker(QWidget):
    """Model chooser and load status.

    Signals:
        modelSelected(object): the user picked this ModelInfo.
        cancelLoadRequested(): stop the load in progress.
    """

    modelSelected = Signal(object)
    cancelLoadRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self.tr("Model:"))
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(24)
        self.combo.setPlaceholderText(self.tr("Looking for models…"))
        self.details = QLabel()
        self.details.setObjectName("modelDetails")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(180)
        self.progress.setFormat(self.tr("Loading %p%"))
        self.cancel_button = QPushButton(self.tr("Cancel loading"))
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label)
        layout.addWidget(self.combo)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._models: list[ModelInfo] = []
        self._backend = ""
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.combo.activated.connect(self._activated)
        self.cancel_button.clicked.connect(self.cancelLoadRequested)

    def set_models(self, models: list[ModelInfo], current: ModelInfo | None) -> None:
        self._models = list(models)
        self.combo.blockSignals(True)
        self.combo.clear()
        for model in models:
            self.combo.addItem(self._label(model))
            self.combo.setItemData(
                self.combo.count() - 1, str(model.path), Qt.ItemDataRole.ToolTipRole
            )
        if not models:
            self.combo.setPlaceholderText(self.tr("No models found"))
        self.combo.blockSignals(False)
        self.set_current(current)

    def _label(self, model: ModelInfo) -> str:
        from parrotchat.core.models.info import human_bytes

        tags = {"starter": self.tr(" (starter)"), "external": self.tr(" (linked)")}
        return (
            f"{model.name} — {model.quantization}, {human_bytes(model.size_bytes)}"
            f"{tags.get(model.source, '')}"
        )

    def set_current(self, model: ModelInfo | None) -> None:
        index = next(
            (i for i, m in enumerate(self._models) if model is not None and m.path == model.path),
            -1,
        )
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)

    def set_backend(self, backend: str) -> None:
        self._backend = backend

    @Slot(int)
    def _activated(self, index: int) -> None:
        if 0 <= index < len(self._models):
            self.modelSelected.emit(self._models[index])

    # --- loading ---------------------------------------------------------------------------

    def show_loading(self, name: str) -> None:
        self.details.setText(self.tr("Loading %1…").replace("%1", name))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)

    def set_progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))

    def show_loaded(self, model: ModelInfo | None, loaded: dict[str, Any]) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        backend = str(loaded.get("backend") or self._backend or "CPU")
        quant = model.quantization if model is not None else ""
        parts = [p for p in (quant, backend) if p]
        self.details.setText(" · ".join(parts))
        self.details.setToolTip(
            self.tr("Context %1 tokens (trained %2), loaded in %3 s")
            .replace("%1", str(loaded.get("n_ctx", "?")))
            .replace("%2", str(loaded.get("n_ctx_train", "?")))
            .replace("%3", f"{float(loaded.get('load_s', 0.0)):.1f}")
        )

    def show_not_loaded(self, text: str) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.details.setText(text)
