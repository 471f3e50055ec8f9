""" "Run benchmark" in the Library tab: `parrotchat bench`'s measurement (service/bench.py),
on a worker thread, in a fresh engine process (the window's own engine is left alone).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from parrotchat.core.errors import ParrotError

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.core.paths import AppPaths
    from parrotchat.core.settings import Settings

BENCH_PROMPT_TOKENS = 256
BENCH_REPLY_TOKENS = 64


class BenchWorker(QObject):
    """Runs on the worker thread.

    Signals:
        measured(object, dict): the ModelInfo and its figures (load_s, prompt_tokens_per_s,
            decode_tokens_per_s, ttft_s, peak_rss_mb, ...).
        failed(str): one line naming the model and the reason.
    """

    measured = Signal(object, dict)
    failed = Signal(str)

    def __init__(self, paths: AppPaths, settings: Settings) -> None:
        super().__init__()
        self.paths = paths
        self.settings = settings

    @Slot(object)
    def run(self, model: ModelInfo) -> None:
        from parrotchat.engine.local.client import EngineClient
        from parrotchat.service.bench import bench_context, measure
        from parrotchat.service.model_load import load_local_model

        n_ctx = bench_context(BENCH_PROMPT_TOKENS, BENCH_REPLY_TOKENS)
        client = EngineClient()
        try:
            client.start()
            session = load_local_model(client, replace(self.settings), model, n_ctx=n_ctx)
            result: dict[str, Any] = measure(session, BENCH_PROMPT_TOKENS, BENCH_REPLY_TOKENS)
        except (ParrotError, OSError) as exc:
            self.failed.emit(f"{model.display_name}: {exc}")
        else:
            self.measured.emit(model, result)
        finally:
            client.close()


class BenchRunner(QObject):
    """Owns the benchmark thread; `runRequested(model)` queues one run."""

    runRequested = Signal(object)

    def __init__(self, paths: AppPaths, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("model-bench")
        self.worker = BenchWorker(paths, settings)
        self.worker.moveToThread(self.worker_thread)
        self.runRequested.connect(self.worker.run)
        self.worker_thread.start()

    def stop(self) -> None:
        if self.worker_thread.isRunning():
            self.worker_thread.quit()
            self.worker_thread.wait()
