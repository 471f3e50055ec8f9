"""A remote OpenAI-compatible server behind the `Engine` interface.

Commands run one at a time on a worker thread, in order, as in the local engine
process; their events go through the same `EventRouter`, so the blocking calls of
engine/calls.py and the window's EngineController work unchanged. `cancel` ends the
running request at once by shutting its socket (http.Abort): a reply then ends with
`Done` and stop_reason "cancelled", as a local one does; a load or a count with
`Failed` kind "cancelled".

`start()` finds out which server it is talking to (probe.py) and answers `Ready`
with its kind as the backend. An unreachable server still answers `Ready` (the
engine can take commands); the load that follows fails with the reason.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from parrotchat.core.errors import ContextFullError, EngineError, ParrotError
from parrotchat.core.servers import ServerConfig
from parrotchat.engine.protocol import (
    ChatRequest,
    Command,
    CompleteRequest,
    Counted,
    CountRequest,
    Crashed,
    Done,
    EmbedRequest,
    Event,
    Failed,
    Loaded,
    LoadRequest,
    Ready,
    ReplyStats,
    StatusRequest,
    Token,
    Unloaded,
    UnloadRequest,
)
from parrotchat.engine.remote.http import Abort, HttpSession, RemoteError
from parrotchat.engine.remote.probe import ServerInfo, probe
from parrotchat.engine.remote.reply import RemoteTarget, stream_reply
from parrotchat.engine.remote.token_count import TokenCounter
from parrotchat.engine.router import EventRouter

READY_TIMEOUT_S = 120.0
_Job = tuple[int, Command] | None  # None: stop the worker


class RemoteEngine:
    """One server. Thread-safe for sending; events arrive on the worker thread."""

    def __init__(
        self, server: ServerConfig, listener: Callable[[Event], None] | None = None
    ) -> None:
        self.server = server
        self._router = EventRouter()
        self._router.listener = listener
        self.info: Ready | None = None
        self.server_info: ServerInfo | None = None  # what the last probe found
        self.probe_error: RemoteError | None = None  # why the last probe failed
        self.target: RemoteTarget | None = None
        self._counter: TokenCounter | None = None
        self._lock = threading.Lock()
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._generation = 0  # kill() abandons a worker: the events it sends later are dropped
        self._ready = threading.Event()
        self._current: int | None = None
        self._abort: Abort | None = None
        self._cancelled: set[int] = set()

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
        return self.server.name

    # --- lifecycle ---

    def is_alive(self) -> bool:
        worker = self._worker
        return worker is not None and worker.is_alive()

    def start(self, wait: bool = True) -> None:
        if self.is_alive():
            return
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._jobs = queue.Queue()
            self._cancelled.clear()
        self._ready.clear()
        self.info = None
        self._worker = threading.Thread(
            target=self._run,
            args=(generation, self._jobs),
            name=f"parrotchat-remote-{self.server.name}",
            daemon=True,
        )
        self._worker.start()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> Ready:
        if not self._ready.wait(timeout) or self.info is None:
            raise EngineError(f"{self.server.label}: did not answer in time")
        return self.info

    def close(self, timeout: float = 3.0) -> None:
        worker = self._worker
        if worker is None:
            return
        self._jobs.put(None)
        self.cancel(None)
        worker.join(timeout)
        self._worker = None

    def kill(self) -> None:
        """Abandon the server at once (a request that ignores cancel); `Crashed` follows."""
        worker = self._worker
        if worker is None:
            return
        with self._lock:
            self._generation += 1  # whatever the old worker still sends goes nowhere
            abort = self._abort
        if abort is not None:
            abort.trigger()
        self._jobs.put(None)
        self._worker = None
        self._router.broadcast(Crashed(None, f"{self.server.label}: the connection was stopped."))

    # --- sending ---

    def submit(self, command: Command) -> int:
        req_id = self._router.next_id()
        self._put(req_id, command)
        return req_id

    def events(self, command: Command) -> Iterator[Event]:
        return self._router.events(lambda req_id: self._put(req_id, command))

    def _put(self, req_id: int, command: Command) -> None:
        if not self.is_alive():
            raise EngineError("The engine is not running")
        self._jobs.put((req_id, command))

    def cancel(self, req_id: int | None = None) -> None:
        with self._lock:
            if req_id is None or req_id == self._current:
                abort = self._abort
            else:
                self._cancelled.add(req_id)
                return
        if abort is not None:
            abort.trigger()

    # --- the worker ---

    def _run(self, generation: int, jobs: queue.Queue[_Job]) -> None:
        def deliver(event: Event) -> None:
            if generation == self._generation:
                self._router.deliver(event)

        http: HttpSession | None = None
        setup_error: RemoteError | None = None
        try:
            http = HttpSession(self.server)
            self.server_info, self.probe_error = probe(http), None
            ready = Ready(
                pid=None,
                backend=self.server_info.kind,
                gpu_offload=False,
                system_info=" ".join(
                    p for p in (self.server_info.kind, self.server_info.version) if p
                ),
            )
        except RemoteError as exc:
            setup_error = exc if http is None else None
            self.probe_error = exc
            ready = Ready(
                pid=None, backend="OpenAI-compatible", gpu_offload=False, system_info=str(exc)
            )
        if generation == self._generation:
            self.info = ready
            self._ready.set()
        deliver(ready)
        try:
            while True:
                job = jobs.get()
                if job is None or generation != self._generation:
                    return
                req_id, command = job
                with self._lock:
                    if req_id in self._cancelled:
                        self._cancelled.discard(req_id)
                        cancelled = True
                    else:
                        cancelled = False
                        self._current = req_id
                        self._abort = abort = Abort()
                if cancelled:
                    deliver(Failed(req_id, "cancelled", "Cancelled"))
                    continue
                try:
                    if setup_error is not None or http is None:
                        raise setup_error or RemoteError("No connection", "unreachable")
                    deliver(self._dispatch(http, req_id, command, abort, deliver))
                except Exception as exc:
                    deliver(self._error_event(req_id, command, exc, abort))
                finally:
                    with self._lock:
                        self._current = None
                        self._abort = None
        finally:
            if http is not None:
                http.close()

    def _dispatch(
        self,
        http: HttpSession,
        req_id: int,
        command: Command,
        abort: Abort,
        deliver: Callable[[Event], None],
    ) -> Event:
        match command:
            case LoadRequest():
                return Loaded(req_id, self._load(http, command, abort))
            case ChatRequest():
                target, counter = self.target, self._counter
                if target is None or counter is None:
                    raise RemoteError(
                        f"{self.server.label}: no model chosen yet (load one first)", "not_loaded"
                    )
                stats = stream_reply(
                    http,
                    target,
                    counter,
                    command,
                    lambda text: deliver(Token(req_id, text)),
                    abort,
                )
                return Done(req_id, stats)
            case CountRequest(messages=messages):
                if self._counter is None:
                    raise RemoteError(
                        f"{self.server.label}: no model chosen yet (load one first)", "not_loaded"
                    )
                tokens = self._counter.count(messages, abort)
                return Counted(req_id, tokens, exact=self._counter.exact)
            case StatusRequest():
                raise RemoteError(
                    f"{self.server.label}: a remote server does not report its memory use",
                    "bad_request",
                )
            case UnloadRequest():
                self.target = None
                self._counter = None
                return Unloaded(req_id)
            case EmbedRequest():
                raise RemoteError(
                    f"{self.server.label}: embeddings from a remote server are not "
                    "supported; choose a local embedding model (parrotchat docs embedder)",
                    "bad_request",
                )
            case CompleteRequest():
                # Raw-prompt continuation is for `parrotchat serve` over the local engine;
                # a server's own /v1/completions is there for clients that need it.
                raise RemoteError(
                    f"{self.server.label}: raw-prompt completions are not relayed; "
                    "use the server's own /v1/completions",
                    "bad_request",
                )

    def _load(self, http: HttpSession, request: LoadRequest, abort: Abort) -> dict[str, Any]:
        started = time.perf_counter()
        info = probe(http, abort)
        self.server_info, self.probe_error = info, None
        model = info.model(request.path)
        label = self.server.label
        if model is None:
            if not info.models:
                raise RemoteError(f"{label}: serves no models yet", "load_failed")
            names = ", ".join(m.id for m in info.models[:10])
            more = f" and {len(info.models) - 10} more" if len(info.models) > 10 else ""
            raise RemoteError(
                f"{label}: has no model '{request.path}' (it serves {names}{more})", "load_failed"
            )
        if model.n_ctx or info.n_ctx:
            n_ctx, source = int(model.n_ctx or info.n_ctx or 0), "server"
        elif self.server.context_length:
            n_ctx, source = self.server.context_length, "saved server"
        else:
            n_ctx, source = request.n_ctx, "settings"
        self.target = RemoteTarget(self.server.name, info.kind, model.id, n_ctx)
        self._counter = TokenCounter(http, info.kind, model.id)
        return {
            "path": model.id,
            "n_ctx": n_ctx,
            "n_ctx_train": model.n_ctx_train or n_ctx,
            "n_batch": 0,
            "threads": 0,
            "gpu_layers": 0,
            "chat_template": True,  # the server renders its own
            "chat_format": None,
            "load_s": time.perf_counter() - started,
            "backend": info.kind,
            "description": f"{model.id} on {self.server.name}",
            "fallback": None,
            "remote": True,
            "server": self.server.name,
            "base_url": self.server.base_url,
            "server_version": info.version,
            "n_ctx_source": source,
            "token_count": "exact" if self._counter.exact else "estimate",
            "latency_s": info.latency_s,
        }

    def _error_event(self, req_id: int, command: Command, exc: Exception, abort: Abort) -> Event:
        if abort.requested:
            if isinstance(command, ChatRequest):
                # As the local engine does: a stopped reply is a reply, with its reason.
                n_ctx = self.target.n_ctx if self.target is not None else 0
                stats = ReplyStats(stop_reason="cancelled", n_ctx=n_ctx).to_dict()
                return Done(req_id, {**stats, "server": self.server.name})
            return Failed(req_id, "cancelled", "Cancelled")
        match exc:
            case RemoteError(kind=kind, retry_after_s=retry):
                return Failed(req_id, kind, str(exc), retry)
            case ContextFullError():
                return Failed(req_id, "context_full", str(exc))
            case ParrotError():
                return Failed(req_id, "bad_request", str(exc))
        return Failed(
            req_id,
            "internal",
            f"{self.server.label}: internal error ({type(exc).__name__}: {exc})",
        )
