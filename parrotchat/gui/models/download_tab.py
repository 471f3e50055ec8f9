"""The Models window's Download tab: search the hub, pick a file, download it.

Search and listing run on HubTasks' worker thread; downloads run in its queue.
With the offline switch on, the tab says why and makes no network call.

Signals:
    modelDownloaded(object): a verified model is in the library (its ModelInfo).
    settingsSaved(): the Network settings changed (write them to disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from parrotchat.gui.bands import NoticeLabel
from parrotchat.gui.models.hub_tasks import HubTasks
from parrotchat.gui.models.network_settings import NetworkSettings

if TYPE_CHECKING:
    from parrotchat.core.hub.download_queue import DownloadEvent
    from parrotchat.core.hub.downloads import DownloadRequest
    from parrotchat.core.hub.files import RepoListing, RepoSummary
    from parrotchat.core.models.remote_fit import ChoiceFit


@dataclass
class _Row:
    key: tuple[str, str]  # repo id, file key
    request: DownloadRequest
    task_id: int | None = None
    state: str = "paused"


class DownloadTab(QWidget):
    modelDownloaded = Signal(object)
    settingsSaved = Signal()

    def __init__(self, tasks: HubTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.listing: RepoListing | None = None
        self.fits: list[ChoiceFit] = []
        self.rows: list[_Row] = []

        self.offline_label = NoticeLabel()
        self.query = QLineEdit()
        self.query.setPlaceholderText(self.tr("Search GGUF models, e.g. qwen"))
        self.sort = QComboBox()
        self.sort.addItem(self.tr("Most downloaded"), "downloads")
        self.sort.addItem(self.tr("Most liked"), "likes")
        self.sort.addItem(self.tr("Recently updated"), "recent")
        self.search_button = QPushButton(self.tr("Search"))
        search_row = QHBoxLayout()
        search_row.addWidget(self.query, 1)
        search_row.addWidget(self.sort)
        search_row.addWidget(self.search_button)

        self.results = QListWidget()
        self.files = QTableWidget(0, 4)
        self.files.setHorizontalHeaderLabels(
            [self.tr("File"), self.tr("Quantization"), self.tr("Size"), self.tr("Fit")]
        )
        self._table_look(self.files)
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        browse = QHBoxLayout()
        browse.addWidget(self.results, 2)
        browse.addWidget(self.files, 3)
        self.browse_hint = QLabel(
            self.tr(
                "Search the model hub by name (for example qwen, exaone or gemma), choose a "
                "repository on the left, then a file on the right: the one marked "
                "(recommended) fits this computer. Not sure what to pick? The Recommended tab "
                "lists models chosen for this computer."
            )
        )
        self.browse_hint.setWordWrap(True)
        self.downloads_hint = QLabel(
            self.tr(
                "Nothing is downloading. Downloads appear here; they can be paused, and they "
                "resume where they stopped, even after ParrotChat is closed."
            )
        )
        self.downloads_hint.setWordWrap(True)

        self.downloads = QTableWidget(0, 3)
        self.downloads.setHorizontalHeaderLabels(
            [self.tr("Download"), self.tr("Progress"), self.tr("Status")]
        )
        self._table_look(self.downloads)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        controls = QHBoxLayout()
        controls.addWidget(self.download_button)
        controls.addStretch(1)
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            controls.addWidget(button)
        self.network = NetworkSettings(tasks.settings)

        layout = QVBoxLayout(self)
        layout.addWidget(self.offline_label)
        layout.addLayout(search_row)
        layout.addWidget(self.browse_hint)
        layout.addLayout(browse, 3)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.downloads_hint)
        layout.addWidget(self.downloads, 2)
        layout.addWidget(self.network)
        self._connect_signals()
        self._show_pending()
        self.update_offline()
        self._update_hints()

    @staticmethod
    def _table_look(table: QTableWidget) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _connect_signals(self) -> None:
        self.search_button.clicked.connect(self.search)
        self.query.returnPressed.connect(self.search)
        self.results.currentItemChanged.connect(self._repo_chosen)
        self.files.itemSelectionChanged.connect(self._file_chosen)
        self.download_button.clicked.connect(self.download_selected)
        self.downloads.itemSelectionChanged.connect(self._update_controls)
        self.pause_button.clicked.connect(self._pause)
        self.resume_button.clicked.connect(self._resume)
        self.cancel_button.clicked.connect(self._cancel)
        self.network.saved.connect(self._network_saved)
        worker = self.tasks.worker
        worker.searched.connect(self._searched)
        worker.listed.connect(self._listed)
        worker.failed.connect(self._failed)
        self.tasks.downloadEvent.connect(self._download_event)

    # --- offline -------------------------------------------------------------------------

    def update_offline(self) -> bool:
        """Show why hub features are off; True when they are."""
        reason = self.tasks.offline_reason()
        self.offline_label.setVisible(reason is not None)
        if reason is not None:
            self.offline_label.setText(
                self.tr("Hub features are unavailable. %1").replace("%1", reason)
            )
        for widget in (self.query, self.sort, self.search_button):
            widget.setEnabled(reason is None)
        if reason is not None:
            self.download_button.setEnabled(False)
        self._update_controls()
        return reason is not None

    @Slot()
    def _network_saved(self) -> None:
        self.tasks.reconfigure()
        self.update_offline()
        self.settingsSaved.emit()

    # --- search and files ------------------------------------------------------------------

    @Slot()
    def search(self) -> None:
        text = self.query.text().strip()
        if self.update_offline() or not text:
            return
        self.status.setText(self.tr("Searching…"))
        self.tasks.searchRequested.emit(text, str(self.sort.currentData()))

    @Slot(list)
    def _searched(self, found: list[RepoSummary]) -> None:
        self.results.clear()
        for repo in found:
            params = f" · {repo.gguf.parameters / 1e9:.1f}B" if repo.gguf.parameters else ""
            counts = f"↓ {repo.downloads or 0:,}  ♥ {repo.likes or 0:,}{params}"
            item = QListWidgetItem(f"{repo.repo_id}\n{counts}")
            item.setData(Qt.ItemDataRole.UserRole, repo.repo_id)
            self.results.addItem(item)
        self._update_hints()
        self.status.setText(
            self.tr("Repositories found: %1").replace("%1", str(len(found)))
            if found
            else self.tr("No GGUF repositories match.")
        )

    @Slot(QListWidgetItem, QListWidgetItem)
    def _repo_chosen(self, item: QListWidgetItem | None, _old: QListWidgetItem | None) -> None:
        if item is None or self.update_offline():
            return
        self.files.setRowCount(0)
        self.download_button.setEnabled(False)
        self.status.setText(self.tr("Listing files…"))
        self.tasks.listRequested.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(object, list)
    def _listed(self, listing: RepoListing, fits: list[ChoiceFit]) -> None:
        from parrotchat.core.models.info import human_bytes

        self.listing, self.fits = listing, fits
        badges = {
            "fits": self.tr("fits"),
            "partial_offload": self.tr("partly on GPU"),
            "too_large": self.tr("too large"),
        }
        self.files.setRowCount(len(fits))
        for row, fit in enumerate(fits):
            choice = fit.choice
            cells = [
                choice.label + (self.tr(" (recommended)") if fit.recommended else ""),
                choice.quantization or "?",
                human_bytes(choice.size),
                badges[fit.fit.fit.value],
            ]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(fit.fit.reason)
                self.files.setItem(row, column, cell)
        chosen = next((i for i, f in enumerate(fits) if f.recommended), 0 if fits else None)
        if chosen is not None:
            self.files.selectRow(chosen)
        self.status.setText(
            listing.repo_id if fits else self.tr("This repository has no usable GGUF files.")
        )

    @Slot()
    def _file_chosen(self) -> None:
        self.download_button.setEnabled(self.chosen_fit() is not None)

    def chosen_fit(self) -> ChoiceFit | None:
        rows = self.files.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.fits):
            return None
        return self.fits[rows[0].row()]

    @Slot(str)
    def _failed(self, reason: str) -> None:
        self.status.setText(reason)

    # --- downloads ----------------------------------------------------------------------------

    @Slot()
    def download_selected(self) -> None:
        fit = self.chosen_fit()
        if fit is None or self.listing is None or self.update_offline():
            return
        self.tasks.download(self.listing, fit.choice)

    def _show_pending(self) -> None:
        for pending in self.tasks.pending():
            row = self._row_for(pending.request)
            text = self.tr("Paused (from an earlier run)")
            self._show_row(row, text, pending.done, pending.total)

    def _row_for(self, request: DownloadRequest) -> _Row:
        key = (request.repo_id, request.choice.key)
        for row in self.rows:
            if row.key == key:
                return row
        row = _Row(key, request)
        self.rows.append(row)
        index = len(self.rows) - 1
        self.downloads.setRowCount(len(self.rows))
        self.downloads.setItem(index, 0, QTableWidgetItem(request.choice.label))
        bar = QProgressBar()
        bar.setRange(0, 1000)
        self.downloads.setCellWidget(index, 1, bar)
        self.downloads.setItem(index, 2, QTableWidgetItem())
        self._update_hints()
        return row

    def _show_row(self, row: _Row, text: str, done: int, total: int) -> None:
        index = self.rows.index(row)
        bar = self.downloads.cellWidget(index, 1)
        if isinstance(bar, QProgressBar) and total > 0:
            bar.setValue(int(1000 * done / total))
        item = self.downloads.item(index, 2)
        if item is not None:
            item.setText(text)

    @Slot(object)
    def _download_event(self, event: DownloadEvent) -> None:
        from parrotchat.core.models.info import human_bytes

        task = event.task
        row = self._row_for(task.request)
        row.task_id, row.state = task.task_id, task.state
        p = task.progress
        done, total = (p.done, p.total) if p is not None else (0, task.request.choice.size)
        if event.kind == "progress" and p is not None:
            text = self.tr("%1 of %2").replace("%1", human_bytes(p.done))
            text = text.replace("%2", human_bytes(p.total))
            if p.speed > 0:
                text += f" · {human_bytes(int(p.speed))}/s"
            if p.eta is not None:
                text += " · " + self.tr("%1 left").replace(
                    "%1", f"{int(p.eta) // 60}:{int(p.eta) % 60:02d}"
                )
        elif event.kind == "done":
            text, done = self.tr("Done: in the library"), total
        elif event.kind == "failed":
            text = self.tr("Failed: %1").replace("%1", task.error or "")
        else:
            text = {
                "queued": self.tr("Waiting"),
                "started": self.tr("Starting"),
                "paused": self.tr("Paused"),
                "cancelled": self.tr("Cancelled"),
            }.get(event.kind, event.kind)
        self._show_row(row, text, done, total)
        self._update_controls()
        if event.kind == "done" and task.model is not None:
            self.modelDownloaded.emit(task.model)

    def _selected_row(self) -> _Row | None:
        rows = self.downloads.selectionModel().selectedRows()
        if not rows and len(self.rows) == 1:
            return self.rows[0]
        return self.rows[rows[0].row()] if rows else None

    @Slot()
    def _pause(self) -> None:
        row = self._selected_row()
        if row is not None and row.task_id is not None:
            self.tasks.queue.pause(row.task_id)

    @Slot()
    def _resume(self) -> None:
        row = self._selected_row()
        if row is None or self.update_offline():
            return
        if row.task_id is None:
            self.tasks.queue.add(row.request)  # from an earlier run: continues its .part
        else:
            self.tasks.queue.resume(row.task_id)

    @Slot()
    def _cancel(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        if row.task_id is not None:
            self.tasks.queue.cancel(row.task_id)
        elif row.state == "paused":
            self.tasks.downloader.discard(row.request)
            row.state = "cancelled"
            self._show_row(row, self.tr("Cancelled"), 0, 1)
            self._update_controls()

    # --- guidance and controls ---------------------------------------------------------------

    def _update_hints(self) -> None:
        self.browse_hint.setVisible(self.results.count() == 0)
        self.downloads_hint.setVisible(not self.rows)
        self._update_controls()

    def show_downloads_hint(self) -> None:
        """After a download was queued elsewhere (the Recommended tab)."""
        self._update_hints()

    @Slot()
    def _update_controls(self) -> None:
        """Pause, Resume and Cancel only where they would do something."""
        row = self._selected_row()
        state = row.state if row is not None else None
        online = self.tasks.offline_reason() is None
        self.pause_button.setEnabled(state in ("queued", "running"))
        self.resume_button.setEnabled(online and state in ("paused", "failed"))
        self.cancel_button.setEnabled(state in ("queued", "running", "paused", "failed"))
