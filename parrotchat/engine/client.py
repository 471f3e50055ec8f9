"""The app's side of the engine: start the process, send commands, route events.

Events arrive on a reader thread. Each goes to the waiter registered for its
request id (the blocking helpers `load`, `chat` and `count` use that) and to the
optional `listener` (the GUI's controller turns it into Qt signals). When the
engine process dies, every waiter and the listener get a `crashed` event that
says how, and `start()` can be called again for a fresh engine.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

from parrotchat.core.errors import EngineError
from parrotchat.engine.host import run_host
from parrotchat.engine.protocol import ChatRequest, Command, Event, LoadRequest

READY_TIMEOUT_S = 60.0
TERMINAL_EVENTS = frozenset({"loaded", "done", "error", "crashed", "count", "status", "unloaded"})


class EngineCancelled(EngineError):
    """A load or reply was cancelled by the user."""


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


class EngineClient:
    """One engine process. Thread-safe for sending; events arrive on a reader thread."""

    def __init__(self, listener: Callable[[Event], None] | None = None) -> None:
        self.listener = listener
        self.info: dict[str, Any] = {}
        self._conn: Connection | None = None
        self._proc: SpawnProcess | None = None
        self._ids = itertools.count(1)
        self._waiters: dict[int, queue.Queue[Event]] = {}
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._closing = False

    # --- lifecycle ---

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def start(self, wait: bool = True) -> None:
        if self.is_alive():
            return
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=run_host, args=(child,), name="parrotchat-engine", daemon=True)
        self._ready.clear()
        self._closing = False
        proc.start()
        child.close()  # only the engine holds its end: its death shows here as end-of-file
        self._conn, self._proc = parent, proc
        self._reader = threading.Thread(target=self._read, args=(parent, proc), daemon=True)
        self._reader.start()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> dict[str, Any]:
        if not self._ready.wait(timeout):
            raise EngineError("The engine process did not start in time")
        if not self.info:
            raise EngineError("The engine process exited while starting")
        return self.info

    def close(self, timeout: float = 3.0) -> None:
        proc, conn = self._proc, self._conn
        if proc is None:
            return
        self._closing = True
        try:
            if conn is not None:
                conn.send({"op": "shutdown"})
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
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()

    # --- sending ---

    def submit(self, cmd: Command) -> int:
        req_id = next(self._ids)
        self._send({**cmd, "id": req_id})
        return req_id

    def cancel(self, req_id: int | None = None) -> None:
        self._send({"op": "cancel", "id": req_id})

    def _send(self, cmd: Command) -> None:
        conn = self._conn
        if conn is None or not self.is_alive():
            raise EngineError("The engine is not running")
        try:
            with self._lock:
                conn.send(cmd)
        except (OSError, EOFError) as exc:
            raise EngineError(f"The engine stopped answering ({exc})") from exc

    # --- receiving ---

    def _read(self, conn: Connection, proc: SpawnProcess) -> None:
        while True:
            try:
                event: Event = conn.recv()
            except (EOFError, OSError):
                break
            if event.get("ev") == "ready":
                self.info = event
                self._ready.set()
            self._deliver(event)
        # The pipe closes as the process dies; its exit status (which signal, so what
        # to tell the user) comes a moment later, longer on a loaded machine.
        proc.join(10.0)
        self._ready.set()
        if self._closing:
            return
        crashed = {
            "ev": "crashed",
            "exitcode": proc.exitcode,
            "message": f"The engine process {describe_exit(proc.exitcode)}.",
        }
        with self._lock:
            waiters = list(self._waiters.values())
        for q in waiters:
            q.put(crashed)
        if self.listener is not None:
            self.listener(crashed)

    def _deliver(self, event: Event) -> None:
        req_id = event.get("id")
        with self._lock:
            waiter = self._waiters.get(req_id) if isinstance(req_id, int) else None
        if waiter is not None:
            waiter.put(event)
        if self.listener is not None:
            self.listener(event)

    def _request(self, cmd: Command) -> tuple[int, queue.Queue[Event]]:
        q: queue.Queue[Event] = queue.Queue()
        req_id = next(self._ids)
        with self._lock:
            self._waiters[req_id] = q
        try:
            self._send({**cmd, "id": req_id})
        except EngineError:
            self._forget(req_id)
            raise
        return req_id, q

    def _forget(self, req_id: int) -> None:
        with self._lock:
            self._waiters.pop(req_id, None)

    def events(self, cmd: Command) -> Iterator[Event]:
        """Send a command and yield its events up to and including the terminal one."""
        req_id, q = self._request(cmd)
        try:
            while True:
                event = q.get()
                yield event
                if event.get("ev") in TERMINAL_EVENTS:
                    return
        finally:
            self._forget(req_id)

    # --- blocking helpers for scripts, the CLI and tests ---

    def load(
        self, request: LoadRequest, on_progress: Callable[[float], None] | None = None
    ) -> dict[str, Any]:
        for event in self.events({"op": "load", **request.to_command(0), "id": None}):
            kind = event["ev"]
            if kind == "load_progress" and on_progress is not None:
                on_progress(float(event["fraction"]))
            elif kind == "loaded":
                model: dict[str, Any] = event["model"]
                return model
            elif kind in ("error", "crashed"):
                raise _error_from(event)
        raise EngineError("The engine ended the load without an answer")

    def chat(self, request: ChatRequest) -> Iterator[Event]:
        """Yield `token` events, then the `done` event; raise on error or crash."""
        for event in self.events(request.to_command(0)):
            if event["ev"] in ("error", "crashed"):
                raise _error_from(event)
            yield event

    def count_tokens(self, messages: list[dict[str, str]], chat_format: str | None = None) -> int:
        for event in self.events({"op": "count", "messages": messages, "chat_format": chat_format}):
            if event["ev"] == "count":
                return int(event["tokens"])
            if event["ev"] in ("error", "crashed"):
                raise _error_from(event)
        raise EngineError("The engine ended the count without an answer")

    def memory_status(self) -> dict[str, float]:
        """The engine process's resident memory now and at its peak, in MiB."""
        for event in self.events({"op": "status"}):
            if event["ev"] == "status":
                return {
                    "rss_mb": float(event["rss_mb"]),
                    "peak_rss_mb": float(event["peak_rss_mb"]),
                }
            if event["ev"] in ("error", "crashed"):
                raise _error_from(event)
        raise EngineError("The engine ended the status request without an answer")


class EngineFailure(EngineError):
    """An error event from the engine, with its kind kept for the caller."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _error_from(event: Event) -> EngineError:
    if event["ev"] == "crashed":
        return EngineFailure(str(event["message"]), "crashed")
    if event.get("kind") == "cancelled":
        return EngineCancelled(str(event.get("message", "Cancelled")))
    return EngineFailure(str(event.get("message")), str(event.get("kind")))
