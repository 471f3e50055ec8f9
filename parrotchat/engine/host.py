"""The engine process: receives commands, runs them on the model, sends events.

A reader thread takes commands off the pipe so that `cancel` is seen while the
worker (this process's main thread) is busy in llama.cpp. When the app goes away,
even by `kill -9`, the pipe reports end-of-file and this process exits at once, so
no orphan keeps gigabytes of model memory.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from parrotchat.core.errors import (
    ContextFullError,
    EngineError,
    ModelFileError,
    NoChatTemplateError,
    ParrotError,
    TemplateError,
)
from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.protocol import Command, Event

PARENT_CHECK_S = 0.5


class EngineHost:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.commands: queue.Queue[Command] = queue.Queue()
        self.cancel = threading.Event()
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._current: int | None = None
        self._cancelled_ids: set[int] = set()
        self._parent = os.getppid()
        # Imported here, not at module level, so that a failing llama.cpp import
        # becomes an error event instead of a dead process with no word.
        from parrotchat.engine.llama_runtime import LlamaRuntime

        self.runtime = LlamaRuntime(self.cancel)

    # --- plumbing ---

    def send(self, event: Event) -> None:
        try:
            with self._send_lock:
                self.conn.send(event)
        except (BrokenPipeError, EOFError, OSError):
            os._exit(0)  # the app is gone: nobody to answer, nothing to save

    def _read_commands(self) -> None:
        while True:
            try:
                cmd = self.conn.recv()
            except (EOFError, OSError):
                os._exit(0)
            if cmd.get("op") == "cancel":
                self._cancel(cmd.get("id"))
            else:
                self.commands.put(cmd)

    def _cancel(self, req_id: int | None) -> None:
        with self._state_lock:
            if req_id is None or req_id == self._current:
                if self._current is not None:
                    self.cancel.set()
            else:
                self._cancelled_ids.add(req_id)

    def _watch_parent(self) -> None:
        # Belt and braces beside end-of-file: if we were re-parented, the app died.
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != self._parent:
                os._exit(0)

    # --- main loop ---

    def serve(self) -> None:
        from parrotchat.engine.llama_runtime import backend_info

        threading.Thread(target=self._read_commands, name="engine-reader", daemon=True).start()
        threading.Thread(target=self._watch_parent, name="engine-watchdog", daemon=True).start()
        self.send({"ev": "ready", "pid": os.getpid(), **backend_info()})
        while True:
            cmd = self.commands.get()
            op = cmd.get("op")
            if op == "shutdown":
                self.runtime.unload()
                return
            req_id = cmd.get("id")
            with self._state_lock:
                if req_id in self._cancelled_ids:
                    self._cancelled_ids.discard(req_id)
                    self.send(
                        {"ev": "error", "id": req_id, "kind": "cancelled", "message": "Cancelled"}
                    )
                    continue
                self._current = req_id
                self.cancel.clear()
            try:
                self._dispatch(op, req_id, cmd)
            except Exception as exc:
                self.send(self._error_event(op, req_id, exc))
            finally:
                with self._state_lock:
                    self._current = None
                    self.cancel.clear()

    def _dispatch(self, op: Any, req_id: Any, cmd: Command) -> None:
        if op == "load":
            self._load(req_id, cmd)
        elif op == "chat":
            self._chat(req_id, cmd)
        elif op == "count":
            tokens = self.runtime.count(cmd["messages"], cmd.get("chat_format"))
            self.send({"ev": "count", "id": req_id, "tokens": tokens})
        elif op == "status":
            self.send({"ev": "status", "id": req_id, **_memory_status()})
        elif op == "unload":
            self.runtime.unload()
            self.send({"ev": "unloaded", "id": req_id})
        else:
            raise EngineError(f"Unknown engine command {op!r}")

    def _load(self, req_id: Any, cmd: Command) -> None:
        last = [-1.0]

        def progress(value: float) -> None:
            if value - last[0] >= 0.01 or value >= 1.0:
                last[0] = value
                self.send({"ev": "load_progress", "id": req_id, "fraction": round(value, 3)})

        # Our own header check first: llama.cpp only says "failed to load", and some
        # malformed files make it abort the whole process. Imported here: the app
        # imports this module too (for the process target) and must start fast.
        from parrotchat.core.model_info import validate_model_file

        validate_model_file(str(cmd["path"]))
        info = self.runtime.load(
            path=str(cmd["path"]),
            n_ctx=int(cmd.get("n_ctx", 4096)),
            gpu_layers=int(cmd.get("gpu_layers", 0)),
            threads=int(cmd.get("threads", 0)),
            batch=int(cmd.get("batch", 512)),
            chat_format=cmd.get("chat_format"),
            progress=progress,
        )
        self.send({"ev": "loaded", "id": req_id, "model": info.to_dict()})

    def _chat(self, req_id: Any, cmd: Command) -> None:
        sampling = SamplingParams.from_dict(dict(cmd.get("sampling") or {}))
        send = self.send

        def emit(text: str) -> None:
            send({"ev": "token", "id": req_id, "text": text})

        stats = self.runtime.chat(
            messages=cmd["messages"],
            sampling=sampling,
            overflow=str(cmd.get("overflow", "drop_oldest")),
            chat_format=cmd.get("chat_format"),
            emit=emit,
            ignore_eos=bool(cmd.get("ignore_eos", False)),
        )
        self.send({"ev": "done", "id": req_id, "stats": stats.to_dict()})

    def _error_event(self, op: Any, req_id: Any, exc: Exception) -> Event:
        from parrotchat.engine.llama_runtime import Cancelled

        if isinstance(exc, Cancelled):
            kind = "cancelled"
        elif isinstance(exc, ContextFullError):
            kind = "context_full"
        elif isinstance(exc, NoChatTemplateError):
            kind = "no_chat_template"
        elif isinstance(exc, TemplateError):
            kind = "template_failed"
        elif isinstance(exc, ModelFileError):
            kind = "load_failed"
        elif isinstance(exc, EngineError):
            if op == "load":
                kind = "load_failed"
            else:
                kind = "not_loaded" if self.runtime.llm is None else "bad_request"
        elif isinstance(exc, ParrotError):
            kind = "bad_request"
        else:
            traceback.print_exc()
            return {
                "ev": "error",
                "id": req_id,
                "kind": "internal",
                "message": f"Internal engine error ({type(exc).__name__}: {exc})",
            }
        return {"ev": "error", "id": req_id, "kind": kind, "message": str(exc)}


def _memory_status() -> dict[str, float]:
    import psutil

    info = psutil.Process().memory_info()
    peak = _peak_rss_bytes()
    return {"rss_mb": info.rss / 2**20, "peak_rss_mb": (peak or info.rss) / 2**20}


def _peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def run_host(conn: Connection) -> None:
    """Entry point of the engine process (multiprocessing target)."""
    # Ctrl+C in the terminal reaches the whole process group; the app decides when
    # the engine stops (shutdown, or end-of-file on the pipe when the app is gone).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # On an internal check failure ggml would run gdb to print a backtrace: seconds of
    # a hung engine and pages of noise, where the app only needs to see it stop.
    os.environ.setdefault("GGML_NO_BACKTRACE", "1")
    EngineHost(conn).serve()
