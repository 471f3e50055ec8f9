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
from collections.abc import Callable
from multiprocessing.connection import Connection

from parrotchat.core.errors import (
    ContextFullError,
    EngineError,
    ModelFileError,
    NoChatTemplateError,
    ParrotError,
    TemplateError,
)
from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.local.token_batch import TokenBatcher
from parrotchat.engine.protocol import (
    Cancel,
    ChatRequest,
    Command,
    CompleteRequest,
    Counted,
    CountRequest,
    Done,
    Embedded,
    EmbedRequest,
    ErrorKind,
    Event,
    Failed,
    Loaded,
    LoadProgress,
    LoadRequest,
    PipeMessage,
    PromptProgress,
    Ready,
    ReplyStats,
    Shutdown,
    Status,
    StatusRequest,
    Submit,
    Token,
    Unloaded,
    UnloadRequest,
)

PARENT_CHECK_S = 0.5


class EngineHost:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.commands: queue.Queue[Submit | Shutdown] = queue.Queue()
        self.cancel = threading.Event()
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._current: int | None = None
        self._cancelled_ids: set[int] = set()
        self._parent = os.getppid()
        # Imported here, not at module level, so that a failing llama.cpp import
        # becomes an error event instead of a dead process with no word.
        from parrotchat.engine.local.runtime import LlamaRuntime

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
                message: PipeMessage = self.conn.recv()
            except (EOFError, OSError):
                os._exit(0)
            match message:
                case Cancel(id=req_id):
                    self._cancel(req_id)
                case Submit() | Shutdown():
                    self.commands.put(message)

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
        from parrotchat.engine.local.runtime import backend_info

        threading.Thread(target=self._read_commands, name="engine-reader", daemon=True).start()
        threading.Thread(target=self._watch_parent, name="engine-watchdog", daemon=True).start()
        info = backend_info()
        self.send(
            Ready(
                pid=os.getpid(),
                backend=str(info["backend"]),
                gpu_offload=bool(info["gpu_offload"]),
                system_info=str(info["system_info"]),
            )
        )
        while True:
            message = self.commands.get()
            if isinstance(message, Shutdown):
                self.runtime.unload()
                return
            req_id, command = message.id, message.command
            with self._state_lock:
                if req_id in self._cancelled_ids:
                    self._cancelled_ids.discard(req_id)
                    self.send(Failed(req_id, "cancelled", "Cancelled"))
                    continue
                self._current = req_id
                self.cancel.clear()
            try:
                self._dispatch(req_id, command)
            except Exception as exc:
                self.send(self._error_event(command, req_id, exc))
            finally:
                with self._state_lock:
                    self._current = None
                    self.cancel.clear()

    def _dispatch(self, req_id: int, command: Command) -> None:
        match command:
            case LoadRequest():
                self._load(req_id, command)
            case ChatRequest():
                self._chat(req_id, command)
            case CompleteRequest():
                self._complete(req_id, command)
            case CountRequest(messages=messages, chat_format=chat_format):
                self.send(Counted(req_id, self.runtime.count(messages, chat_format)))
            case EmbedRequest(texts=texts, too_long=too_long):
                vectors, tokens, truncated = self.runtime.embed(texts, cut=too_long == "cut")
                self.send(Embedded(req_id, vectors, tokens, truncated))
            case StatusRequest():
                self.send(Status(req_id, **_memory_status()))
            case UnloadRequest():
                self.runtime.unload()
                self.send(Unloaded(req_id))

    def _load(self, req_id: int, request: LoadRequest) -> None:
        last = [-1.0]

        def progress(value: float) -> None:
            if value - last[0] >= 0.01 or value >= 1.0:
                last[0] = value
                self.send(LoadProgress(req_id, round(value, 3)))

        # Our own header check first: llama.cpp only says "failed to load", and some
        # malformed files make it abort the whole process. Imported here: the app
        # imports this module too (for the process target) and must start fast.
        from parrotchat.core.models.info import validate_model_file

        model = validate_model_file(request.path)
        info = self.runtime.load(
            path=request.path,
            n_ctx=request.n_ctx,
            gpu_layers=request.gpu_layers,
            threads=request.threads,
            batch=request.batch,
            chat_format=request.chat_format,
            progress=progress,
            embedding=request.embedding,
            pooling=model.pooling_type,
            draft_path=request.draft_path,
        )
        self.send(Loaded(req_id, info.to_dict()))

    def _chat(self, req_id: int, request: ChatRequest) -> None:
        sampling = SamplingParams.from_dict(dict(request.sampling or {}))
        self._reply(
            req_id,
            lambda emit: self.runtime.chat(
                messages=request.messages,
                sampling=sampling,
                overflow=request.overflow,
                chat_format=request.chat_format,
                emit=emit,
                ignore_eos=request.ignore_eos,
                progress=self._progress_sender(req_id),
            ),
        )

    def _complete(self, req_id: int, request: CompleteRequest) -> None:
        sampling = SamplingParams.from_dict(dict(request.sampling or {}))
        self._reply(
            req_id,
            lambda emit: self.runtime.complete(
                prompt=request.prompt,
                sampling=sampling,
                emit=emit,
                ignore_eos=request.ignore_eos,
                progress=self._progress_sender(req_id),
            ),
        )

    def _reply(self, req_id: int, run: Callable[[Callable[[str, int], None]], ReplyStats]) -> None:
        """Run a reply, its tokens sent in frame-sized batches; what waits is sent
        however the reply ends, then Done (or the caller's Failed)."""
        send = self.send
        batch = TokenBatcher(lambda text, tokens: send(Token(req_id, text, tokens)))
        try:
            stats = run(batch.emit)
        finally:
            batch.flush()
        self.send(Done(req_id, stats.to_dict()))

    def _progress_sender(self, req_id: int) -> Callable[[int, int, int], None]:
        def progress(done: int, total: int, prompt_tokens: int) -> None:
            self.send(PromptProgress(req_id, done, total, prompt_tokens))

        return progress

    def _error_event(self, command: Command, req_id: int, exc: Exception) -> Failed:
        from parrotchat.engine.local.runtime import Cancelled

        kind: ErrorKind
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
            if isinstance(command, LoadRequest):
                kind = "load_failed"
            else:
                kind = "not_loaded" if self.runtime.llm is None else "bad_request"
        elif isinstance(exc, ParrotError):
            kind = "bad_request"
        else:
            traceback.print_exc()
            return Failed(
                req_id, "internal", f"Internal engine error ({type(exc).__name__}: {exc})"
            )
        item = exc.item if isinstance(exc, ContextFullError) else None
        return Failed(req_id, kind, str(exc), item=item)


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
