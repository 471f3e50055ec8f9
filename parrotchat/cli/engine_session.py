"""Start an engine and load a model for a headless command, with a fit check first."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from parrotchat.cli.context import CliContext
from parrotchat.conversation import load_request
from parrotchat.core.errors import ModelFileError
from parrotchat.core.models.info import ModelInfo
from parrotchat.core.models.memory_fit import Fit, assess_fit, available_memory, estimate_memory
from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient


@dataclass
class LoadedSession:
    client: EngineClient
    model: ModelInfo
    loaded: dict[str, Any]
    load_s: float


@contextlib.contextmanager
def engine_with_model(
    ctx: CliContext, model: ModelInfo, *, n_ctx: int | None = None, chat_format: str | None = None
) -> Iterator[LoadedSession]:
    client = EngineClient()
    client.start()
    try:
        request = load_request(
            model, ctx.settings, client.wait_ready().gpu_offload, chat_format, n_ctx
        )
        ram, vram = available_memory()
        estimate = estimate_memory(model, request.n_ctx, request.batch)
        fit = assess_fit(estimate, ram, vram, request.gpu_layers != 0)
        if fit.fit is Fit.TOO_LARGE:
            raise ModelFileError(
                f"Model {model.path.name} is too large for this machine: {fit.reason}"
            )
        started = time.perf_counter()
        loaded = load_model(client, request)
        yield LoadedSession(client, model, loaded, time.perf_counter() - started)
    finally:
        client.close()
