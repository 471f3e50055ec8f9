"""The model the server answers with: its name for clients, its limits, its engine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parrotchat.core.models.info import SPLIT_NAME
from parrotchat.core.sampling import MAX_REPLY_TOKENS, SamplingParams
from parrotchat.engine.shared import SharedEngine
from parrotchat.serve.schema import Limits


@dataclass(frozen=True)
class ServedModel:
    engine: SharedEngine
    model_id: str
    created: int  # the model file's modification time, as OpenAI's "created"
    n_ctx: int
    limits: Limits
    defaults: SamplingParams  # the user's settings, for fields a request leaves out


def model_id_for(path: Path) -> str:
    """What clients call the model: the file's stem, without a split set's part number."""
    match = SPLIT_NAME.match(path.name)
    return match.group("stem") if match else path.stem


def served_model(
    engine: SharedEngine,
    path: Path,
    loaded: dict[str, Any],
    defaults: SamplingParams,
    max_tokens: int = 0,
) -> ServedModel:
    """`loaded`: the engine's Loaded.model; `max_tokens`: the largest reply (0: the context)."""
    n_ctx = int(loaded["n_ctx"])
    limit = min(max_tokens or n_ctx, n_ctx, MAX_REPLY_TOKENS)
    try:
        created = int(os.stat(path).st_mtime)
    except OSError:
        created = 0
    model_id = model_id_for(path)
    limits = Limits(model_id, limit, min(defaults.max_tokens, limit))
    return ServedModel(engine, model_id, created, n_ctx, limits, defaults)
