"""Loading a model file from the library: the request built from the user's settings,
the memory check before it, and the load itself, over a started `Engine`.

The window's model controller builds its requests here; the headless commands and
the window's benchmark load through `load_local_model`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parrotchat.core.errors import ModelFileError
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import load_model
from parrotchat.engine.protocol import Engine, LoadRequest

if TYPE_CHECKING:  # model_info imports gguf and numpy: too slow for the window's start
    from parrotchat.core.models.info import ModelInfo


@dataclass
class LoadedSession:
    """An engine with a model loaded, for one headless command.

    A front end reads the engine and the model's display name from here, so that a
    remote server's session can stand in for the local one.
    """

    engine: Engine
    model_name: str
    loaded: dict[str, Any]  # the engine's Loaded info: n_ctx, backend, threads, ...
    load_s: float
    model: ModelInfo | None = None  # the local file; None for a model on a server

    @property
    def n_ctx(self) -> int | None:
        """The context the model was loaded with, if the engine said."""
        value = self.loaded.get("n_ctx")
        return int(value) if value else None


def resolve_gpu_layers(setting: str, gpu_offload: bool) -> int:
    """'auto' and 'all' offload every layer when the build can; a number is taken as is."""
    if setting in ("auto", "all"):
        return -1 if gpu_offload else 0
    try:
        return max(-1, int(setting))
    except ValueError:
        return -1 if gpu_offload else 0


def effective_context(requested: int, model: ModelInfo) -> int:
    """The context length to load with: what was asked, capped by the model's training."""
    trained = model.context_length or requested
    return max(256, min(requested, trained))


def load_request(
    model: ModelInfo,
    settings: Settings,
    gpu_offload: bool,
    chat_format: str | None = None,
    n_ctx: int | None = None,
) -> LoadRequest:
    return LoadRequest(
        path=str(model.path),
        n_ctx=effective_context(n_ctx or settings.context_length, model),
        gpu_layers=resolve_gpu_layers(settings.gpu_layers, gpu_offload),
        threads=settings.threads,
        batch=settings.batch_size,
        chat_format=chat_format,
        draft_path=settings.draft_models.get(str(model.path)),
    )


def load_local_model(
    engine: Engine,
    settings: Settings,
    model: ModelInfo,
    *,
    n_ctx: int | None = None,
    chat_format: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> LoadedSession:
    """Load `model` into a started engine, refusing at once one that cannot fit.

    `on_progress` hears the engine's load progress, 0.0 to 1.0."""
    from parrotchat.core.models.memory_fit import Fit, assess_fit, available_memory, estimate_memory

    ready = engine.ready_info
    request = load_request(
        model, settings, ready is not None and ready.gpu_offload, chat_format, n_ctx
    )
    ram, vram = available_memory()
    estimate = estimate_memory(model, request.n_ctx, request.batch)
    fit = assess_fit(estimate, ram, vram, request.gpu_layers != 0)
    if fit.fit is Fit.TOO_LARGE:
        raise ModelFileError(f"Model {model.path.name} is too large for this machine: {fit.reason}")
    started = time.perf_counter()
    loaded = load_model(engine, request, on_progress)
    return LoadedSession(engine, model.display_name, loaded, time.perf_counter() - started, model)
