"""Changes to the model library (import, remove) on a worker thread.

The worker lives on its own QThread; the Library tab asks it through queued
signals and hears back only through signals. `LibraryTasks` owns the thread and
stops it (quit, wait) when the dialog closes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal, Slot

from parrotchat.core.errors import ParrotError

if TYPE_CHECKING:
    from parrotchat.core.models.library import ModelLibrary


class LibraryWorker(QObject):
    """Runs on the worker thread.

    Signals:
        progressed(int, int): bytes copied so far, bytes in all (an import by copy).
        imported(object): the new ModelInfo.
        removed(str, int): the model's name and the bytes freed.
        failed(str): one line naming the file and the reason.
    """

    progressed = Signal(object, object)
    imported = Signal(object)
    removed = Signal(str, object)
    failed = Signal(str)

    def __init__(self, models_dir: os.PathLike[str] | str) -> None:
        super().__init__()
        self.models_dir = Path(models_dir)

    def _library(self) -> ModelLibrary:
        from parrotchat.core.models.library import ModelLibrary
        from parrotchat.core.models.starter import starter_model_path

        return ModelLibrary(self.models_dir, starter_model_path())

    @Slot(str, bool)
    def import_model(self, path: str, copy: bool) -> None:
        library = self._library()
        try:
            info = library.import_model(Path(path), copy=copy, progress=self.progressed.emit)
        except (ParrotError, OSError) as exc:
            self.failed.emit(str(exc))
        else:
            self.imported.emit(info)

    @Slot(str)
    def remove(self, path: str) -> None:
        library = self._library()
        try:
            freed = library.remove(path)
        except (ParrotError, OSError) as exc:
            self.failed.emit(str(exc))
        else:
            self.removed.emit(Path(path).name, freed)


class LibraryTasks(QObject):
    """Owns the worker and its thread; `importRequested`/`removeRequested` queue work."""

    importRequested = Signal(str, bool)
    removeRequested = Signal(str)

    def __init__(self, models_dir: os.PathLike[str] | str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("model-library")
        self.worker = LibraryWorker(models_dir)
        self.worker.moveToThread(self.worker_thread)
        self.importRequested.connect(self.worker.import_model)
        self.removeRequested.connect(self.worker.remove)
        self.worker_thread.start()

    def stop(self) -> None:
        if self.worker_thread.isRunning():
            self.worker_thread.quit()
            self.worker_thread.wait()
