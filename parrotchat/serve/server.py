"""Listening: the socket and uvicorn. The only module that imports uvicorn.

The socket is bound here before the model loads, so that a port in use or an
address this computer does not have is one clear line at once, not a traceback
after a minute of loading. `ApiServer.run` serves in the calling thread (the
`parrotchat serve` command); `start`/`stop` serve on a thread of its own, for a
window that serves the model it has loaded.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
import threading
from collections.abc import Callable

import uvicorn

from parrotchat.core.errors import ParrotError
from parrotchat.serve.asgi_types import ASGIApp

# Connections beyond this get 503 from uvicorn before any of our code runs: the
# queue's bound (429) is for requests, this one for sockets held open.
MAX_CONNECTIONS = 128
BACKLOG = 128


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port), or a clear error."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ParrotError(f"Address '{host}' cannot be used: {exc.strerror}") from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if sys.platform != "win32":
            # Lets a restarted server take its port back while old connections linger
            # (on Windows the same flag would let two servers share one port).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # Listening at once: a client that connects while the model loads waits in the
        # backlog instead of being refused.
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ParrotError(_bind_error(host, port, exc)) from None
    sock.set_inheritable(True)
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} on {host} is already in use; choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"Address {host} is not one of this computer's addresses"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"Port {port} needs administrator rights here; use a port above 1023"
    return f"Cannot listen on {host}:{port}: {exc.strerror or exc}"


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


class ApiServer:
    def __init__(self, app: ASGIApp, sock: socket.socket, access_log: bool = True) -> None:
        self._sock = sock
        config = uvicorn.Config(
            app,
            # Named, not "auto": the same modules in every install and in the frozen build.
            http="h11",
            loop="asyncio",
            log_level="warning",
            access_log=access_log,
            proxy_headers=False,  # no proxy is trusted to say who the client is
            server_header=False,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=3,
            lifespan="off",
        )
        if access_log:
            # One line per request (client, method, path, status); warnings otherwise.
            logging.getLogger("uvicorn.access").setLevel(logging.INFO)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self, on_loop: Callable[[asyncio.AbstractEventLoop], None] | None = None) -> None:
        """Serve until Ctrl+C or SIGTERM (uvicorn stops on both). `on_loop` is given the
        server's event loop before the first request."""

        async def serve() -> None:
            if on_loop is not None:
                on_loop(asyncio.get_running_loop())
            await self._server.serve(sockets=[self._sock])

        # What uvicorn's own run() does for loop="asyncio", with the hook added.
        asyncio.run(serve())

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="api-server", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._sock.close()

    @property
    def started(self) -> bool:
        return bool(self._server.started)
