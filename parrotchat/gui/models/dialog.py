"""The Models window: recommended models, the local library, the hub and the saved
servers, in tabs (Recommended first: where a new user finds a better model).

It owns two worker threads (library changes, hub calls and downloads) and stops
them when it closes. A change to the library ends in a rescan by the
ModelController, so the model picker lists new models at once.

Signals:
    settingsChanged(): a setting was changed here (default model, draft model, network);
        save them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from parrotchat.gui.bench_runner import BenchRunner
from parrotchat.gui.models.download_tab import DownloadTab
from parrotchat.gui.models.hub_tasks import HubTasks
from parrotchat.gui.models.library_tab import LibraryTab
from parrotchat.gui.models.recommended_tab import RecommendedTab
from parrotchat.gui.models.servers_tab import ServersTab

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.core.paths import AppPaths
    from parrotchat.gui.models.controller import ModelController


class ModelsDialog(QDialog):
    settingsChanged = Signal()

    def __init__(
        self,
        models: ModelController,
        downloads_dir: Path,
        paths: AppPaths | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.resize(980, 680)
        self.models = models
        bench = BenchRunner(paths, models.settings, self) if paths is not None else None
        self.library = LibraryTab(models, bench)
        self.hub = HubTasks(models.settings, Path(models.models_dir), downloads_dir, self)
        self.download = DownloadTab(self.hub)
        self.recommended = RecommendedTab(self.hub, paths.config_dir if paths else None)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.recommended, self.tr("Recommended"))
        self.tabs.addTab(self.library, self.tr("Library"))
        self.tabs.addTab(self.download, self.tr("Download"))
        self.servers: ServersTab | None = None
        if models.servers is not None:
            self.servers = ServersTab(models.servers)
            self.tabs.addTab(self.servers, self.tr("Servers"))
            self.servers.serversChanged.connect(self.models.list_servers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.close)
        self.library.defaultChosen.connect(self._default_chosen)
        self.library.libraryChanged.connect(self._rescan)
        self.library.useRequested.connect(self.models.choose)
        self.library.draftChanged.connect(self._draft_changed)
        self.download.modelDownloaded.connect(self._downloaded)
        self.download.settingsSaved.connect(self.settingsChanged)
        self.recommended.downloadQueued.connect(self._catalog_download_queued)
        self.models.modelsListed.connect(self._models_listed)
        self._models_listed(self.models.models)

    def show_tab(self, name: str) -> None:
        """Bring a tab to the front: "recommended", "library", "download" or "servers"."""
        tab = {
            "recommended": self.recommended,
            "library": self.library,
            "download": self.download,
            "servers": self.servers,
        }.get(name)
        if tab is not None:
            self.tabs.setCurrentWidget(tab)

    @Slot(list)
    def _models_listed(self, models: list[ModelInfo]) -> None:
        only_starter = all(m.source == "starter" for m in models)
        self.recommended.set_intro(only_starter=only_starter)

    @Slot(str)
    def _catalog_download_queued(self, _label: str) -> None:
        self.download.show_downloads_hint()

    @Slot(object)
    def _default_chosen(self, model: ModelInfo) -> None:
        self.models.settings.default_model = model.name
        self.settingsChanged.emit()

    @Slot(object)
    def _draft_changed(self, model: ModelInfo) -> None:
        self.settingsChanged.emit()
        current = self.models.current
        if current is not None and current.path == model.path:
            self.models.reload()  # the engine loads a draft model with its chat model

    @Slot()
    def _rescan(self) -> None:
        self.models.scan(load_default=False)

    @Slot(object)
    def _downloaded(self, model: ModelInfo) -> None:
        self._rescan()
        self.library.message.setText(self.tr("Downloaded %1.").replace("%1", model.display_name))

    def stop(self) -> None:
        """Pause downloads (they resume next time) and stop the worker threads."""
        self.library.stop()
        self.hub.stop()
        if self.servers is not None:
            self.servers.stop()

    def showEvent(self, event: QShowEvent) -> None:
        # An import's error from last time is not news when the window is opened again.
        if not event.spontaneous():
            self.library.clear_message()
        super().showEvent(event)

    def reject(self) -> None:
        self.hide()  # downloads go on; MainWindow.detach stops them
