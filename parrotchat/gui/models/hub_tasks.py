"""The model hub for the window: search and file listings on a worker thread, and
the download queue, with every answer turned into a Qt signal.

No network call happens until the user asks for one, and none at all while the
offline switch is on: `HubClient` raises HubOfflineError before it connects.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal, Slot

from parrotchat.core.errors import ParrotError
from parrotchat.gui.models.hub_messages import plain_hub_message
from parrotchat.gui.runtime_messages import plain

if TYPE_CHECKING:
    from parrotchat.core.hub.client import HubClient
    from parrotchat.core.hub.config import HubConfig
    from parrotchat.core.hub.download_queue import DownloadEvent, DownloadQueue
    from parrotchat.core.hub.downloads import Downloader, PendingDownload
    from parrotchat.core.hub.files import FileChoice, RepoListing
    from parrotchat.core.settings import Settings


class HubWorker(QObject):
    """Runs on the worker thread.

    Signals:
        searched(list): RepoSummary list, best first.
        listed(object, list): the RepoListing and its ChoiceFit list.
        failed(str): one line naming what failed and why, in the user's language.
        resolved(object, object): a catalog entry's RepoListing and the FileChoice to get.
        resolveFailed(str, str): the repository id, and why its file cannot be had.
    """

    searched = Signal(list)
    listed = Signal(object, list)
    failed = Signal(str)
    resolved = Signal(object, object)
    resolveFailed = Signal(str, str)

    def __init__(self, hub: HubClient, context_length: int) -> None:
        super().__init__()
        self.hub = hub
        self.context_length = context_length

    @Slot(str, str)
    def search(self, text: str, sort: str) -> None:
        try:
            found = self.hub.search(text, sort=sort, limit=30)  # type: ignore[arg-type]
        except ParrotError as exc:
            self.failed.emit(plain_hub_message(exc, self.hub.config.endpoint))
        else:
            self.searched.emit(found)

    @Slot(str)
    def list_files(self, repo_id: str) -> None:
        from parrotchat.core.models.remote_fit import MachineMemory, assess_listing

        try:
            listing = self.hub.list_files(repo_id)
            fits = assess_listing(listing, MachineMemory.measure(), self.context_length)
        except ParrotError as exc:
            self.failed.emit(plain_hub_message(exc, self.hub.config.endpoint))
        else:
            self.listed.emit(listing, fits)

    @Slot(str, str, str)
    def resolve(self, repo_id: str, path: str, quant: str) -> None:
        """A catalog entry's file as the hub lists it now (see catalog.choose_file)."""
        from parrotchat.core.models.catalog import choose_file
        from parrotchat.core.models.remote_fit import MachineMemory

        try:
            listing = self.hub.list_files(repo_id)
            choice = choose_file(listing, path, quant, MachineMemory.measure(), self.context_length)
        except ParrotError as exc:
            self.resolveFailed.emit(repo_id, plain_hub_message(exc, self.hub.config.endpoint))
        else:
            self.resolved.emit(listing, choice)


class HubTasks(QObject):
    """Owns the hub client, the worker thread and the download queue.

    Signals:
        searchRequested(str, str) / listRequested(str): queue work on the worker.
        resolveRequested(str, str, str): a catalog entry's repository, file and quantization.
        downloadEvent(object): a DownloadEvent (emitted on a queue thread, delivered queued).
    """

    searchRequested = Signal(str, str)
    listRequested = Signal(str)
    resolveRequested = Signal(str, str, str)
    downloadEvent = Signal(object)

    def __init__(
        self,
        settings: Settings,
        models_dir: Path,
        downloads_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from parrotchat.core.hub.client import HubClient
        from parrotchat.core.hub.download_queue import DownloadQueue
        from parrotchat.core.hub.downloads import Downloader

        self.settings = settings
        self.hub: HubClient = HubClient(self.config())
        self.downloader: Downloader = Downloader(self.hub, Path(models_dir), Path(downloads_dir))
        self.queue: DownloadQueue = DownloadQueue(self.downloader, self._on_event)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("model-hub")
        self.worker = HubWorker(self.hub, settings.context_length)
        self.worker.moveToThread(self.worker_thread)
        self.searchRequested.connect(self.worker.search)
        self.listRequested.connect(self.worker.list_files)
        self.resolveRequested.connect(self.worker.resolve)
        self.worker_thread.start()

    def config(self) -> HubConfig:
        """From the settings; a bad endpoint turns hub features off, saying why."""
        from parrotchat.core.hub.config import HubConfig

        try:
            return HubConfig.from_settings(self.settings)
        except ParrotError as exc:
            return HubConfig(offline=True, offline_reason=str(exc))

    def reconfigure(self) -> None:
        """After the Network settings changed."""
        self.hub.reconfigure(self.config())

    def offline_reason(self) -> str | None:
        """Why hub features are off, or None when they are on."""
        config = self.config()
        return plain(config.offline_reason) if config.offline else None

    def pending(self) -> list[PendingDownload]:
        return self.downloader.pending()

    def download(self, listing: RepoListing, choice: FileChoice) -> int:
        from parrotchat.core.hub.downloads import DownloadRequest

        return self.queue.add(DownloadRequest.from_listing(listing, choice))

    def resume_pending(self, pending: PendingDownload) -> int:
        return self.queue.add(pending.request)

    def _on_event(self, event: DownloadEvent) -> None:
        # A queue thread: only emit (Qt delivers it to the GUI thread, queued).
        with contextlib.suppress(RuntimeError):  # the dialog closed meanwhile
            self.downloadEvent.emit(event)

    def stop(self) -> None:
        self.queue.close()
        if self.worker_thread.isRunning():
            self.worker_thread.quit()
            self.worker_thread.wait()
