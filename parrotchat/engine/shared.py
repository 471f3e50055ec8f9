"""One engine, many callers: commands run one at a time, in the order they came.

A loaded model is one non-thread-safe resource (Anki's pattern for its collection):
the window and the API server share it through this queue instead of loading a
second copy. `SharedEngine` is itself an `Engine`, so a caller cannot tell it from
the engine it wraps. It adds what a shared engine needs:

- a bound: beyond `max_waiting` queued commands, `submit` raises `QueueFull` with a
  retry estimate (the API answers 429 with Retry-After);
- cancel from any caller, queued or running: a queued command is dropped at once
  (its caller gets `Failed(kind="cancelled")`), a running one is cancelled in the
  engine;
- per-request sinks, so that each caller (an HTTP request, the window) gets its own
  events on the engine's thread without sharing the one `listener`;
- how long each command waited, and what runs and waits now, for /health and the
  benchmarks.

Commands are handed to the wrapped engine one at a time, after the previous one's
terminal event, so the order is ours and a queued command costs the engine nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from parrotchat.core.errors import EngineError
from parrotchat.engine.protocol import (
    TERMINAL_EVENTS,
    Command,
    Crashed,
    Engine,
    Event,
    Failed,
    Ready,
)
from parrotchat.engine.router import EventRouter

Sink = Callable[[Event], None]

DEFAULT_MAX_WAITING = 16
# A new engine has no history of how long a request takes: assume a short reply.
_FIRST_GUESS_S = 5.0


class QueueFull(EngineError):
    """Too many commands wait for the engine; try again after `retry_after_s`."""

    def __init__(self, waiting: int, retry_after_s: float) -> None:
        super().__init__(
            f"{waiting} requests are already waiting for the model; "
            f"try again in {math.ceil(retry_after_s)} s"
        )
        self.retry_after_s = retry_after_s


@dataclass
class Job:
    """One command in the queue. Times are `time.monotonic()` seconds."""

    id: int
    command: Command
    sink: Sink | None
    admitted: float
    released: float | None = None  # handed to the engine
    ended: float | None = None
    inner_id: int | None = field(default=None, repr=False)

    @property
    def queue_wait_s(self) -> float | None:
        return None if self.released is None else self.released - self.admitted


class SharedEngine:
    """An `Engine` that serialises many callers onto one wrapped engine."""

    def __init__(self, engine: Engine, max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self._engine = engine
        self._router = EventRouter()
        self._lock = threading.Lock()
        self._waiting: deque[Job] = deque()
        self._running: Job | None = None
        self._paused = False
        self._avg_run_s = _FIRST_GUESS_S
        self.max_waiting = max_waiting
        engine.listener = self._on_engine_event

    # --- the Engine interface ---

    @property
    def listener(self) -> Sink | None:
        return self._router.listener

    @listener.setter
    def listener(self, value: Sink | None) -> None:
        self._router.listener = value

    @property
    def ready_info(self) -> Ready | None:
        return self._engine.ready_info

    @property
    def where(self) -> str:
        return self._engine.where

    def start(self, wait: bool = True) -> None:
        self._engine.start(wait)

    def is_alive(self) -> bool:
        return self._engine.is_alive()

    def close(self, timeout: float = 3.0) -> None:
        self._fail_waiting("The engine was closed")
        self._engine.close(timeout)

    def kill(self) -> None:
        self._engine.kill()

    def submit(self, command: Command) -> int:
        return self.enqueue(command).id

    def cancel(self, req_id: int | None = None) -> None:
        with self._lock:
            running = self._running
            if req_id is None or (running is not None and running.id == req_id):
                inner = running.inner_id if running is not None else None
                queued = None
            else:
                inner = None
                queued = next((j for j in self._waiting if j.id == req_id), None)
                if queued is not None:
                    self._waiting.remove(queued)
        if inner is not None:
            # If the engine is gone, its Crashed event ends the request anyway.
            with contextlib.suppress(EngineError):
                self._engine.cancel(inner)
        if queued is not None:
            self._deliver(queued, Failed(queued.id, "cancelled", "Cancelled before it started"))

    def events(self, command: Command) -> Iterator[Event]:
        req_id, q = self._router.open()
        try:
            self._admit(req_id, command, None)
        except BaseException:
            self._router.forget(req_id)
            raise
        return self._router.stream(req_id, q)

    # --- beyond the interface ---

    def enqueue(self, command: Command, sink: Sink | None = None) -> Job:
        """Queue a command; its events go to `sink` (on the engine's thread) and `listener`.

        Raises QueueFull when `max_waiting` commands already wait.
        """
        return self._admit(self._router.next_id(), command, sink)

    def pause(self) -> None:
        """Hand nothing more to the engine (it restarts, it loads a model): commands wait."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
        self._release_next()

    @property
    def running(self) -> Job | None:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    # --- internals ---

    def _admit(self, req_id: int, command: Command, sink: Sink | None) -> Job:
        job = Job(req_id, command, sink, admitted=time.monotonic())
        with self._lock:
            if len(self._waiting) >= self.max_waiting:
                ahead = len(self._waiting) + (self._running is not None)
                raise QueueFull(len(self._waiting), max(1.0, ahead * self._avg_run_s))
            self._waiting.append(job)
        self._release_next()
        return job

    def _release_next(self) -> None:
        while True:
            with self._lock:
                if self._running is not None or self._paused or not self._waiting:
                    return
                job = self._waiting.popleft()
                job.released = time.monotonic()
                self._running = job
                try:
                    # Under the lock: the engine's first event for this command waits
                    # in _on_engine_event until the command's inner id is known.
                    job.inner_id = self._engine.submit(job.command)
                    return
                except EngineError as exc:
                    self._running = None
                    failure = Failed(job.id, "crashed", str(exc))
            self._deliver(job, failure)

    def _on_engine_event(self, event: Event) -> None:
        with self._lock:
            job = self._running
            if job is not None and (
                event.id == job.inner_id or (event.id is None and isinstance(event, Crashed))
            ):
                ended = isinstance(event, TERMINAL_EVENTS)
                if ended:
                    self._running = None
                    job.ended = time.monotonic()
                    if job.released is not None:
                        # A moving average: recent replies say most about the next one.
                        self._avg_run_s += 0.3 * ((job.ended - job.released) - self._avg_run_s)
            else:
                job, ended = None, False
        if job is not None:
            self._deliver(job, dataclasses.replace(event, id=job.id))
            if ended:
                self._release_next()
        elif event.id is None:
            # Ready, or a crash with nothing running: for the window's listener.
            listener = self._router.listener
            if listener is not None:
                listener(event)

    def _deliver(self, job: Job, event: Event) -> None:
        if job.sink is not None:
            job.sink(event)
        self._router.deliver(event)

    def _fail_waiting(self, message: str) -> None:
        with self._lock:
            jobs = list(self._waiting)
            self._waiting.clear()
        for job in jobs:
            self._deliver(job, Failed(job.id, "cancelled", message))
