"""Start an engine and load a model for a headless command, with a fit check first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from parrotchat.cli.context import CliContext
from parrotchat.engine.local.client import EngineClient
from parrotchat.service.model_load import LoadedSession, load_local_model

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo

__all__ = ["LoadedSession", "engine_with_model"]


@contextlib.contextmanager
def engine_with_model(
    ctx: CliContext, model: ModelInfo, *, n_ctx: int | None = None, chat_format: str | None = None
) -> Iterator[LoadedSession]:
    """A local engine process with `model` loaded, closed when the command is done."""
    client = EngineClient()
    client.start()
    try:
        yield load_local_model(client, ctx.settings, model, n_ctx=n_ctx, chat_format=chat_format)
    finally:
        client.close()
