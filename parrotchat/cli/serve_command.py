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
from types import FrameType

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings
from parrotchat.engine.shared import SharedEngine
from parrotchat.serve.app import build_app
from parrotchat.serve.config import ServeConfig, allowed_hosts
from parrotchat.serve.guard import AccessPolicy
from parrotchat.serve.served_model import served_model
from parrotchat.serve.server import ApiServer, bind_socket, bound_port


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
            engine = SharedEngine(session.client, config.max_waiting)
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
                server.run()
            except KeyboardInterrupt:
                pass
            finally:
                signal.signal(signal.SIGTERM, previous)
                engine.close()
    finally:
        sock.close()
    print("parrotchat: server stopped", file=sys.stderr)
    return 0
