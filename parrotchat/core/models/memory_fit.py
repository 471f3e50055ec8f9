"""Will this model, at this context length, fit in this machine's memory?

The estimate is a documented heuristic, checked against what llama.cpp 0.3.36 itself
reports for the starter model (SmolLM2-135M Q4_1, CPU, n_batch 512):

============  ===========================  ==============  ==============
n_ctx         KV cache (llama.cpp / ours)  compute buffer  ours: compute
============  ===========================  ==============  ==============
512           11.25 / 11.25 MiB            98.3 MiB        96 MiB
2048          45.00 / 45.00 MiB            99.4 MiB        96 MiB
8192          180.0 / 180.0 MiB            166.4 MiB       144 MiB
============  ===========================  ==============  ==============

- weights: the file sizes (llama.cpp maps the file; every byte is a weight or header).
- KV cache: K and V, f16, for every layer and position:
  n_layers * n_ctx * n_head_kv * (head_dim_k + head_dim_v) * 2 bytes.
- compute: llama.cpp reuses one scratch buffer, so the larger of the logits
  (n_batch * n_vocab * 4) and one layer's attention scores (n_batch * n_ctx * n_head * 4).
- overhead: 10% of the weights plus 64 MiB, for the runtime, allocator slack and what the
  estimate misses (the compute row above). That is also our safety margin, so no further
  reserve is taken off the free memory.
"""

from __future__ import annotations

import enum
import shutil
import subprocess
from dataclasses import dataclass

import psutil

from parrotchat.core.models.info import ModelInfo, human_bytes

MIB = 1024 * 1024
_FIXED_OVERHEAD = 64 * MIB
_CONTEXT_STEP = 256
_NVIDIA_SMI_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class MemoryEstimate:
    n_ctx: int
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes


class Fit(enum.Enum):
    FITS = "fits"
    PARTIAL_OFFLOAD = "partial_offload"  # part on the GPU, the rest in RAM: slower
    TOO_LARGE = "too_large"


@dataclass(frozen=True)
class FitAssessment:
    fit: Fit
    reason: str  # one line for the user


def estimate_memory(info: ModelInfo, n_ctx: int, n_batch: int = 512) -> MemoryEstimate:
    if n_ctx <= 0 or n_batch <= 0:
        raise ValueError(f"n_ctx and n_batch must be positive, not {n_ctx} and {n_batch}")
    n_layers = info.n_layers or 0
    n_head = info.n_head or 0
    n_head_kv = info.n_head_kv or n_head
    head_dims = (info.head_dim_k or 0) + (info.head_dim_v or 0)
    kv = n_layers * n_ctx * n_head_kv * head_dims * 2
    logits = n_batch * (info.vocab_size or 0) * 4
    scores = n_batch * n_ctx * n_head * 4
    return MemoryEstimate(
        n_ctx=n_ctx,
        weights_bytes=info.size_bytes,
        kv_cache_bytes=kv,
        compute_bytes=max(logits, scores),
        overhead_bytes=info.size_bytes // 10 + _FIXED_OVERHEAD,
    )


def available_memory() -> tuple[int, int | None]:
    """Free RAM in bytes, and free GPU memory (all NVIDIA GPUs) or None if unknown."""
    return int(psutil.virtual_memory().available), _nvidia_free_bytes()


def _nvidia_free_bytes() -> int | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=_NVIDIA_SMI_TIMEOUT_S,
            check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
        if done.returncode != 0:
            return None
        # llama.cpp spreads layers over all GPUs by default, so their free memory adds up.
        return sum(int(line) for line in done.stdout.split()) * MIB or None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def assess_fit(
    estimate: MemoryEstimate, ram_free: int, vram_free: int | None, gpu_offload: bool
) -> FitAssessment:
    need = estimate.total_bytes
    at = f"at {estimate.n_ctx:,} tokens of context"
    if gpu_offload and vram_free is not None:
        if need <= vram_free:
            return FitAssessment(
                Fit.FITS,
                f"Needs about {human_bytes(need)} {at}; "
                f"{human_bytes(vram_free)} of GPU memory is free.",
            )
        if need <= vram_free + ram_free:
            share = vram_free / need
            return FitAssessment(
                Fit.PARTIAL_OFFLOAD,
                f"Needs about {human_bytes(need)} {at}; about {share:.0%} fits in GPU memory "
                f"({human_bytes(vram_free)} free), the rest runs from RAM, more slowly.",
            )
        free = f"{human_bytes(vram_free)} GPU + {human_bytes(ram_free)} RAM"
    else:
        if need <= ram_free:
            return FitAssessment(
                Fit.FITS,
                f"Needs about {human_bytes(need)} {at}; {human_bytes(ram_free)} of RAM is free.",
            )
        free = f"{human_bytes(ram_free)} RAM"
    return FitAssessment(
        Fit.TOO_LARGE,
        f"Needs about {human_bytes(need)} {at} but only {free} is free: "
        "try a shorter context or a smaller quantization.",
    )


def max_context_that_fits(
    info: ModelInfo,
    ram_free: int,
    vram_free: int | None = None,
    *,
    gpu_offload: bool = False,
    n_batch: int = 512,
) -> int:
    """The longest context (a multiple of 256, at most the trained context) that is not
    TOO_LARGE; 0 if not even 256 tokens fit."""

    def fits(n_ctx: int) -> bool:
        estimate = estimate_memory(info, n_ctx, n_batch)
        return assess_fit(estimate, ram_free, vram_free, gpu_offload).fit is not Fit.TOO_LARGE

    trained = info.context_length or 131_072
    if trained < _CONTEXT_STEP:
        return trained if fits(trained) else 0
    lo, hi = 0, trained // _CONTEXT_STEP  # in steps of 256; lo always "fits"
    while lo < hi:  # memory grows with n_ctx, so bisect
        mid = (lo + hi + 1) // 2
        if fits(mid * _CONTEXT_STEP):
            lo = mid
        else:
            hi = mid - 1
    return lo * _CONTEXT_STEP
