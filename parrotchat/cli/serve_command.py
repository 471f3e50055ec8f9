"""`parrotchat serve`: the OpenAI-compatible API on a box with no window.

Checks come first and cost nothing (the address needs a key, the key's variable
is set, the port is free); only then is the model loaded, once, into one engine
that every client shares through its queue. With --embedding-model, an embedding
model is loaded too, into a second engine with a queue of its own (serve_engines.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from types import FrameType

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.cli.serve_engines import embedding_engine, keep
from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.shared import SharedEngine
from parrotchat.serve.app import build_app
from parrotchat.serve.config import ServeConfig, allowed_hosts
from parrotchat.serve.guard import AccessPolicy
from parrotchat.serve.served_model import ServedEmbedder, served_embedder, served_model
from parrotchat.serve.server import ApiServer, bind_socket, bound_port
from parrotchat.service.model_load import load_request


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
        with contextlib.ExitStack() as stack:
            session = stack.enter_context(engine_with_model(ctx, model))
            client = session.engine
            assert isinstance(client, EngineClient)  # engine_with_model starts a local one
            engine = SharedEngine(client, config.max_waiting)
            stack.callback(engine.close)
            request = load_request(model, ctx.settings, client.wait_ready().gpu_offload)
            keep(engine, client, request, "the engine")
            served = served_model(
                engine, model.path, session.loaded, ctx.settings.sampling, config.max_tokens
            )
            embedder: ServedEmbedder | None = None
            if args.embedding_model:
                loaded = stack.enter_context(
                    embedding_engine(ctx, args.embedding_model, config.max_waiting)
                )
                embedder = served_embedder(
                    loaded.engine, loaded.model.path, loaded.loaded, served.model_id
                )
            policy = AccessPolicy.create(
                allowed_hosts(config, port),
                config.allowed_origins,
                config.api_key,
                config.max_body_bytes,
            )
            server = ApiServer(build_app(served, policy, embedder), sock)
            who = "API key required" if config.api_key else "this computer only, no API key"
            also = f"; embeddings with {embedder.model_id}" if embedder is not None else ""
            print(
                f"parrotchat: serving {served.model_id} at {_address(config.host, port)} "
                f"({who}){also}",
                flush=True,
            )
            previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
            try:
                # The loop reads the engine's pipe itself: no thread hand-off per token.
                # The embedding engine keeps its reader thread: one event per request.
                server.run(on_loop=client.read_on)
            except KeyboardInterrupt:
                pass
            finally:
                signal.signal(signal.SIGTERM, previous)
    finally:
        sock.close()
    print("parrotchat: server stopped", file=sys.stderr)
    return 0
