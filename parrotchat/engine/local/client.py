"""The local engine: a child process that owns llama.cpp, behind the `Engine` interface.

Events arrive on a reader thread and are routed by request id (`EventRouter`): to
the waiter of `events()` and to the optional `listener` (the GUI's controller turns
it into Qt signals). When the engine process dies, every open request and the
listener get a `Crashed` event that says how, and `start()` can be called again
for a fresh engine.

An API server can take the reading over (`read_on`): its asyncio loop then reads the
pipe itself. Each streamed token otherwise wakes the reader thread, passes the GIL and
wakes the loop through its self-pipe; on a 2-core machine whose cores both decode, that
CPU time is taken from the model (measured: 0.09 ms of reader thread and about a third
of the loop's 0.13 ms per token).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import select
import signal
import sys
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
# asyncio's add_reader needs a selectable file; Windows pipes are not (its loop is a
# proactor), so there the reader thread always reads.
LOOP_READING = sys.platform != "win32"


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
        self._loop: asyncio.AbstractEventLoop | None = None
        # The reader thread's wake-up pipe (read end, write end): a byte written makes it
        # hand the engine's pipe to `_loop`. Under the lock: the thread closes it as it ends.
        self._handover: tuple[int, int] | None = None
        self._handover_lock = threading.Lock()

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
        if not self._attach_soon(parent, proc):
            handover = os.pipe() if LOOP_READING else None
            with self._handover_lock:
                self._handover = handover
            self._reader = threading.Thread(
                target=self._read, args=(parent, proc, handover), daemon=True
            )
            self._reader.start()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> Ready:
        if not self._ready.wait(timeout):
            raise EngineError("The engine process did not start in time")
        if self.info is None:
            raise EngineError("The engine process exited while starting")
        return self.info

    def read_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the engine's events on `loop`'s thread from now on, this engine's and
        those of every engine `start()` makes later; listeners and sinks are then called
        there. For a loop that runs as long as the engine is used (`parrotchat serve`).

        A no-op on Windows. Nothing on `loop`'s thread may then wait for this engine's
        events: it would wait for itself.
        """
        if not LOOP_READING:
            return
        self._loop = loop
        with self._handover_lock:
            if self._handover is not None:
                os.write(self._handover[1], b"x")

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
            self._detach(conn)
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

    def _read(self, conn: Connection, proc: SpawnProcess, handover: tuple[int, int] | None) -> None:
        try:
            if self._read_until_handover(conn, proc, handover):
                return
        finally:
            with self._handover_lock:
                if self._handover is handover:
                    self._handover = None
            if handover is not None:
                for fd in handover:
                    os.close(fd)
        self._ended(proc)

    def _read_until_handover(
        self, conn: Connection, proc: SpawnProcess, handover: tuple[int, int] | None
    ) -> bool:
        """Deliver events until the engine's end (False) or a hand-over to the loop (True)."""
        poller = None
        if handover is not None:
            poller = select.poll()
            poller.register(conn.fileno(), select.POLLIN)
            poller.register(handover[0], select.POLLIN)
        while True:
            if poller is not None and conn.fileno() not in {fd for fd, _ in poller.poll()}:
                # Only the hand-over is left to read: every event before it has been
                # delivered, and the loop goes on from the next one.
                os.read(handover[0], 64)  # type: ignore[index]
                if self._attach_soon(conn, proc):
                    return True
                continue
            try:
                event: Event = conn.recv()
            except (EOFError, OSError):
                return False
            self._handle(event)

    def _attach_soon(self, conn: Connection, proc: SpawnProcess) -> bool:
        """Have `_loop` read `conn` from its next turn; False if there is no loop to."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(self._attach, loop, conn, proc)
        except RuntimeError:  # closed since
            return False
        return True

    def _attach(
        self, loop: asyncio.AbstractEventLoop, conn: Connection, proc: SpawnProcess
    ) -> None:
        if conn.closed:
            return
        loop.add_reader(conn.fileno(), self._on_readable, loop, conn, proc)

    def _detach(self, conn: Connection) -> None:
        """Take `conn` off a running loop before it is closed: a closed descriptor left
        registered in asyncio's selector would hide the next file given its number."""
        loop = self._loop
        if loop is None or conn.closed or not loop.is_running():
            return
        fd = conn.fileno()
        try:
            if asyncio.get_running_loop() is loop:
                loop.remove_reader(fd)
                return
        except RuntimeError:
            pass  # not on the loop's thread
        done = threading.Event()

        def detach() -> None:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(fd)
            done.set()

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(detach)
            done.wait(1.0)

    def _on_readable(
        self, loop: asyncio.AbstractEventLoop, conn: Connection, proc: SpawnProcess
    ) -> None:
        try:
            event: Event = conn.recv()
        except (EOFError, OSError):
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(conn.fileno())
            # Waiting for the exit status can take seconds: not on the loop.
            threading.Thread(target=self._ended, args=(proc,), daemon=True).start()
            return
        self._handle(event)

    def _handle(self, event: Event) -> None:
        if isinstance(event, Ready):
            self.info = event
            self._ready.set()
        self._router.deliver(event)

    def _ended(self, proc: SpawnProcess) -> None:
        # The pipe closes as the process dies; its exit status (which signal, so what
        # to tell the user) comes a moment later, longer on a loaded machine.
        proc.join(10.0)
        self._ready.set()
        if self._closing:
            return
        self._router.broadcast(
            Crashed(proc.exitcode, f"The engine process {describe_exit(proc.exitcode)}.")
        )
