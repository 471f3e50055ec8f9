"""The local engine: a child process that owns llama.cpp, behind the `Engine` interface.

Events arrive on a reader thread and are routed by request id (`EventRouter`): to
the waiter of `events()` and to the optional `listener` (the GUI's controller turns
it into Qt signals). When the engine process dies, every open request and the
listener get a `Crashed` event that says how, and `start()` can be called again
for a fresh engine.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnProcess

from parrotchat.core.errors import EngineError
from parrotchat.engine.local.host import run_host
from parrotchat.engine.protocol import (
    Cancel,
    Command,
    Crashed,
    Event,
    PipeMessage,
    Ready,
    Shutdown,
    Submit,
)
from parrotchat.engine.router import EventRouter

READY_TIMEOUT_S = 60.0


def describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        sig = -exitcode
        names = {
            signal.SIGKILL: "was killed (SIGKILL; the system may have run out of memory)",
            signal.SIGABRT: "aborted (llama.cpp stopped on an internal check)",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }
        try:
            return names.get(
                signal.Signals(sig), f"was stopped by signal {signal.Signals(sig).name}"
            )
        except ValueError:
            return f"was stopped by signal {sig}"
    return f"exited with code {exitcode}"


def running(proc: SpawnProcess) -> bool:
    """Is the process alive? Asked without reaping it.

    `Process.is_alive()` calls waitpid. Called on the GUI thread just as the process
    died, it reaped the child under the reader thread's `join`. That join then found no
    child, and the crash read "stopped answering" instead of "aborted" (seen 2 times in
    4 runs of the abort campaign). The sentinel becomes readable when the process ends,
    and reading it reaps nothing.
    """
    return not wait([proc.sentinel], 0)


class EngineClient:
    """One engine process. Thread-safe for sending; events arrive on a reader thread."""

    def __init__(self, listener: Callable[[Event], None] | None = None) -> None:
        self._router = EventRouter()
        self._router.listener = listener
        self.info: Ready | None = None
        self._conn: Connection | None = None
        self._proc: SpawnProcess | None = None
        self._send_lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._closing = False

    @property
    def listener(self) -> Callable[[Event], None] | None:
        return self._router.listener

    @listener.setter
    def listener(self, value: Callable[[Event], None] | None) -> None:
        self._router.listener = value

    @property
    def ready_info(self) -> Ready | None:
        return self.info

    @property
    def where(self) -> str:
        return "this computer"

    # --- lifecycle ---

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_alive(self) -> bool:
        return self._proc is not None and running(self._proc)

    def start(self, wait: bool = True) -> None:
        if self.is_alive():
            return
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=run_host, args=(child,), name="parrotchat-engine", daemon=True)
        self._ready.clear()
        self.info = None
        self._closing = False
        proc.start()
        child.close()  # only the engine holds its end: its death shows here as end-of-file
        self._conn, self._proc = parent, proc
        self._reader = threading.Thread(target=self._read, args=(parent, proc), daemon=True)
        self._reader.start()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> Ready:
        if not self._ready.wait(timeout):
            raise EngineError("The engine process did not start in time")
        if self.info is None:
            raise EngineError("The engine process exited while starting")
        return self.info

    def close(self, timeout: float = 3.0) -> None:
        proc, conn = self._proc, self._conn
        if proc is None:
            return
        self._closing = True
        try:
            if conn is not None:
                with self._send_lock:
                    conn.send(Shutdown())
        except (OSError, EOFError):
            pass
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout)
        if conn is not None:
            conn.close()
        self._proc = self._conn = None

    def kill(self) -> None:
        """Stop the engine at once (a load that cannot be interrupted, a hang)."""
        if self._proc is not None and running(self._proc):
            self._proc.kill()

    # --- sending ---

    def submit(self, command: Command) -> int:
        req_id = self._router.next_id()
        self._send(Submit(req_id, command))
        return req_id

    def cancel(self, req_id: int | None = None) -> None:
        self._send(Cancel(req_id))

    def events(self, command: Command) -> Iterator[Event]:
        return self._router.events(lambda req_id: self._send(Submit(req_id, command)))

    def _send(self, message: PipeMessage) -> None:
        conn = self._conn
        if conn is None or not self.is_alive():
            raise EngineError("The engine is not running")
        try:
            with self._send_lock:
                conn.send(message)
        except (OSError, EOFError) as exc:
            raise EngineError(f"The engine stopped answering ({exc})") from exc

    # --- receiving ---

    def _read(self, conn: Connection, proc: SpawnProcess) -> None:
        while True:
            try:
                event: Event = conn.recv()
            except (EOFError, OSError):
                break
            if isinstance(event, Ready):
                self.info = event
                self._ready.set()
            self._router.deliver(event)
        # The pipe closes as the process dies; its exit status (which signal, so what
        # to tell the user) comes a moment later, longer on a loaded machine.
        proc.join(10.0)
        self._ready.set()
        if self._closing:
            return
        self._router.broadcast(
            Crashed(proc.exitcode, f"The engine process {describe_exit(proc.exitcode)}.")
        )
