"""Will a file on the hub fit this machine, and which one do we pre-select?

A file that is not downloaded yet has no header to read, so the estimate is rougher than
`memory_fit.estimate_memory` (which this module mirrors and hands to `assess_fit`):

- weights: the file size (all parts of a split set).
- KV cache at `n_ctx` (4096 by default, at most the trained context the hub reports):
  2 * sqrt(parameters) bytes per token, f16. That is within a factor of two of the real
  figure for grouped-query models from 0.1B to 70B parameters (SmolLM2, Llama 3, Qwen
  2.5, Mistral), above it for most, and below it for old full-attention models (Llama 2,
  Phi-3); the parameters come from the hub's GGUF summary, or from the file size and the
  quantization's bits per weight.
- compute: the logits of one 512-token batch over a 64k vocabulary (128 MiB).
- overhead: 10% of the weights plus 64 MiB, as in memory_fit.

Recommended: the largest of Q4_K_M, Q5_K_M and Q4_0 that fits; failing that, the largest
fitting file that is not F16/BF16/F32; failing that, the smallest fitting file. When
nothing fits entirely, the same order over files that fit with partial GPU offload.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from parrotchat.core.hub.files import FileChoice, GgufSummary, RepoListing
from parrotchat.core.models.memory_fit import (
    MIB,
    Fit,
    FitAssessment,
    MemoryEstimate,
    assess_fit,
    available_memory,
)

DEFAULT_CONTEXT = 4096
PREFERRED_QUANTS = ("Q4_K_M", "Q5_K_M", "Q4_0")
UNQUANTIZED = frozenset({"F16", "BF16", "F32"})
_ASSUMED_VOCAB = 65_536
_BATCH = 512
_KV_FACTOR = 2.0
_BITS_PER_WEIGHT = {
    "IQ1_S": 1.56, "IQ1_M": 1.75, "IQ2_XXS": 2.06, "IQ2_XS": 2.31, "IQ2_S": 2.5,
    "IQ2_M": 2.7, "IQ3_XXS": 3.06, "IQ3_XS": 3.3, "IQ3_S": 3.44, "IQ3_M": 3.66,
    "IQ4_XS": 4.25, "IQ4_NL": 4.5, "Q2_K": 2.63, "Q3_K_S": 3.5, "Q3_K_M": 3.91,
    "Q3_K_L": 4.27, "Q4_0": 4.55, "Q4_1": 5.0, "Q4_K_S": 4.58, "Q4_K_M": 4.85,
    "Q5_0": 5.5, "Q5_1": 6.0, "Q5_K_S": 5.54, "Q5_K_M": 5.69, "Q6_K": 6.56,
    "Q8_0": 8.5, "F16": 16.0, "BF16": 16.0, "F32": 32.0,
}  # fmt: skip


@dataclass(frozen=True)
class MachineMemory:
    ram_free: int
    vram_free: int | None = None
    gpu_offload: bool = False

    @classmethod
    def measure(cls, gpu_offload: bool | None = None) -> MachineMemory:
        """Free memory now; GPU offload assumed whenever a GPU reports free memory."""
        ram, vram = available_memory()
        return cls(ram, vram, vram is not None if gpu_offload is None else gpu_offload)


@dataclass(frozen=True)
class ChoiceFit:
    choice: FileChoice
    fit: FitAssessment
    recommended: bool


def estimated_parameters(choice: FileChoice, gguf: GgufSummary) -> int:
    if gguf.parameters:
        return gguf.parameters
    bits = _BITS_PER_WEIGHT.get(choice.quantization or "", 5.0)
    return int(choice.size * 8 / bits)


def estimate_remote(
    choice: FileChoice, gguf: GgufSummary, n_ctx: int = DEFAULT_CONTEXT
) -> MemoryEstimate:
    if n_ctx <= 0:
        raise ValueError(f"n_ctx must be positive, not {n_ctx}")
    if gguf.context_length:
        n_ctx = min(n_ctx, gguf.context_length)
    per_token = _KV_FACTOR * math.sqrt(estimated_parameters(choice, gguf))
    return MemoryEstimate(
        n_ctx=n_ctx,
        weights_bytes=choice.size,
        kv_cache_bytes=int(per_token * n_ctx),
        compute_bytes=_BATCH * _ASSUMED_VOCAB * 4,
        overhead_bytes=choice.size // 10 + 64 * MIB,
    )


def _pick(candidates: list[FileChoice]) -> FileChoice | None:
    preferred = [c for c in candidates if c.quantization in PREFERRED_QUANTS]
    if preferred:
        return max(preferred, key=lambda c: c.size)
    quantized = [c for c in candidates if c.quantization not in UNQUANTIZED]
    if quantized:
        return max(quantized, key=lambda c: c.size)
    return min(candidates, key=lambda c: c.size) if candidates else None


def assess_listing(
    listing: RepoListing, memory: MachineMemory, n_ctx: int = DEFAULT_CONTEXT
) -> list[ChoiceFit]:
    """Every choice of the listing with its fit badge; at most one is recommended."""
    fits = {
        c.key: assess_fit(
            estimate_remote(c, listing.gguf, n_ctx),
            memory.ram_free,
            memory.vram_free,
            memory.gpu_offload,
        )
        for c in listing.choices
    }
    chosen = _pick([c for c in listing.choices if fits[c.key].fit is Fit.FITS]) or _pick(
        [c for c in listing.choices if fits[c.key].fit is Fit.PARTIAL_OFFLOAD]
    )
    chosen_key = chosen.key if chosen is not None else None
    return [ChoiceFit(c, fits[c.key], c.key == chosen_key) for c in listing.choices]


def recommended(fits: list[ChoiceFit]) -> FileChoice | None:
    return next((f.choice for f in fits if f.recommended), None)
