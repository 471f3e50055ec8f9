"""The Models window's Library tab: every local model, and what can be done with it.

Listing comes from the ModelController (scanned on its worker thread); imports and
removals run on LibraryTasks' thread and end in a rescan.

Signals:
    defaultChosen(object): the ModelInfo the user made the default.
    useRequested(object): load this ModelInfo in the window (button or double-click).
    draftChanged(object): the ModelInfo whose draft model was set or cleared.
    libraryChanged(): a model was added or removed (rescan the library).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from parrotchat.gui.bench_runner import BenchRunner
from parrotchat.gui.models.draft_picker import DraftPicker
from parrotchat.gui.models.library_worker import LibraryTasks
from parrotchat.gui.runtime_messages import plain

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.gui.models.controller import ModelController

COLUMNS = 9


def _count(n: int | None) -> str:
    if not n:
        return "—"
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{round(n / 1e6)}M"


class LibraryTab(QWidget):
    defaultChosen = Signal(object)
    useRequested = Signal(object)
    draftChanged = Signal(object)
    libraryChanged = Signal()

    def __init__(
        self,
        models: ModelController,
        bench: BenchRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.models = models
        self.bench = bench
        self.shown: list[ModelInfo] = []
        self._benchmarking = False
        self.tasks = LibraryTasks(models.models_dir, self)
        # Questions to the user; tests replace them.
        self.confirm: Callable[[str, str], bool] = self._ask_yes_no
        self.ask_copy: Callable[[str], bool | None] = self._ask_copy
        self.setAcceptDrops(True)

        self.table = QTableWidget(0, COLUMNS)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Architecture"),
                self.tr("Parameters"),
                self.tr("Quantization"),
                self.tr("Trained context"),
                self.tr("Size"),
                self.tr("Fit"),
                self.tr("Chat template"),
                self.tr("Source"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.use_button = QPushButton(self.tr("Chat with this model"))
        self.import_button = QPushButton(self.tr("Import…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.reveal_button = QPushButton(self.tr("Show in folder"))
        self.default_button = QPushButton(self.tr("Set as default"))
        self.bench_button = QPushButton(self.tr("Run benchmark"))
        self.bench_button.setVisible(bench is not None)
        self.bench_result = QLabel()
        self.bench_result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        for button in (self.import_button, self.remove_button, self.reveal_button):
            buttons.addWidget(button)
        buttons.addWidget(self.default_button)
        buttons.addStretch(1)
        buttons.addWidget(self.bench_button)
        self.draft = DraftPicker(models.settings)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.drop_hint = QLabel(self.tr("Drop .gguf files here to import them."))
        self.drop_hint.setWordWrap(True)
        self.message = QLabel()  # what the last import or removal did; cleared on reopening
        self.message.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.draft)
        layout.addWidget(self.progress)
        layout.addWidget(self.drop_hint)
        layout.addWidget(self.message)
        layout.addWidget(self.bench_result)
        self._connect_signals()
        self.set_models(models.models)

    def _connect_signals(self) -> None:
        self.models.modelsListed.connect(self.set_models)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.use_button.clicked.connect(self.use_selected)
        self.table.doubleClicked.connect(self.use_selected)
        self.import_button.clicked.connect(self.choose_import)
        self.remove_button.clicked.connect(self.remove_selected)
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.default_button.clicked.connect(self.make_default)
        self.bench_button.clicked.connect(self.run_benchmark)
        self.draft.draftChanged.connect(self.draftChanged)
        if self.bench is not None:
            self.bench.worker.measured.connect(self._measured)
            self.bench.worker.failed.connect(self._bench_failed)
        worker = self.tasks.worker
        worker.progressed.connect(self._copy_progress)
        worker.imported.connect(self._imported)
        worker.removed.connect(self._removed)
        worker.failed.connect(self._failed)

    def clear_message(self) -> None:
        """On reopening the window: the last import's result is history."""
        if not self.tasks_busy:
            self.message.clear()

    @property
    def tasks_busy(self) -> bool:
        return not self.import_button.isEnabled()

    def stop(self) -> None:
        self.tasks.stop()
        if self.bench is not None:
            self.bench.stop()

    # --- the list ----------------------------------------------------------------------

    @Slot(list)
    def set_models(self, models: list[ModelInfo]) -> None:
        from parrotchat.core.models.info import human_bytes

        chosen = self.selected() or self.models.current
        self.shown = list(models)
        unusable = list(self.models.unusable)
        self.table.setRowCount(len(models) + len(unusable))
        sources = {
            "starter": self.tr("starter"),
            "library": self.tr("library"),
            "external": self.tr("referenced"),
        }
        for row, model in enumerate(models):
            name = model.display_name
            if self.models.settings.default_model in (model.name, model.path.name):
                name = self.tr("%1 (default)").replace("%1", model.display_name)
            template = model.chat_template_kind or self.tr("none (ChatML used)")
            cells = [
                name,
                model.architecture,
                _count(model.parameter_count),
                model.quantization,
                f"{model.context_length:,}" if model.context_length else "—",
                human_bytes(model.size_bytes),
                self._fit_text(model),
                template,
                sources[model.source],
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(model.path))
                self.table.setItem(row, column, item)
            if chosen is not None and model.path == chosen.path:
                self.table.selectRow(row)
        for row, (path, reason) in enumerate(unusable, start=len(models)):
            self._show_unusable(row, path, reason)
        self._selection_changed()

    def _show_unusable(self, row: int, path: Path, reason: str) -> None:
        """A file in the models folder that cannot be used: greyed, not selectable, and
        why (the first words here, the whole reason in the tooltip)."""
        shown = plain(reason)
        why = shown.removeprefix(f"{path}: ").removeprefix(f"{path.name}: ")
        short = why.split(":")[0].split(";")[0]
        cells = [path.name, self.tr("cannot be used: %1").replace("%1", short)]
        for column in range(COLUMNS):
            item = QTableWidgetItem(cells[column] if column < len(cells) else "")
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed and out of the selection
            item.setToolTip(shown if shown == reason else f"{shown}\n\n{reason}")
            self.table.setItem(row, column, item)

    def _fit_text(self, model: ModelInfo) -> str:
        from parrotchat.core.models.memory_fit import Fit

        fit = self.models.fit_of(model)
        return {
            None: "—",
            Fit.FITS: self.tr("fits"),
            Fit.PARTIAL_OFFLOAD: self.tr("partly on GPU"),
            Fit.TOO_LARGE: self.tr("too large"),
        }[fit]

    def selected(self) -> ModelInfo | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.shown):
            return None
        return self.shown[rows[0].row()]

    def select(self, name: str) -> None:
        """Select by path or file name, else by model name (the first one)."""
        for keys in (lambda m: (str(m.path), m.path.name), lambda m: (m.name,)):
            for row, model in enumerate(self.shown):
                if name in keys(model):
                    self.table.selectRow(row)
                    return

    @Slot()
    def _selection_changed(self) -> None:
        model = self.selected()
        self.reveal_button.setEnabled(model is not None)
        self.use_button.setEnabled(model is not None)
        self.default_button.setEnabled(model is not None)
        self.bench_button.setEnabled(model is not None and not self._benchmarking)
        self.remove_button.setEnabled(model is not None and model.source != "starter")
        self.draft.set_model(model)

    # --- actions -----------------------------------------------------------------------

    @Slot()
    def use_selected(self) -> None:
        model = self.selected()
        if model is not None:
            self.useRequested.emit(model)

    @Slot()
    def make_default(self) -> None:
        model = self.selected()
        if model is not None:
            self.defaultChosen.emit(model)
            self.set_models(self.shown)

    @Slot()
    def reveal_selected(self) -> None:
        model = self.selected()
        if model is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(model.path.parent)))

    @Slot()
    def remove_selected(self) -> None:
        from parrotchat.core.models.info import human_bytes

        model = self.selected()
        if model is None or model.source == "starter":
            return
        if model.source == "external":
            question = self.tr("Forget %1? The file stays where it is: %2").replace(
                "%2", str(model.path)
            )
        else:
            question = self.tr("Delete %1 from the library? This frees %2.").replace(
                "%2", human_bytes(model.size_bytes)
            )
        if self.confirm(self.tr("Remove model"), question.replace("%1", model.display_name)):
            self.tasks.removeRequested.emit(str(model.path))

    @Slot()
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a model"), "", self.tr("GGUF models (*.gguf);;All files (*)")
        )
        if path:
            self.import_path(path)

    def import_path(self, path: str) -> None:
        """Ask copy or use in place, then import `path` on the worker thread."""
        copy = self.ask_copy(path)
        if copy is None:
            return
        self.message.setText(self.tr("Importing %1…").replace("%1", Path(path).name))
        self.progress.setRange(0, 0)
        self.progress.setVisible(copy)
        self.import_button.setEnabled(False)
        self.tasks.importRequested.emit(path, copy)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if any(u.toLocalFile().lower().endswith(".gguf") for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".gguf"):
                event.acceptProposedAction()
                self.import_path(url.toLocalFile())
                return

    @Slot()
    def run_benchmark(self) -> None:
        model = self.selected()
        if model is None or self.bench is None or self._benchmarking:
            return
        self._benchmarking = True
        self.bench_button.setEnabled(False)
        self.bench_result.setText(
            self.tr("Measuring %1 in a separate engine…").replace("%1", model.display_name)
        )
        self.bench.runRequested.emit(model)

    @Slot(object, dict)
    def _measured(self, model: ModelInfo, result: dict[str, Any]) -> None:
        self._benchmarking = False
        self._selection_changed()
        text = self.tr(
            "%1: loaded in %2 s · prompt %3 tokens/s · reply %4 tokens/s · "
            "first token %5 s · peak memory %6 MB"
        )
        for key, value in (
            ("%1", model.display_name),
            ("%2", result["load_s"]),
            ("%3", result["prompt_tokens_per_s"]),
            ("%4", result["decode_tokens_per_s"]),
            ("%5", result["ttft_s"]),
            ("%6", result["peak_rss_mb"]),
        ):
            text = text.replace(key, str(value))
        self.bench_result.setText(text)

    @Slot(str)
    def _bench_failed(self, reason: str) -> None:
        self._benchmarking = False
        self._selection_changed()
        self.bench_result.setText(reason)

    # --- answers from the worker ---------------------------------------------------------

    @Slot(object, object)
    def _copy_progress(self, done: int, total: int) -> None:
        scale = max(1, total // 1_000_000)  # QProgressBar counts in int
        self.progress.setRange(0, max(1, total // scale))
        self.progress.setValue(done // scale)

    @Slot(object)
    def _imported(self, model: ModelInfo) -> None:
        self.progress.setVisible(False)
        self.import_button.setEnabled(True)
        self.message.setText(self.tr("Imported %1.").replace("%1", model.display_name))
        self.libraryChanged.emit()

    @Slot(str, object)
    def _removed(self, name: str, freed: int) -> None:
        from parrotchat.core.models.info import human_bytes

        self.message.setText(
            self.tr("Removed %1; %2 freed.").replace("%1", name).replace("%2", human_bytes(freed))
        )
        self.libraryChanged.emit()

    @Slot(str)
    def _failed(self, reason: str) -> None:
        self.progress.setVisible(False)
        self.import_button.setEnabled(True)
        self.message.setText(reason)

    # --- questions -------------------------------------------------------------------------

    def _ask_yes_no(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_copy(self, path: str) -> bool | None:
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("Import a model"))
        box.setText(
            self.tr("Copy %1 into the library, or use it where it is?").replace(
                "%1", Path(path).name
            )
        )
        copy = box.addButton(self.tr("Copy"), QMessageBox.ButtonRole.AcceptRole)
        in_place = box.addButton(self.tr("Use in place"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        if clicked is copy:
            return True
        if clicked is in_place:
            return False
        return None
