"""The watchdog of a chat template's render: it stops the render at a deadline, and once
the process has grown by more than a memory allowance, checked every 5 ms of CPU time by
a SIGPROF timer (POSIX, main thread), else by a trace function on every Python call (see
`_Watch`). It raises its own `Stopped`, so that it needs nothing from the template code.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import psutil

_MEMORY_SAMPLE_S = 0.005


class Stopped(Exception):
    """The render ran past its time or memory allowance (raised inside the render)."""


class _Watch:
    """Stops the running Python code once it passes `seconds` or has made this process
    `memory` bytes larger: `check()` raises Stopped from inside that code, and again at
    every later check until the render is over.

    On POSIX, in the main thread, a CPU-time interval timer (SIGPROF, every 5 ms) calls
    `check()` from a signal handler, which costs nothing between ticks. Elsewhere (on
    Windows, in other threads) a trace function calls it on every new Python frame:
    Jinja makes a call at least once per loop step, and so does every measured
    operation, but a long chat renders about 2.5 times slower that way.
    """

    def __init__(self, seconds: float, memory: int) -> None:
        self.seconds, self.memory = seconds, memory
        self.deadline = time.monotonic() + seconds
        self._process = psutil.Process()
        self._ceiling = self._process.memory_info().rss + memory
        self._next_sample = 0.0
        self.done = False
        self.fired: str | None = None  # why it was stopped

    def check(self) -> None:
        # Raised again on every check until the render is over, not once: an exception
        # raised inside a gc callback, a __del__ or a weakref callback is swallowed by
        # Python, and a render stopped only once would then run on unbounded.
        if self.done:
            return
        if self.fired is not None:
            raise Stopped(self.fired)
        now = time.monotonic()
        if now > self.deadline:
            self.fired = f"it ran longer than {round(self.seconds, 1):g} s"
            raise Stopped(self.fired)
        if now >= self._next_sample:
            self._next_sample = now + _MEMORY_SAMPLE_S
            if self._process.memory_info().rss > self._ceiling:
                self.fired = f"it used more than {self.memory // 2**20} MB of memory"
                raise Stopped(self.fired)


_ticking: _Watch | None = None  # the watch the SIGPROF handler serves


# Code that runs for the render: the compiled template itself, Jinja, our sandbox.
_RENDER_MODULES = (
    "jinja2",
    "parrotchat.engine.local.templates.meter",
    "parrotchat.engine.local.templates.sandbox",
    "parrotchat.engine.local.templates.chat_template",
)


def _in_render(frame: FrameType | None) -> bool:
    """Whether the interrupted code belongs to the render. A tick that lands elsewhere
    (a gc callback, a __del__, an unraisable-exception hook) does not raise there:
    Python would swallow or mangle the exception; the next tick will land in the
    render, which spends its time in its own code."""
    if frame is None:
        return False
    if frame.f_code.co_filename == "<template>":
        return True
    module = str(frame.f_globals.get("__name__", ""))
    return module.startswith(_RENDER_MODULES)


def _on_tick(signum: int, frame: FrameType | None) -> None:
    watch = _ticking
    if watch is not None and _in_render(frame):
        watch.check()


def _can_tick() -> bool:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    handler = signal.getsignal(signal.SIGPROF)
    free = handler in (signal.SIG_DFL, signal.SIG_IGN, None, _on_tick)
    return free and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


@contextlib.contextmanager
def watched(seconds: float, memory: int) -> Iterator[None]:
    global _ticking
    watch = _Watch(seconds, memory)
    if _can_tick():
        # The handler stays installed afterwards (idle): putting back SIG_DFL could
        # let a tick still on its way end the process.
        signal.signal(signal.SIGPROF, _on_tick)
        _ticking = watch
        signal.setitimer(signal.ITIMER_PROF, _MEMORY_SAMPLE_S, _MEMORY_SAMPLE_S)
        try:
            yield
        finally:
            while True:
                try:  # a tick may still raise here until `done` is set: then try again
                    watch.done = True
                    signal.setitimer(signal.ITIMER_PROF, 0, 0)
                    _ticking = None
                    break
                except Stopped:
                    continue
        return

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if _in_render(frame):
            watch.check()

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield
    finally:
        watch.done = True
        sys.settrace(previous)
