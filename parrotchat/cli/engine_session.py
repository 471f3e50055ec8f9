"""Start an engine and load a model for a headless command: a local model (with a memory
fit check first) or a model on a remote OpenAI-compatible server."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from parrotchat.cli.context import CliContext
from parrotchat.core.errors import ParrotError
from parrotchat.core.servers import ServerStore
from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import LoadRequest
from parrotchat.service.model_load import LoadedSession, load_local_model

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.engine.remote import RemoteEngine

__all__ = ["LoadedSession", "engine_with_model", "remote_session"]


@contextlib.contextmanager
def engine_with_model(
    ctx: CliContext,
    model: ModelInfo,
    *,
    n_ctx: int | None = None,
    chat_format: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Iterator[LoadedSession]:
    """A local engine process with `model` loaded, closed when the command is done.

    `on_progress` hears the load's progress, 0.0 to 1.0."""
    client = EngineClient()
    client.start()
    try:
        session = load_local_model(
            client,
            ctx.settings,
            model,
            n_ctx=n_ctx,
            chat_format=chat_format,
            on_progress=on_progress,
        )
        draft_error = session.loaded.get("draft_error")
        if draft_error:  # the model answers without its draft model: say why
            print(f"parrotchat: warning: {draft_error}", file=sys.stderr)
        yield session
    finally:
        client.close()


@contextlib.contextmanager
def remote_session(
    ctx: CliContext,
    server: str,
    model_id: str | None = None,
    *,
    api_key_env: str | None = None,
    n_ctx: int | None = None,
) -> Iterator[LoadedSession]:
    """A model on a server: saved by name, or a bare URL (then --api-key-env gives the key).

    Without `model_id` the server's only model is taken; a server with several names
    them in the error.
    """
    from parrotchat.engine.remote import RemoteEngine

    config = ServerStore(ctx.paths.servers_file).resolve(server, api_key_from_env(api_key_env))
    engine = RemoteEngine(config)
    engine.start()
    try:
        chosen = model_id or only_model(engine)
        started = time.perf_counter()
        request = LoadRequest(path=chosen, n_ctx=n_ctx or ctx.settings.context_length)
        loaded = load_model(engine, request)
        name = f"{chosen} on {config.name}"
        yield LoadedSession(engine, name, loaded, time.perf_counter() - started, model=None)
    finally:
        engine.close()


def only_model(engine: RemoteEngine) -> str:
    if engine.probe_error is not None:
        raise engine.probe_error
    models = engine.server_info.models if engine.server_info is not None else []
    if len(models) == 1:
        return models[0].id
    label = engine.server.label
    if not models:
        raise ParrotError(f"{label}: serves no models yet")
    names = ", ".join(m.id for m in models[:10])
    raise ParrotError(f"{label}: serves {len(models)} models; choose one with --model ({names})")


def api_key_from_env(variable: str | None) -> str | None:
    """The key from an environment variable: keys on a command line show in `ps`."""
    if variable is None:
        return None
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ParrotError(
            f"Environment variable {variable} is not set (it should hold the API key)"
        )
    return value
