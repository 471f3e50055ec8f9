"""Steering a running download from another thread, and hearing how it goes.

`DownloadControl` is the token the window's Pause and Cancel buttons hold: thread-safe,
and able to wake a read blocked on a silent server (through the abort hook the running
download registers). `DownloadProgress` is what the progress callback receives, at most
about ten times a second, on the downloading thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Phase = Literal["checking", "downloading", "verifying", "installing", "done"]
StopKind = Literal["paused", "cancelled"]
_PROGRESS_INTERVAL_S = 0.1
_SPEED_WINDOW_S = 3.0


class DownloadStopped(Exception):
    """Raised by `download` after `pause()` (the .part is kept) or `cancel()` (deleted)."""

    def __init__(self, kind: StopKind) -> None:
        super().__init__(f"download {kind}")
        self.kind: StopKind = kind


@dataclass(frozen=True)
class DownloadProgress:
    phase: Phase
    file: str  # the file being worked on
    done: int  # bytes, over every file of the choice
    total: int
    speed: float  # bytes per second over the last few seconds; 0 outside "downloading"
    eta: float | None  # seconds left, when the speed is known

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class DownloadControl:
    """Pause or cancel a running download from another thread. Thread-safe."""

    def __init__(self) -> None:
        self._stop: StopKind | None = None
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._abort: Callable[[], None] | None = None

    @property
    def stopped(self) -> StopKind | None:
        return self._stop

    def pause(self) -> None:
        self._request("paused")

    def cancel(self) -> None:
        self._request("cancelled")

    def _request(self, kind: StopKind) -> None:
        with self._lock:
            if self._stop != "cancelled":  # cancel wins over pause
                self._stop = kind
            self._event.set()
            abort = self._abort
        if abort is not None:
            abort()  # a read blocked on a silent server fails now, not at its timeout

    def set_abort(self, abort: Callable[[], None] | None) -> None:
        with self._lock:
            self._abort = abort
        if abort is not None and self._stop is not None:
            abort()

    def check(self) -> None:
        if self._stop is not None:
            raise DownloadStopped(self._stop)

    def sleep(self, seconds: float) -> None:
        """Wait, but wake (and raise DownloadStopped) on pause or cancel."""
        self._event.wait(seconds)
        self.check()


class ProgressMeter:
    """Bytes done, speed over a sliding window, and a throttle for the callback."""

    def __init__(self, total: int, callback: Callable[[DownloadProgress], None] | None) -> None:
        self.total, self.callback = total, callback
        self.base = 0  # bytes of the files already finished
        self.samples: deque[tuple[float, int]] = deque()
        self.last_emit = 0.0

    def emit(self, phase: Phase, file: str, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        done += self.base
        speed = 0.0
        if phase == "downloading":
            self.samples.append((now, done))
            while len(self.samples) > 2 and now - self.samples[0][0] > _SPEED_WINDOW_S:
                self.samples.popleft()
            t0, d0 = self.samples[0]
            speed = (done - d0) / (now - t0) if now > t0 else 0.0
        if self.callback is None or (not force and now - self.last_emit < _PROGRESS_INTERVAL_S):
            return
        self.last_emit = now
        eta = (self.total - done) / speed if speed > 0 else None
        self.callback(DownloadProgress(phase, file, done, self.total, speed, eta))
