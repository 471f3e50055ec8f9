"""The window's side of the engine process: its events as Qt signals.

`EngineClient` calls its listener on a reader thread. The listener does nothing but
emit one private signal carrying the event; a queued connection hands it to
`_dispatch` on the GUI thread, which turns it into the public signals below. No
widget is ever touched from the reader thread.

When the engine process dies, the replies and the load in flight fail with the
reason, a fresh engine is started at once, and the last model is loaded again
(unless it was the load itself that crashed, or crashes repeat).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

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
    Ready,
    Token,
)

CANCEL_GRACE_MS = 3000  # a load that ignores cancel this long is stopped by killing the engine
CRASH_WINDOW_S = 30.0  # a second crash this soon after a first: no automatic reload


class EngineController(QObject):
    """Runs one engine process for the window.

    Signals:
        engineReady(dict): the engine started; backend, gpu_offload.
        loadStarted(str): a model (its file name) began loading.
        loadProgress(float): 0..1 while loading.
        modelLoaded(dict): the engine's `loaded` info (n_ctx, n_ctx_train, backend, ...).
        loadFailed(str): the load failed; the reason, one line.
        loadCancelled(): the user cancelled the load.
        tokenReceived(int, str): request id, a piece of the reply.
        replyFinished(int, dict): request id, the reply's stats.
        replyFailed(int, str, str): request id, error kind, message.
        tokensCounted(int, int): request id, token count.
        engineCrashed(str): the engine process died; what happened.
    """

    engineReady = Signal(dict)
    loadStarted = Signal(str)
    loadProgress = Signal(float)
    modelLoaded = Signal(dict)
    loadFailed = Signal(str)
    loadCancelled = Signal()
    tokenReceived = Signal(int, str)
    replyFinished = Signal(int, dict)
    replyFailed = Signal(int, str, str)
    tokensCounted = Signal(int, int)
    engineCrashed = Signal(str)

    _event = Signal(object)  # emitted on the reader thread, handled on the GUI thread

    def __init__(self, client: Engine | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if client is None:
            from parrotchat.engine.local.client import EngineClient

            client = EngineClient()
        self.client: Engine = client
        self.client.listener = self._on_engine_event
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

    def kill(self) -> None:
        """Kill the engine process at once (what a crash looks like)."""
        self.client.kill()

    def shutdown(self) -> None:
        """Stop the engine for good (the window is closing)."""
        self._shut_down = True
        self._cancel_timer.stop()
        self.client.listener = None
        self.client.close()

    # --- events ----------------------------------------------------------------------

    def _on_engine_event(self, event: Event) -> None:
        # Reader thread: hand over to the GUI thread and return at once.
        with contextlib.suppress(
            RuntimeError
        ):  # the controller was deleted while the engine still talked
            self._event.emit(event)

    @Slot(object)
    def _dispatch(self, event: Event) -> None:
        if self._shut_down:
            return
        match event:
            case Token(id=req_id, text=text) if req_id is not None:
                self.tokenReceived.emit(req_id, text)
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
