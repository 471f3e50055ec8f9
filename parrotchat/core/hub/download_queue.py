"""Several downloads in a queue, run one or two at a time on worker threads.

The window's model manager owns one `DownloadQueue`. Its buttons call `add`, `pause`,
`resume` and `cancel` from the GUI thread (they return at once); what happens is
reported through `on_event(DownloadEvent)`, called on a worker thread or on the calling
thread. The GUI controller turns each event into a Qt signal (a queued connection) and
never touches widgets from the callback. `close()` pauses what runs (keeping the
`.part` files, so the next start can offer to resume them: `Downloader.pending()`) and
joins the threads.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from parrotchat.core.errors import ParrotError
from parrotchat.core.hub.download_control import DownloadControl, DownloadProgress, DownloadStopped
from parrotchat.core.hub.downloads import Downloader, DownloadRequest
from parrotchat.core.models.info import ModelInfo

TaskState = Literal["queued", "running", "paused", "cancelled", "failed", "done"]
EventKind = Literal["queued", "started", "progress", "paused", "cancelled", "failed", "done"]


@dataclass(frozen=True)
class DownloadTask:
    """A snapshot of one queued download."""

    task_id: int
    request: DownloadRequest
    state: TaskState
    progress: DownloadProgress | None = None
    error: str | None = None
    model: ModelInfo | None = None


@dataclass(frozen=True)
class DownloadEvent:
    kind: EventKind
    task: DownloadTask


class DownloadQueue:
    """Runs `Downloader.download` for queued requests, `parallel` at a time."""

    def __init__(
        self,
        downloader: Downloader,
        on_event: Callable[[DownloadEvent], None],
        *,
        parallel: int = 1,
    ) -> None:
        if parallel not in (1, 2):
            raise ValueError("parallel must be 1 or 2")
        self.downloader = downloader
        self.on_event = on_event
        self.parallel = parallel
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._tasks: dict[int, DownloadTask] = {}
        self._controls: dict[int, DownloadControl] = {}
        self._threads: dict[int, threading.Thread] = {}
        self._closed = False

    # --- what the buttons call ----------------------------------------------------------

    def add(self, request: DownloadRequest) -> int:
        """Queue a download. The same choice already queued or running: its id; paused
        or failed: that task, queued again (it continues from its .part)."""
        with self._lock:
            for task in self._tasks.values():
                same = (task.request.repo_id, task.request.choice.key) == (
                    request.repo_id,
                    request.choice.key,
                )
                if same and task.state in ("queued", "running"):
                    return task.task_id
                if same and task.state in ("paused", "failed"):
                    existing = task.task_id
                    break
            else:
                existing = None
                task = DownloadTask(next(self._ids), request, "queued")
                self._tasks[task.task_id] = task
        if existing is not None:
            self.resume(existing)
            return existing
        self._emit("queued", task)
        self._start_next()
        return task.task_id

    def pause(self, task_id: int) -> None:
        self._stop(task_id, "paused")

    def cancel(self, task_id: int) -> None:
        self._stop(task_id, "cancelled")

    def resume(self, task_id: int) -> None:
        """Queue a paused or failed download again; it continues from its .part."""
        with self._lock:
            task = self._tasks[task_id]
            if task.state not in ("paused", "failed"):
                return
            task = self._set(task, "queued", error=None)
        self._emit("queued", task)
        self._start_next()

    def pause_all(self) -> None:
        for task in self.tasks():
            if task.state in ("queued", "running"):
                self.pause(task.task_id)

    def tasks(self) -> list[DownloadTask]:
        with self._lock:
            return list(self._tasks.values())

    def close(self, timeout: float | None = 10.0) -> None:
        """Pause everything and wait for the worker threads."""
        with self._lock:
            self._closed = True
        self.pause_all()
        for thread in list(self._threads.values()):
            thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Until nothing is queued or running (for scripts and tests)."""
        while True:
            with self._lock:
                threads = list(self._threads.values())
                busy = any(t.state == "queued" for t in self._tasks.values())
            if not threads and not busy:
                return True
            if not threads:
                return False  # queued but not startable (closed)
            threads[0].join(timeout)
            if threads[0].is_alive():
                return False

    # --- inside -------------------------------------------------------------------------

    def _set(self, task: DownloadTask, state: TaskState, **changes: Any) -> DownloadTask:
        updated = replace(task, state=state, **changes)
        self._tasks[task.task_id] = updated
        return updated

    def _emit(self, kind: EventKind, task: DownloadTask) -> None:
        self.on_event(DownloadEvent(kind, task))

    def _stop(self, task_id: int, kind: Literal["paused", "cancelled"]) -> None:
        with self._lock:
            task = self._tasks[task_id]
            control = self._controls.get(task_id)
            if task.state == "running" and control is not None:
                (control.pause if kind == "paused" else control.cancel)()
                return  # the worker reports the stop when it has stopped
            if task.state in ("done", "cancelled") or (kind == "paused" and task.state != "queued"):
                return
            task = self._set(task, kind)
        if kind == "cancelled":
            self.downloader.discard(task.request)
        self._emit(kind, task)

    def _start_next(self) -> None:
        with self._lock:
            if self._closed:
                return
            running = sum(1 for t in self._tasks.values() if t.state == "running")
            queued = [t for t in self._tasks.values() if t.state == "queued"]
            started = []
            for task in queued[: max(0, self.parallel - running)]:
                task = self._set(task, "running")
                control = DownloadControl()
                self._controls[task.task_id] = control
                thread = threading.Thread(
                    target=self._run,
                    args=(task, control),
                    name=f"download-{task.task_id}",
                    daemon=True,
                )
                self._threads[task.task_id] = thread
                started.append(thread)
        for thread in started:
            thread.start()

    def _run(self, task: DownloadTask, control: DownloadControl) -> None:
        self._emit("started", task)

        def progress(p: DownloadProgress) -> None:
            with self._lock:
                current = self._set(self._tasks[task.task_id], "running", progress=p)
            self._emit("progress", current)

        kind: EventKind
        model: ModelInfo | None = None
        error: str | None = None
        try:
            model = self.downloader.download(task.request, progress=progress, control=control)
            kind = "done"
        except DownloadStopped as stop:
            kind = stop.kind
        except ParrotError as e:
            kind, error = "failed", str(e)
        except Exception as e:  # a bug: still report it, never kill the queue silently
            kind, error = "failed", f"unexpected error: {e!r}"
        with self._lock:
            final = self._set(self._tasks[task.task_id], kind, model=model, error=error)
            self._controls.pop(task.task_id, None)
            self._threads.pop(task.task_id, None)
        self._emit(kind, final)
        self._start_next()
