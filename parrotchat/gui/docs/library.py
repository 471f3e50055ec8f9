"""The window's document collections: reads on the GUI thread, indexing on its own.

SQLite connections belong to the thread that made them: the GUI thread keeps one
for the quick reads (the lists, a reply's search), and each indexing run opens its
own in its thread. Adding paths is a write that may wait on a running index, so it
goes to the indexing thread too, in the same run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal, Slot

from parrotchat.core.errors import ParrotError

PROGRESS_INTERVAL_S = 0.1

if TYPE_CHECKING:
    from parrotchat.core.docs.index import (
        CollectionInfo,
        DocumentIndex,
        FileInfo,
        IndexProgress,
        IndexReport,
    )
    from parrotchat.core.settings import Settings
    from parrotchat.service.embedder import EmbedProgress


class IndexWorker(QObject):
    """One indexing run in its thread: add the paths (if any), index the collection,
    then, with an embedding model chosen, give every passage without one its vector.

    Signals:
        progress(object): an IndexProgress.
        embedProgress(str, int, int): the embedding model's name, passages embedded,
            passages to embed (0 of n while the model loads).
        embedded(object): the EmbedReport of the embedding pass.
        embedFailed(str): the embedding model could not be loaded or stopped: the
            reason (the words-only index is complete all the same).
        finished(object): the IndexReport (cancelled or not), after the embedding pass.
        failed(str): the run could not go on: the reason, one line.
    """

    progress = Signal(object)
    embedProgress = Signal(str, int, int)
    embedded = Signal(object)
    embedFailed = Signal(str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        db: Path,
        collection: str,
        paths: list[Path],
        embedding: tuple[Settings, Path] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.collection = collection
        self.paths = paths
        self.embedding = embedding  # (the settings naming the model, the models folder)
        self.stop_event = threading.Event()
        self._last_progress = 0.0

    def _progress(self, progress: IndexProgress) -> None:
        # A callback a chunk would flood the GUI thread's queue: ~10 a second, and the last.
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL_S or (
            progress.files_done >= progress.files_total
        ):
            self._last_progress = now
            self.progress.emit(progress)

    @Slot()
    def run(self) -> None:
        from parrotchat.core.docs.index import DocumentIndex, index_collection

        try:
            index = DocumentIndex(self.db)
            try:
                if self.paths:
                    index.add_paths(self.collection, self.paths)
                report = index_collection(
                    index,
                    self.collection,
                    progress=self._progress,
                    should_stop=self.stop_event.is_set,
                )
                if not report.cancelled:
                    self._embed(index)
            finally:
                index.close()
        except (ParrotError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(report)

    def _embed(self, index: DocumentIndex) -> None:
        """Vectors for the passages without one, when an embedding model is chosen."""
        from parrotchat.gui.docs.embedding import find_embedding_model, start_embedder
        from parrotchat.service.embedder import embed_pending

        if self.embedding is None or not self.embedding[0].embedding_model:
            return
        settings, models_dir = self.embedding
        chosen = settings.embedding_model or ""
        try:
            model = find_embedding_model(models_dir, chosen)
            name = model.display_name
            waiting = index.count_without_vectors(model.path.name)
            if waiting == 0:
                return
            self.embedProgress.emit(name, 0, waiting)
            embedder = start_embedder(model, settings)
            try:

                def progress(p: EmbedProgress) -> None:
                    self.embedProgress.emit(name, p.done, p.total)

                report = embed_pending(
                    index, embedder, progress=progress, should_stop=self.stop_event.is_set
                )
            finally:
                embedder.close()
        except ParrotError as exc:
            self.embedFailed.emit(str(exc))
            return
        self.embedded.emit(report)


class DocumentLibrary(QObject):
    """The collections of one index file, and the one indexing run at a time.

    Signals:
        collectionsChanged(): a collection was added, changed or removed.
        indexStarted(str): a run began on this collection.
        indexProgress(object): an IndexProgress of the run.
        indexFinished(object): its IndexReport (report.cancelled after Cancel).
        indexFailed(str): the run stopped on an error: the reason.
        embedProgress(str, int, int): model name, passages embedded, to embed.
        embedFinished(object): the EmbedReport, before indexFinished.
        embedFailed(str): embedding could not be done: the reason, before indexFinished.
    """

    collectionsChanged = Signal()
    indexStarted = Signal(str)
    indexProgress = Signal(object)
    embedProgress = Signal(str, int, int)
    embedFinished = Signal(object)
    embedFailed = Signal(str)
    indexFinished = Signal(object)
    indexFailed = Signal(str)

    def __init__(
        self,
        db: Path,
        parent: QObject | None = None,
        *,
        settings: Settings | None = None,
        models_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        # The settings name the embedding model (embedding_model), found in models_dir;
        # without them, passages are indexed for words alone.
        self.settings = settings
        self.models_dir = models_dir
        self._index: DocumentIndex | None = None
        self._thread: QThread | None = None
        self._worker: IndexWorker | None = None
        self.running: str | None = None  # the collection being indexed

    @property
    def index(self) -> DocumentIndex:
        """The GUI thread's connection (opened on first use)."""
        if self._index is None:
            from parrotchat.core.docs.index import DocumentIndex

            self._index = DocumentIndex(self.db)
        return self._index

    # --- reads ------------------------------------------------------------------------

    def collections(self) -> list[CollectionInfo]:
        return self.index.collections()

    def names(self) -> list[str]:
        return [c.name for c in self.collections()]

    def files(self, collection: str) -> list[FileInfo]:
        return self.index.files(collection)

    # --- changes ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def add(self, collection: str, paths: list[Path]) -> bool:
        """Add files and folders to a collection (made if new) and index it; False while
        another run goes on."""
        return self._start(collection, paths)

    def rescan(self, collection: str) -> bool:
        """Index again: new and changed files are read, unchanged ones skipped."""
        return self._start(collection, [])

    def remove(self, collection: str) -> None:
        if self.running == collection:
            raise ParrotError(f"'{collection}' is being indexed: cancel that first")
        self.index.remove_collection(collection)
        self.collectionsChanged.emit()

    def cancel(self) -> None:
        """Stop the run after the file it is reading (what was indexed stays)."""
        if self._worker is not None:
            self._worker.stop_event.set()

    def _start(self, collection: str, paths: list[Path]) -> bool:
        if self._thread is not None:
            return False
        thread = QThread(self)
        embedding = (
            (self.settings, self.models_dir)
            if self.settings is not None and self.models_dir is not None
            else None
        )
        worker = IndexWorker(self.db, collection, paths, embedding)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        thread.finished.connect(worker.deleteLater)
        worker.progress.connect(self.indexProgress)
        worker.embedProgress.connect(self.embedProgress)
        worker.embedded.connect(self.embedFinished)
        worker.embedFailed.connect(self.embedFailed)
        worker.finished.connect(self._run_finished)
        worker.failed.connect(self._run_failed)
        self._thread, self._worker, self.running = thread, worker, collection
        thread.start()
        self.indexStarted.emit(collection)
        return True

    def _end_run(self) -> None:
        thread, self._thread, self._worker, self.running = self._thread, None, None, None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()

    @Slot(object)
    def _run_finished(self, report: IndexReport) -> None:
        self._end_run()
        self.collectionsChanged.emit()
        self.indexFinished.emit(report)

    @Slot(str)
    def _run_failed(self, reason: str) -> None:
        self._end_run()
        self.collectionsChanged.emit()
        self.indexFailed.emit(reason)

    def wait(self, seconds: float) -> None:
        """Wait for a run to end (after cancel), up to `seconds`."""
        if self._thread is not None:
            self._thread.wait(int(seconds * 1000))

    def close(self) -> None:
        """Cancel a run, wait for it, close the index (the window closes)."""
        self.cancel()
        thread = self._thread
        if thread is not None:
            thread.quit()
            thread.wait()
            self._thread = self._worker = None
        if self._index is not None:
            self._index.close()
            self._index = None
