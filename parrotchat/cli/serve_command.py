"""`parrotchat serve`: the OpenAI-compatible API on a box with no window.

Checks come first and cost nothing (the address needs a key, the key's variable
is set, the port is free); only then is the model loaded, once, into one engine
that every client shares through its queue.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from types import FrameType

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import Crashed, Event, LoadRequest
from parrotchat.engine.shared import SharedEngine
from parrotchat.serve.app import build_app
from parrotchat.serve.config import ServeConfig, allowed_hosts
from parrotchat.serve.guard import AccessPolicy
from parrotchat.serve.served_model import served_model
from parrotchat.serve.server import ApiServer, bind_socket, bound_port
from parrotchat.service.model_load import load_request

CRASH_LOOP_S = 60.0


def serve_config(settings: Settings, args: argparse.Namespace) -> ServeConfig:
    api_key: str | None = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env, "").strip()
        if not api_key:
            raise ParrotError(
                f"--api-key-env {args.api_key_env}: that environment variable is not set or "
                "is empty"
            )
    return ServeConfig(
        host=args.host,
        port=args.port,
        api_key=api_key,
        allowed_origins=tuple(settings.serve_allowed_origins),
        host_names=tuple(settings.serve_host_names),
        max_waiting=settings.serve_max_waiting,
        max_tokens=settings.serve_max_tokens,
    )


def _address(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/v1"


class _EngineKeeper:
    """Restarts the engine and reloads the model after a crash (an out-of-memory kill, a
    llama.cpp abort), so that one bad moment does not end the service. Requests that
    arrive meanwhile wait in the queue; a crash within a minute of the last restart is
    left alone (a crash loop), and says so: requests are then refused clearly."""

    def __init__(self, engine: SharedEngine, client: EngineClient, request: LoadRequest) -> None:
        self.engine = engine
        self.client = client
        self.request = request
        self.last_restart = float("-inf")
        self.lock = threading.Lock()

    def on_event(self, event: Event) -> None:
        # On the engine's thread, before the queue can hand the next request to a dead
        # engine: hold the queue, then restart on a thread of its own.
        if isinstance(event, Crashed) and self.lock.acquire(blocking=False):
            self.engine.pause()
            threading.Thread(target=self.restart, args=(event,), daemon=True).start()

    def restart(self, crash: Crashed) -> None:
        try:
            print(f"parrotchat: warning: {crash.message}", file=sys.stderr, flush=True)
            if time.monotonic() - self.last_restart < CRASH_LOOP_S:
                print(
                    "parrotchat: error: the engine crashed again within a minute; not "
                    "restarting it (requests are refused until the server is restarted)",
                    file=sys.stderr,
                    flush=True,
                )
                return
            self.last_restart = time.monotonic()
            self.client.start()
            load_model(self.client, self.request)
            print("parrotchat: the engine was restarted", file=sys.stderr, flush=True)
        except ParrotError as exc:
            print(f"parrotchat: error: restarting the engine: {exc}", file=sys.stderr, flush=True)
        finally:
            self.engine.resume()
            self.lock.release()


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # uvicorn stops gracefully on SIGTERM and then raises it again for the previous
    # handler, this one: end like Ctrl+C, so the engine is closed on the way out.
    raise KeyboardInterrupt


def run_serve(ctx: CliContext, args: argparse.Namespace) -> int:
    config = serve_config(ctx.settings, args)
    for warning in config.check():
        print(f"parrotchat: warning: {warning}", file=sys.stderr)
    sock = bind_socket(config.host, config.port)
    try:
        port = bound_port(sock)
        model = ctx.model(args.serve_model or args.model)
        print(f"parrotchat: loading {model.path.name} …", file=sys.stderr, flush=True)
        with engine_with_model(ctx, model) as session:
            client = session.engine
            assert isinstance(client, EngineClient)  # engine_with_model starts a local one
            engine = SharedEngine(client, config.max_waiting)
            request = load_request(model, ctx.settings, client.wait_ready().gpu_offload)
            engine.listener = _EngineKeeper(engine, client, request).on_event
            served = served_model(
                engine, model.path, session.loaded, ctx.settings.sampling, config.max_tokens
            )
            policy = AccessPolicy.create(
                allowed_hosts(config, port),
                config.allowed_origins,
                config.api_key,
                config.max_body_bytes,
            )
            server = ApiServer(build_app(served, policy), sock)
            who = "API key required" if config.api_key else "this computer only, no API key"
            print(
                f"parrotchat: serving {served.model_id} at {_address(config.host, port)} ({who})",
                flush=True,
            )
            previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
            try:
                # The loop reads the engine's pipe itself: no thread hand-off per token.
                server.run(on_loop=None if os.environ.get("PC_AB") else client.read_on)
            except KeyboardInterrupt:
                pass
            finally:
                signal.signal(signal.SIGTERM, previous)
                engine.close()
    finally:
        sock.close()
    print("parrotchat: server stopped", file=sys.stderr)
    return 0
