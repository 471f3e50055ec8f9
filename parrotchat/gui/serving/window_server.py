"""The window serves the model it has loaded: serve's app on a thread of its own.

The same app and the same safe defaults as `parrotchat serve` (127.0.0.1 only, the
Host header checked, bodies bounded), on the engine the window already holds: the
controller puts a `SharedEngine` between itself and the local engine, so that the
window's chats and the API's requests wait in one queue and no second copy of the
model is loaded. API requests never become chats: they go to the engine, not to
the chat service.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings
from parrotchat.gui.engine_controller import EngineController
from parrotchat.serve.asgi_types import ASGIApp, Receive, Scope, Send
from parrotchat.serve.config import DEFAULT_HOST, DEFAULT_PORT, ServeConfig, allowed_hosts

if TYPE_CHECKING:
    from parrotchat.serve.server import ApiServer

_GENERATION_PATHS = ("/v1/chat/completions", "/v1/completions")
UNSHARE_RETRY_MS = 200


@dataclass(frozen=True)
class RequestCounts:
    answered: int
    in_progress: int


class _CountingApp:
    """Counts generation requests, for the panel; called on the server's thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._answered = 0
        self._in_progress = 0

    @property
    def counts(self) -> RequestCounts:
        with self._lock:
            return RequestCounts(self._answered, self._in_progress)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("path") not in _GENERATION_PATHS:
            await self._app(scope, receive, send)
            return
        with self._lock:
            self._in_progress += 1
        try:
            await self._app(scope, receive, send)
        finally:
            with self._lock:
                self._in_progress -= 1
                self._answered += 1


class WindowServer(QObject):
    """Starts and stops the API on the window's loaded model.

    Signals:
        servingChanged(bool): the server started (True) or stopped (False).
        noticePosted(str): a line for the status bar (serving stopped on its own).
    """

    servingChanged = Signal(bool)
    noticePosted = Signal(str)

    def __init__(
        self, engine: EngineController, settings: Settings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.host = DEFAULT_HOST
        self.port = DEFAULT_PORT  # 0: any free port (tests)
        self.api_key: str | None = None
        self.address: str | None = None
        self._server: ApiServer | None = None
        self._app: _CountingApp | None = None
        self._unshare_timer = QTimer(self)
        self._unshare_timer.setInterval(UNSHARE_RETRY_MS)
        self._unshare_timer.timeout.connect(self._try_unshare)
        engine.loadStarted.connect(self._model_changing)

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def counts(self) -> RequestCounts:
        return self._app.counts if self._app is not None else RequestCounts(0, 0)

    def start(self) -> None:
        """Serve the loaded model; raises ParrotError with one line saying why not."""
        if self._server is not None:
            return
        loaded, last = self.engine.loaded, self.engine.last_load
        if loaded is None or last is None:
            raise ParrotError("Load a model first: the API answers with the window's model")
        # Imported when serving starts: the app reads GGUF metadata (gguf, numpy), which
        # the window must not pay for at start-up.
        from parrotchat.serve.app import build_app
        from parrotchat.serve.guard import AccessPolicy
        from parrotchat.serve.served_model import served_model
        from parrotchat.serve.server import ApiServer, bind_socket, bound_port

        config = ServeConfig(
            host=self.host,
            port=self.port,
            api_key=self.api_key,
            allowed_origins=tuple(self.settings.serve_allowed_origins),
            host_names=tuple(self.settings.serve_host_names),
            max_waiting=self.settings.serve_max_waiting,
            max_tokens=self.settings.serve_max_tokens,
        )
        config.check()
        sock = bind_socket(config.host, config.port)
        try:
            shared = self.engine.share_local(config.max_waiting)
        except ParrotError:
            sock.close()
            raise
        self._unshare_timer.stop()
        port = bound_port(sock)
        served = served_model(
            shared, Path(last.path), loaded, self.settings.sampling, config.max_tokens
        )
        policy = AccessPolicy.create(
            allowed_hosts(config, port),
            config.allowed_origins,
            config.api_key,
            config.max_body_bytes,
        )
        self._app = _CountingApp(build_app(served, policy))
        self._server = ApiServer(self._app, sock, access_log=False)
        self._server.start()
        self.address = f"http://{config.host}:{port}/v1"
        self.servingChanged.emit(True)

    def stop(self) -> None:
        """Stop serving; the window's chat goes on, on the same engine."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        self.address = None
        self._try_unshare()
        self.servingChanged.emit(False)

    def _model_changing(self, _name: str) -> None:
        # The API names the model and its limits when it starts: another model (or
        # another context length) would be served under the old name. Stop instead.
        if self._server is not None:
            self.stop()
            self.noticePosted.emit(
                self.tr("Stopped serving: the window loads another model. Turn it on again.")
            )

    def _try_unshare(self) -> None:
        # A reply still in the queue keeps it until its end; retry until idle.
        if self._server is None and not self.engine.unshare_local():
            self._unshare_timer.start()
        else:
            self._unshare_timer.stop()
