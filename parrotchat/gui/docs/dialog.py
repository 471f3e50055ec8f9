"""The Documents window: collections, their files and why some failed, indexing with Cancel.

Files and folders come in by drag and drop or the pickers; indexing runs on the
library's thread (library.py) and this window only shows its progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.errors import ParrotError
from parrotchat.gui.docs.library import DocumentLibrary

if TYPE_CHECKING:
    from parrotchat.core.docs.index import IndexProgress, IndexReport
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.service.embedder import EmbedReport

POOLING_RANK = 4  # llama.cpp's LLAMA_POOLING_TYPE_RANK: a reranker, it gives no vectors

DEFAULT_COLLECTION = "Documents"


class DocumentsDialog(QDialog):
    """Manage document collections. Drop files or folders anywhere on it to add them
    to the selected collection (a new "Documents" one when there is none).

    Signals:
        settingsChanged(): the embedding model was chosen anew; save the settings.
    """

    settingsChanged = Signal()

    def __init__(
        self,
        library: DocumentLibrary,
        parent: QWidget | None = None,
        models: list[ModelInfo] | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self._embed_note = ""  # what the embedding pass said, shown with the report
        self.setObjectName("documentsDialog")
        self.setWindowTitle(self.tr("Documents"))
        self.setAcceptDrops(True)
        self.resize(860, 520)

        self.collections = QListWidget()
        self.collections.setObjectName("collectionsList")
        self.new_button = QPushButton(self.tr("New collection…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("Collections")))
        left_layout.addWidget(self.collections, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.remove_button)
        left_layout.addLayout(row)

        self.files = QTableWidget(0, 4)
        self.files.setObjectName("filesTable")
        self.files.setHorizontalHeaderLabels(
            [self.tr("File"), self.tr("Status"), self.tr("Passages"), self.tr("Reason")]
        )
        self.files.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.files.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.files.verticalHeader().setVisible(False)
        header = self.files.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.add_folder_button = QPushButton(self.tr("Add folder…"))
        self.add_files_button = QPushButton(self.tr("Add files…"))
        self.rescan_button = QPushButton(self.tr("Re-scan"))
        self.drop_hint = QLabel(self.tr("Drop files or folders here to add them."))
        self.drop_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        for button in (self.add_folder_button, self.add_files_button, self.rescan_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.files, 1)
        right_layout.addWidget(self.drop_hint)
        self.embedding_model = QComboBox()
        self.embedding_model.setObjectName("embeddingModel")
        self.embedding_model.setToolTip(
            self.tr(
                "An embedding model (bge-m3, multilingual-e5, nomic-embed-text…) lets "
                "search match meaning, not only words."
            )
        )
        meaning = QHBoxLayout()
        meaning.addWidget(QLabel(self.tr("Search by meaning with:")))
        meaning.addWidget(self.embedding_model, 1)
        right_layout.addLayout(meaning)
        self.set_models(models or [])

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([240, 620])

        self.status = QLabel()
        self.status.setObjectName("indexStatus")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setVisible(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self._connect_signals()
        self.refresh()
        self._set_running(self.library.running)

    def _connect_signals(self) -> None:
        self.collections.currentItemChanged.connect(self._collection_changed)
        self.new_button.clicked.connect(self._new_collection)
        self.remove_button.clicked.connect(self._remove)
        self.add_folder_button.clicked.connect(self._pick_folder)
        self.add_files_button.clicked.connect(self._pick_files)
        self.rescan_button.clicked.connect(self._rescan)
        self.cancel_button.clicked.connect(self.library.cancel)
        self.library.collectionsChanged.connect(self.refresh)
        self.library.indexStarted.connect(self._set_running)
        self.library.indexProgress.connect(self._show_progress)
        self.library.indexFinished.connect(self._show_report)
        self.library.indexFailed.connect(self._show_failure)
        self.library.embedProgress.connect(self._show_embedding)
        self.library.embedFinished.connect(self._embedding_done)
        self.library.embedFailed.connect(self._embedding_failed)
        self.embedding_model.activated.connect(self._embedding_chosen)

    # --- the embedding model ---------------------------------------------------------

    def set_models(self, models: list[ModelInfo]) -> None:
        """Offer these models (rerankers left out) and words only; the one in the
        settings is selected, listed even when the library does not hold it."""
        chosen = self.library.settings.embedding_model if self.library.settings else None
        combo = self.embedding_model
        combo.clear()
        combo.addItem(self.tr("None (search by words only)"), None)
        for model in models:
            if model.pooling_type != POOLING_RANK:
                combo.addItem(model.display_name, str(model.path))
        if chosen and combo.findData(chosen) < 0:
            combo.addItem(Path(chosen).name, chosen)
        combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen else 0)
        combo.setEnabled(self.library.settings is not None)

    @Slot(int)
    def _embedding_chosen(self, row: int) -> None:
        settings = self.library.settings
        if settings is None:
            return
        chosen = self.embedding_model.itemData(row)
        if chosen == settings.embedding_model:
            return
        settings.embedding_model = str(chosen) if chosen else None
        self.settingsChanged.emit()
        if chosen:
            text = self.tr(
                "Passages will be embedded with %1; Re-scan embeds those already indexed."
            )
            self.status.setText(text.replace("%1", self.embedding_model.itemText(row)))
        else:
            self.status.setText(self.tr("Documents are searched by their words alone."))

    # --- what is shown ---------------------------------------------------------------

    @property
    def current(self) -> str | None:
        item = self.collections.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    @Slot()
    def refresh(self) -> None:
        """Read the collections again, keeping the one selected."""
        keep = self.current
        try:
            infos = self.library.collections()
        except ParrotError as exc:
            self.status.setText(str(exc))
            return
        self.collections.blockSignals(True)
        self.collections.clear()
        for info in infos:
            text = self.tr("%1\n%2 files, %3 passages").replace("%1", info.name)
            text = text.replace("%2", str(info.files)).replace("%3", str(info.chunks))
            if info.failed:
                text += " · " + self.tr("%1 failed").replace("%1", str(info.failed))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            self.collections.addItem(item)
            if info.name == keep:
                self.collections.setCurrentItem(item)
        if self.collections.currentItem() is None and self.collections.count():
            self.collections.setCurrentRow(0)
        self.collections.blockSignals(False)
        self._show_files(self.current)

    @Slot()
    def _collection_changed(self) -> None:
        self._show_files(self.current)

    def _show_files(self, collection: str | None) -> None:
        self.files.setRowCount(0)
        has = collection is not None
        for button in (self.remove_button, self.rescan_button):
            button.setEnabled(has and self.library.running is None)
        if collection is None:
            return
        try:
            files = self.library.files(collection)
        except ParrotError as exc:
            self.status.setText(str(exc))
            return
        statuses = {
            "indexed": self.tr("Indexed"),
            "pending": self.tr("Waiting"),
            "failed": self.tr("Failed"),
        }
        self.files.setRowCount(len(files))
        for row, info in enumerate(files):
            cells = [
                info.path,
                statuses.get(info.status, info.status),
                str(info.chunks),
                info.reason or "",
            ]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.files.setItem(row, column, cell)

    # --- adding, removing ------------------------------------------------------------

    def add_paths(self, paths: list[Path], collection: str | None = None) -> bool:
        """Add to `collection` (else the selected one, else a new "Documents") and index."""
        name = collection or self.current or DEFAULT_COLLECTION
        if not paths:
            return False
        if not self.library.add(name, paths):
            self.status.setText(self.tr("Wait for the indexing under way to finish, or cancel it."))
            return False
        return True

    @Slot()
    def _new_collection(self) -> None:
        name, ok = QInputDialog.getText(
            self, self.tr("New collection"), self.tr("Name of the collection:")
        )
        name = name.strip()
        if not ok or not name:
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder to add"))
        if folder:
            self.add_paths([Path(folder)], name)

    @Slot()
    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder to add"))
        if folder:
            self.add_paths([Path(folder)])

    @Slot()
    def _pick_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Choose files to add"),
            "",
            self.tr("Documents (*.txt *.md *.html *.htm *.pdf *.docx *.hwpx *.hwp)"),
        )
        if names:
            self.add_paths([Path(n) for n in names])

    @Slot()
    def _rescan(self) -> None:
        if self.current is not None:
            self.library.rescan(self.current)

    @Slot()
    def _remove(self) -> None:
        name = self.current
        if name is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Remove collection"),
            self.tr("Remove “%1” from ParrotChat? The files themselves stay where they are.")
            .replace("%1", name),
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.library.remove(name)
        except ParrotError as exc:
            self.status.setText(str(exc))

    # --- drag and drop ---------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and self.library.running is None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and self.add_paths(paths):
            event.acceptProposedAction()

    # --- indexing --------------------------------------------------------------------

    @Slot(str)
    def _set_running(self, collection: str | None) -> None:
        running = collection is not None
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        for button in (self.add_folder_button, self.add_files_button, self.new_button):
            button.setEnabled(not running)
        self.embedding_model.setEnabled(not running and self.library.settings is not None)
        self._show_files(self.current)
        if running:
            self.progress.setRange(0, 0)  # busy until the first progress says how much
            self.status.setText(self.tr("Indexing “%1”…").replace("%1", str(collection)))

    @Slot(object)
    def _show_progress(self, progress: IndexProgress) -> None:
        total = max(progress.bytes_total, 1)
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * min(progress.bytes_done, total) / total))
        text = self.tr("Indexing: %1 of %2 files").replace("%1", str(progress.files_done))
        text = text.replace("%2", str(progress.files_total))
        if progress.current:
            text += f" · {Path(progress.current).name}"
        self.status.setText(text)

    @Slot(str, int, int)
    def _show_embedding(self, model: str, done: int, total: int) -> None:
        if done == 0:
            self.progress.setRange(0, 0)  # the model loads
            text = self.tr("Loading the embedding model %1…").replace("%1", model)
        else:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(min(done, total))
            text = self.tr("Embedding passages with %1: %2 of %3").replace("%1", model)
            text = text.replace("%2", str(done)).replace("%3", str(total))
        self.status.setText(text)

    @Slot(object)
    def _embedding_done(self, report: EmbedReport) -> None:
        if report.cancelled:
            self._embed_note = self.tr("Embedding cancelled; Re-scan goes on.")
        else:
            self._embed_note = self.tr("%1 passages embedded.").replace("%1", str(report.embedded))

    @Slot(str)
    def _embedding_failed(self, reason: str) -> None:
        self._embed_note = self.tr(
            "Passages could not be embedded (%1); they are searched by their words."
        ).replace("%1", reason)

    @Slot(object)
    def _show_report(self, report: IndexReport) -> None:
        self._set_running(None)
        note, self._embed_note = self._embed_note, ""
        if report.cancelled:
            text = self.tr("Cancelled. What was indexed so far is kept; Re-scan goes on.")
        else:
            text = self.tr("Done: %1 indexed, %2 unchanged, %3 removed.")
            text = text.replace("%1", str(report.indexed)).replace("%2", str(report.unchanged))
            text = text.replace("%3", str(report.removed))
        if report.failed:
            text += " " + self.tr("%1 files could not be read (see Reason).").replace(
                "%1", str(len(report.failed))
            )
        if note:
            text += " " + note
        self.status.setText(text)

    @Slot(str)
    def _show_failure(self, reason: str) -> None:
        self._set_running(None)
        self.status.setText(self.tr("Indexing stopped: %1").replace("%1", reason))
