"""The top bar: which model is loaded, its quantization and backend, and loading.

Choosing another model loads it; while a model loads a progress bar and a Cancel
button show. The list is grouped by where the models run: a header row "On this
computer" over the local models, then "On <server>" over each saved server's models
(or one greyed line saying why that server could not be asked). Header and error
rows cannot be chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from parrotchat.gui.elided import ElidedLabel, ElidingComboBox
from parrotchat.gui.models.remote_models import RemoteChoice, ServerListing
from parrotchat.gui.runtime_messages import plain

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo


class ModelPicker(QWidget):
    """Model chooser and load status.

    Signals:
        modelSelected(object): the user picked this ModelInfo (a local model).
        remoteSelected(object): the user picked this RemoteChoice (a server's model).
        cancelLoadRequested(): stop the load in progress.
    """

    modelSelected = Signal(object)
    remoteSelected = Signal(object)
    cancelLoadRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self.tr("Model:"))
        # As wide as the model's name where there is room; in a narrow window the name
        # is cut with "…" (whole in the tooltip) rather than the bar hiding the list.
        self.combo = ElidingComboBox(min_chars=8)
        self.combo.setMinimumContentsLength(24)
        self.combo.setPlaceholderText(self.tr("Looking for models…"))
        self.details = ElidedLabel()
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
        self._servers: list[ServerListing] = []
        self._entries: list[ModelInfo | RemoteChoice | None] = []  # one per combo row
        self._selected: ModelInfo | RemoteChoice | None = None
        self._backend = ""
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.combo.activated.connect(self._activated)
        self.cancel_button.clicked.connect(self.cancelLoadRequested)

    def set_models(self, models: list[ModelInfo], current: ModelInfo | None) -> None:
        self._models = list(models)
        self._rebuild()
        self.set_current(current)

    def set_servers(self, listings: list[ServerListing]) -> None:
        """The saved servers' models (or why a server could not be asked)."""
        self._servers = list(listings)
        self._rebuild()

    def _rebuild(self) -> None:
        selected = self._selected
        self.combo.blockSignals(True)
        self.combo.clear()
        self._entries = []
        if self._servers:  # headers only when there is more than one place to group by
            self._add_header(self.tr("On this computer"))
        for model in self._models:
            self._add(self._label(model), model, str(model.path))
        for listing in self._servers:
            self._add_header(self.tr("On %1").replace("%1", listing.server))
            if listing.error is not None:
                self._add_header(
                    self.tr("    Not available: %1").replace("%1", plain(listing.error)),
                    listing.error,
                )
            elif not listing.models:
                self._add_header(self.tr("    Serves no models"))
            for choice in listing.models:
                self._add(f"{choice.model_id}", choice, choice.name)
        if not self._models and not any(listing.models for listing in self._servers):
            self.combo.setPlaceholderText(self.tr("No models found"))
        self.combo.blockSignals(False)
        self._select(selected)

    def _add(self, text: str, entry: ModelInfo | RemoteChoice, tooltip: str) -> None:
        # Indented under its header when the list is grouped.
        self.combo.addItem(f"    {text}" if self._servers else text)
        self.combo.setItemData(self.combo.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)
        self._entries.append(entry)

    def _add_header(self, text: str, tooltip: str | None = None) -> None:
        self.combo.addItem(text)
        row = self.combo.count() - 1
        model = self.combo.model()
        assert isinstance(model, QStandardItemModel)
        item = model.item(row)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed, cannot be chosen
        if tooltip:
            item.setToolTip(tooltip)
        self._entries.append(None)

    def _label(self, model: ModelInfo) -> str:
        from parrotchat.core.models.info import human_bytes

        tags = {"starter": self.tr(" (starter)"), "external": self.tr(" (linked)")}
        return (
            f"{model.display_name} — {model.quantization}, {human_bytes(model.size_bytes)}"
            f"{tags.get(model.source, '')}"
        )

    def set_current(self, model: ModelInfo | RemoteChoice | None) -> None:
        self._selected = model
        self._select(model)

    def _select(self, wanted: ModelInfo | RemoteChoice | None) -> None:
        def same(entry: ModelInfo | RemoteChoice | None) -> bool:
            if entry is None or wanted is None:
                return False
            if isinstance(entry, RemoteChoice) or isinstance(wanted, RemoteChoice):
                return entry == wanted
            return entry.path == wanted.path

        index = next((i for i, entry in enumerate(self._entries) if same(entry)), -1)
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)

    def entries(self) -> list[tuple[str, bool]]:
        """Each row's text and whether it can be chosen (for tests and accessibility)."""
        return [(self.combo.itemText(i), e is not None) for i, e in enumerate(self._entries)]

    def set_backend(self, backend: str) -> None:
        self._backend = backend

    @Slot(int)
    def _activated(self, index: int) -> None:
        entry = self._entries[index] if 0 <= index < len(self._entries) else None
        if isinstance(entry, RemoteChoice):
            self._selected = entry
            self.remoteSelected.emit(entry)
        elif entry is not None:
            self._selected = entry
            self.modelSelected.emit(entry)

    def widest_minimum(self) -> int:
        """The narrowest this bar gets while a model loads (progress and Cancel shown):
        the window keeps at least this much room for it."""
        layout = self.layout()
        assert layout is not None
        parts = (self.label, self.combo, self.details, self.progress, self.cancel_button)
        margins = layout.contentsMargins()
        return (
            sum(w.minimumSizeHint().width() for w in parts)
            # The details' text changes (loading, the backend): room for a few letters.
            + max(
                0,
                self.details.fontMetrics().horizontalAdvance("MMMM…")
                - self.details.minimumSizeHint().width(),
            )
            + layout.spacing() * (len(parts) - 1)
            + margins.left()
            + margins.right()
        )

    # --- loading ---------------------------------------------------------------------------

    def show_loading(self, name: str) -> None:
        self.details.setText(self.tr("Loading %1…").replace("%1", name))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)

    def set_progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))

    def show_loaded(self, model: ModelInfo | None, loaded: dict[str, Any]) -> None:
        """`model` is None for a server's model: the details show the server's kind."""
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
