"""The models the server answers with: their names for clients, limits and engines.

The chat model, and optionally an embedding model in an engine of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parrotchat.core.models.info import SPLIT_NAME
from parrotchat.core.sampling import MAX_REPLY_TOKENS, SamplingParams
from parrotchat.engine.shared import SharedEngine
from parrotchat.serve.embedding_schema import EmbeddingLimits
from parrotchat.serve.schema import Limits

# Added to the embedding model's name when it is the chat model's (the same file
# loaded twice, once for each): clients tell the two apart by name alone.
EMBEDDING_SUFFIX = "-embedding"


@dataclass(frozen=True)
class ServedModel:
    engine: SharedEngine
    model_id: str
    created: int  # the model file's modification time, as OpenAI's "created"
    n_ctx: int
    limits: Limits
    defaults: SamplingParams  # the user's settings, for fields a request leaves out


@dataclass(frozen=True)
class ServedEmbedder:
    engine: SharedEngine
    created: int
    limits: EmbeddingLimits

    @property
    def model_id(self) -> str:
        return self.limits.model_id


def _created(path: Path) -> int:
    """The model file's modification time, as OpenAI's "created"."""
    try:
        return int(os.stat(path).st_mtime)
    except OSError:
        return 0


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
    model_id = model_id_for(path)
    limits = Limits(model_id, limit, min(defaults.max_tokens, limit))
    return ServedModel(engine, model_id, _created(path), n_ctx, limits, defaults)


def served_embedder(
    engine: SharedEngine, path: Path, loaded: dict[str, Any], chat_model_id: str
) -> ServedEmbedder:
    """`loaded`: the embedding engine's Loaded.model (n_embd, n_ctx)."""
    model_id = model_id_for(path)
    if model_id.casefold() == chat_model_id.casefold():
        model_id += EMBEDDING_SUFFIX
    limits = EmbeddingLimits(model_id, int(loaded["n_embd"]), int(loaded["n_ctx"]))
    return ServedEmbedder(engine, _created(path), limits)
