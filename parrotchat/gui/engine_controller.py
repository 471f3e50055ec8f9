"""The window's side of the engine process: its events as Qt signals.

`EngineClient` calls its listener on a reader thread. The listener does nothing but
emit one private signal carrying the event; a queued connection hands it to
`_dispatch` on the GUI thread, which turns it into the public signals below. No
widget is ever touched from the reader thread.

When the engine process dies, the replies and the load in flight fail with the
reason, a fresh engine is started at once, and the last model is loaded again
(unless it was the load itself that crashed, or crashes repeat).

The controller can switch between the local engine and a remote server
(`use_remote`, `use_local`) without a restart. The local engine process stays
alive, with its model loaded, while a remote model is used: going back is then
instant (no reload of a multi-gigabyte file), and a server that goes away leaves a
working local model one click away. The price is the local model's memory, held
while the remote one chats. Request ids are unique across engines (engine/router.py),
so the answer to a request sent to the engine before the switch (a Stop's final
stats) still reaches its reply; the engine-wide events (ready, crashed) of an
engine not in use are kept quiet.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from parrotchat.core.errors import EngineError
from parrotchat.engine.protocol import (
    ChatRequest,
    Counted,
    CountRequest,
    Crashed,
    Done,
    Engine,
    Event,
    Failed,
    Loaded,
    LoadProgress,
    LoadRequest,
    PromptProgress,
    Ready,
    Token,
)
from parrotchat.engine.shared import SharedEngine

if TYPE_CHECKING:
    from parrotchat.core.servers import ServerConfig

CANCEL_GRACE_MS = 3000  # a load that ignores cancel this long is stopped by killing the engine
CRASH_WINDOW_S = 30.0  # a second crash this soon after a first: no automatic reload


@dataclass
class _Parked:
    """What the controller knew about an engine it switched away from."""

    info: Ready | None
    ready: bool
    loaded: dict[str, Any] | None
    last_load: LoadRequest | None


class EngineController(QObject):
    """Runs one engine process for the window.

    Signals:
        engineReady(dict): the engine started; backend, gpu_offload.
        loadStarted(str): a model (its file name) began loading.
        loadProgress(float): 0..1 while loading.
        modelLoaded(dict): the engine's `loaded` info (n_ctx, n_ctx_train, backend, ...).
        loadFailed(str): the load failed; the reason, one line.
        loadCancelled(): the user cancelled the load.
        promptProgress(int, int, int, int): request id, prompt tokens read, of how many,
            and the whole prompt's tokens (cached ones too): before the first token.
        tokenReceived(int, str, int): request id, a piece of the reply, the tokens it
            stands for.
        replyFinished(int, dict): request id, the reply's stats.
        replyFailed(int, str, str): request id, error kind, message.
        tokensCounted(int, int): request id, token count.
        countFailed(int, str): request id, why the engine could not count.
        engineCrashed(str): the engine process died; what happened.
    """

    engineReady = Signal(dict)
    loadStarted = Signal(str)
    loadProgress = Signal(float)
    modelLoaded = Signal(dict)
    loadFailed = Signal(str)
    loadCancelled = Signal()
    promptProgress = Signal(int, int, int, int)
    tokenReceived = Signal(int, str, int)
    replyFinished = Signal(int, dict)
    replyFailed = Signal(int, str, str)
    tokensCounted = Signal(int, int)
    countFailed = Signal(int, str)
    engineCrashed = Signal(str)

    _event = Signal(object, object)  # (engine, event): from the reader thread to the GUI thread

    def __init__(self, client: Engine | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if client is None:
            from parrotchat.engine.local.client import EngineClient

            client = EngineClient()
        self.client: Engine = client
        self.local: Engine = client  # the engine to go back to from a remote server
        self.server: ServerConfig | None = None  # the remote server in use; None: local
        self._parked_local: _Parked | None = None
        self._unshared: Engine | None = None  # the local engine under a SharedEngine
        self._listen(client)
        self.info: Ready | None = None
        self.loaded: dict[str, Any] | None = None
        self._ready = False
        self._pending_load: LoadRequest | None = None
        self._last_load: LoadRequest | None = None
        self._loading_id: int | None = None
        self._load_cancelled = False
        self._killed_on_purpose = False
        self._chats: set[int] = set()
        self._counts: set[int] = set()
        self._last_crash = 0.0
        self.crashes = 0  # engine processes that died on their own or were killed
        self._shut_down = False
        self._cancel_timer = QTimer(self)
        self._cancel_timer.setSingleShot(True)
        self._cancel_timer.setInterval(CANCEL_GRACE_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._event.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._cancel_timer.timeout.connect(self._kill_stuck_load)

    # --- state ---------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def is_loading(self) -> bool:
        return self._loading_id is not None or self._pending_load is not None

    @property
    def gpu_offload(self) -> bool:
        return self.info is not None and self.info.gpu_offload

    # --- commands ------------------------------------------------------------------

    def start(self) -> None:
        """Start the engine process without waiting; `engineReady` follows."""
        self._shut_down = False
        self.client.start(wait=False)

    def load(self, request: LoadRequest) -> None:
        """Load a model (replacing the current one); queued until the engine is ready.

        Asking again for what is loaded already answers at once, without a reload.
        """
        if self.loaded is not None and request == self._last_load and self._loading_id is None:
            self.loadStarted.emit(request.path.replace("\\", "/").rsplit("/", 1)[-1])
            self.modelLoaded.emit(self.loaded)
            return
        if self._loading_id is not None:
            with contextlib.suppress(EngineError):
                self.client.cancel(self._loading_id)
        self._loading_id = None
        self._last_load = request
        self._load_cancelled = False
        self.loaded = None
        name = request.path.replace("\\", "/").rsplit("/", 1)[-1]
        if not self._ready:
            self._pending_load = request
            self.loadStarted.emit(name)
            return
        # Submitted before loadStarted, so a Cancel pressed at once finds the load.
        error = self._submit_load(request)
        self.loadStarted.emit(name)
        if error is not None:
            self.loadFailed.emit(error)

    def _submit_load(self, request: LoadRequest) -> str | None:
        """Send the load; the reason if it could not be sent."""
        self._pending_load = None
        try:
            self._loading_id = self.client.submit(request)
        except EngineError as exc:
            self._loading_id = None
            return str(exc)
        return None

    def reload(self) -> None:
        """Load the last requested model again (Retry after a failed load)."""
        if self._last_load is not None:
            if not self.client.is_alive():
                self.start()
            self.load(self._last_load)

    def cancel_load(self) -> None:
        """Stop a load; an engine that does not stop in time is killed and restarted."""
        if self._pending_load is not None:
            self._pending_load = None
            self.loadCancelled.emit()
            return
        if self._loading_id is None:
            return
        self._load_cancelled = True
        with contextlib.suppress(EngineError):
            self.client.cancel(self._loading_id)
        self._cancel_timer.start()

    def chat(self, request: ChatRequest) -> int:
        """Send a chat request; returns its id. Raises EngineError if no engine runs."""
        req_id = self.client.submit(request)
        self._chats.add(req_id)
        return req_id

    def stop(self, req_id: int) -> None:
        """Ask the engine to stop a reply; `replyFinished` (stop reason cancelled) follows."""
        if req_id in self._chats:
            with contextlib.suppress(
                EngineError
            ):  # the engine is gone; its crash event fails the reply
                self.client.cancel(req_id)

    def count(self, messages: list[dict[str, str]], chat_format: str | None) -> int | None:
        """Ask how many tokens `messages` take; `tokensCounted` answers."""
        try:
            req_id = self.client.submit(CountRequest(messages, chat_format))
        except EngineError:
            return None
        self._counts.add(req_id)
        return req_id

    @property
    def last_load(self) -> LoadRequest | None:
        """The model asked for last (its path names the model for the API)."""
        return self._last_load

    # --- shared with the API server --------------------------------------------------

    def share_local(self, max_waiting: int) -> SharedEngine:
        """Put one queue between the local engine and its callers (the window, the API).

        The window's own requests then go through the same queue as the API's, in
        order, and either's cancel reaches its request, queued or running. Only the
        local engine, in use, can be shared: a remote one is someone else's server.
        """
        if self.client is not self.local:
            raise EngineError("Only the model loaded on this computer can be served")
        if isinstance(self.local, SharedEngine):
            return self.local
        self._unshared = self.local
        shared = SharedEngine(self.local, max_waiting)
        self.client = self.local = shared
        self._listen(shared)
        return shared

    def unshare_local(self) -> bool:
        """Take the queue away again once it is idle; False while something still runs."""
        shared, raw = self.local, self._unshared
        if raw is None or not isinstance(shared, SharedEngine):
            return True
        if shared.running is not None or shared.waiting:
            return False
        self._unshared = None
        # SharedEngine took the engine's listener; _listen below gives it back.
        if self.client is shared:
            self.client = raw
        self.local = raw
        self._listen(raw)
        return True

    # --- local or remote ---------------------------------------------------------------

    def use_remote(self, server: ServerConfig) -> None:
        """Chat through `server` from now on; `engineReady` follows. No restart needed.

        A reply in flight on the engine used so far is stopped; its final stats still
        arrive. The local engine keeps running with its model (see the module's note).
        """
        if self.server == server and self.client is not self.local:
            return
        self._leave_current()
        from parrotchat.engine.remote import RemoteEngine

        self.server = server
        self._enter(RemoteEngine(server), None)
        self.start()

    def use_local(self) -> None:
        """Go back to the local engine: its model is still loaded unless it crashed meanwhile."""
        if self.client is self.local:
            return
        self._leave_current()
        self.server = None
        parked, self._parked_local = self._parked_local, None
        self._enter(self.local, parked)
        if not self.local.is_alive():
            self.start()
        elif self._ready and self.info is not None:
            self.engineReady.emit({"backend": self.info.backend, "gpu_offload": self.gpu_offload})

    def _listen(self, client: Engine) -> None:
        client.listener = lambda event: self._on_engine_event(client, event)

    def _leave_current(self) -> None:
        old = self.client
        self._cancel_timer.stop()
        if self._loading_id is not None:
            with contextlib.suppress(EngineError):
                old.cancel(self._loading_id)
            self._loading_id = None
            self.loadCancelled.emit()
        self._pending_load = None
        for req_id in sorted(self._chats):
            with contextlib.suppress(EngineError):
                old.cancel(req_id)  # its Done (cancelled) still comes: ids are unique
        if old is self.local:
            self._parked_local = _Parked(self.info, self._ready, self.loaded, self._last_load)
        else:
            old.close()  # a remote engine is a connection: cheap to open again

    def _enter(self, client: Engine, parked: _Parked | None) -> None:
        self.client = client
        self._listen(client)
        self.info = parked.info if parked else None
        self._ready = parked.ready if parked else False
        self.loaded = parked.loaded if parked else None
        self._last_load = parked.last_load if parked else None
        self._load_cancelled = False

    def kill(self) -> None:
        """Kill the engine process at once (what a crash looks like)."""
        self.client.kill()

    def shutdown(self) -> None:
        """Stop the engine for good (the window is closing)."""
        self._shut_down = True
        self._cancel_timer.stop()
        self.client.listener = None
        self.client.close()
        if self.local is not self.client:
            self.local.listener = None
            self.local.close()

    # --- events ----------------------------------------------------------------------

    def _on_engine_event(self, client: Engine, event: Event) -> None:
        # Reader thread: hand over to the GUI thread and return at once.
        with contextlib.suppress(
            RuntimeError
        ):  # the controller was deleted while the engine still talked
            self._event.emit(client, event)

    @Slot(object, object)
    def _dispatch(self, client: Engine, event: Event) -> None:
        if self._shut_down:
            return
        if client is not self.client:
            self._dispatch_elsewhere(client, event)
            return
        match event:
            case Token(id=req_id, text=text, tokens=tokens) if req_id is not None:
                self.tokenReceived.emit(req_id, text, tokens)
            case PromptProgress(id=req_id) if req_id is not None:
                self.promptProgress.emit(req_id, event.done, event.total, event.prompt_tokens)
            case Done(id=req_id, stats=stats) if req_id is not None:
                self._chats.discard(req_id)
                self.replyFinished.emit(req_id, dict(stats))
            case LoadProgress(id=req_id, fraction=fraction) if req_id == self._loading_id:
                self.loadProgress.emit(fraction)
            case Loaded(id=req_id, model=model) if req_id == self._loading_id:
                self._loading_id = None
                self._cancel_timer.stop()
                self.loaded = dict(model)
                self.modelLoaded.emit(self.loaded)
            case Failed(id=req_id, kind=kind, message=message):
                self._on_error(req_id, kind, message)
            case Counted(id=req_id, tokens=tokens) if req_id in self._counts:
                assert req_id is not None
                self._counts.discard(req_id)
                self.tokensCounted.emit(req_id, tokens)
            case Ready():
                self._ready = True
                self.info = event
                self.engineReady.emit({"backend": event.backend, "gpu_offload": event.gpu_offload})
                if self._pending_load is not None:
                    error = self._submit_load(self._pending_load)
                    if error is not None:
                        self.loadFailed.emit(error)
            case Crashed(message=message):
                self._on_crash(message)
            case _:
                pass  # an answer for a request nobody waits for any more

    def _dispatch_elsewhere(self, client: Engine, event: Event) -> None:
        """An event of an engine not in use: only answers to requests still tracked count."""
        match event:
            case Token(id=req_id, text=text, tokens=tokens) if (
                req_id is not None and req_id in self._chats
            ):
                self.tokenReceived.emit(req_id, text, tokens)
            case Done(id=req_id, stats=stats) if req_id is not None and req_id in self._chats:
                self._chats.discard(req_id)
                self.replyFinished.emit(req_id, dict(stats))
            case Failed(id=req_id, kind=kind, message=message) if req_id in self._chats:
                assert req_id is not None
                self._chats.discard(req_id)
                self.replyFailed.emit(req_id, kind, message)
            case Crashed() if client is self.local and self._parked_local is not None:
                # The idle local engine died: it starts again when the user comes back.
                self._parked_local = _Parked(None, False, None, self._parked_local.last_load)
            case _:
                pass

    def _on_error(self, req_id: int | None, kind: str, message: str) -> None:
        if req_id is not None and req_id == self._loading_id:
            self._loading_id = None
            self._cancel_timer.stop()
            if kind == "cancelled" or self._load_cancelled:
                self.loadCancelled.emit()
            else:
                self.loadFailed.emit(message)
        elif req_id in self._chats:
            self._chats.discard(req_id)
            self.replyFailed.emit(req_id, kind, message)
        elif req_id in self._counts:
            self._counts.discard(req_id)
            self.countFailed.emit(req_id, message)

    def _on_crash(self, message: str) -> None:
        self.crashes += 1  # first: what the signals below report belongs to this crash
        self._ready = False
        self.loaded = None
        on_purpose = self._killed_on_purpose
        self._killed_on_purpose = False
        for req_id in sorted(self._chats):
            self.replyFailed.emit(req_id, "crashed", message)
        self._chats.clear()
        self._counts.clear()
        was_loading = self._loading_id is not None
        self._loading_id = None
        self._cancel_timer.stop()
        if was_loading:
            if on_purpose or self._load_cancelled:
                self.loadCancelled.emit()
            else:
                self.loadFailed.emit(message)
        now = time.monotonic()
        repeated = now - self._last_crash < CRASH_WINDOW_S
        self._last_crash = now
        try:
            self.start()
        except (OSError, EngineError) as exc:
            self.loadFailed.emit(f"The engine could not be restarted: {exc}")
        else:
            if self._last_load is not None and not (was_loading or repeated or on_purpose):
                self.load(self._last_load)
        # Last, so that listeners see whether the model is being loaded again.
        if not on_purpose:
            self.engineCrashed.emit(message)

    @Slot()
    def _kill_stuck_load(self) -> None:
        if self._loading_id is not None:
            self._killed_on_purpose = True
            self.client.kill()
