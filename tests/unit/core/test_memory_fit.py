from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from parrotchat.core.models.info import ModelInfo, read_model_info
from parrotchat.core.models.memory_fit import (
    MIB,
    Fit,
    assess_fit,
    available_memory,
    estimate_memory,
    max_context_that_fits,
)

GIB = 1024 * MIB

# A Llama-3-8B-shaped Q4_K_M model, as its GGUF header describes it.
LLAMA_8B = ModelInfo(
    path=Path("llama-3-8b.Q4_K_M.gguf"),
    files=(Path("llama-3-8b.Q4_K_M.gguf"),),
    name="Llama 3 8B",
    architecture="llama",
    parameter_count=8_030_261_248,
    quantization="Q4_K_M",
    context_length=8192,
    n_layers=32,
    n_embd=4096,
    n_head=32,
    n_head_kv=8,
    head_dim_k=128,
    head_dim_v=128,
    vocab_size=128_256,
    size_bytes=4_920_000_000,
    chat_template=None,
    chat_template_kind=None,
)


def test_kv_cache_matches_what_llama_cpp_reports_for_the_starter(starter_model: Path) -> None:
    info = read_model_info(starter_model)
    # llama.cpp 0.3.36 logs "CPU KV buffer size = 45.00 MiB" at n_ctx 2048, 180 MiB at 8192.
    assert estimate_memory(info, 2048).kv_cache_bytes == 45 * MIB
    assert estimate_memory(info, 8192).kv_cache_bytes == 180 * MIB
    # and "compute buffer size = 98.25 MiB" at 512 (logits: 512 x 49152 x 4 = 96 MiB)
    assert estimate_memory(info, 512).compute_bytes == 96 * MIB


def test_estimate_parts_for_an_8b_model() -> None:
    e = estimate_memory(LLAMA_8B, 8192)
    assert e.weights_bytes == LLAMA_8B.size_bytes
    assert e.kv_cache_bytes == 2 * 32 * 8192 * 8 * 128 * 2 == 1 * GIB
    # one layer's attention scores (512 x 8192 x 32 heads x 4) outweigh the logits at 8k
    assert e.compute_bytes == 512 * 8192 * 32 * 4 > 512 * 128_256 * 4
    assert estimate_memory(LLAMA_8B, 2048).compute_bytes == 512 * 128_256 * 4
    assert e.overhead_bytes == LLAMA_8B.size_bytes // 10 + 64 * MIB
    assert e.total_bytes == sum(
        (e.weights_bytes, e.kv_cache_bytes, e.compute_bytes, e.overhead_bytes)
    )
    assert estimate_memory(LLAMA_8B, 4096).kv_cache_bytes == GIB // 2


def test_unknown_shape_still_gives_an_estimate() -> None:
    bare = replace(LLAMA_8B, n_layers=None, n_head=None, n_head_kv=None, vocab_size=None)
    e = estimate_memory(bare, 4096)
    assert e.kv_cache_bytes == 0 and e.total_bytes > bare.size_bytes


def test_bad_context_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        estimate_memory(LLAMA_8B, 0)


NEED = estimate_memory(LLAMA_8B, 8192).total_bytes  # about 6.8 GB


@pytest.mark.parametrize(
    ("ram", "vram", "gpu", "fit", "words"),
    [
        (NEED + 1, None, False, Fit.FITS, "of RAM is free"),
        (NEED - 1, None, False, Fit.TOO_LARGE, "shorter context"),
        (NEED - 1, 24 * GIB, False, Fit.TOO_LARGE, "RAM is free"),  # GPU not used
        (NEED + 1, None, True, Fit.FITS, "of RAM is free"),  # no GPU found: RAM decides
        (1 * GIB, NEED, True, Fit.FITS, "of GPU memory is free"),
        (8 * GIB, NEED // 2, True, Fit.PARTIAL_OFFLOAD, "about 50% fits in GPU memory"),
        (1 * GIB, 2 * GIB, True, Fit.TOO_LARGE, "GPU + 1.1 GB RAM is free"),
    ],
)
def test_assess_fit(ram: int, vram: int | None, gpu: bool, fit: Fit, words: str) -> None:
    result = assess_fit(estimate_memory(LLAMA_8B, 8192), ram, vram, gpu)
    assert result.fit is fit
    assert words in result.reason
    assert "8,192 tokens" in result.reason and "\n" not in result.reason


def test_max_context_that_fits() -> None:
    at_4k = estimate_memory(LLAMA_8B, 4096).total_bytes
    best = max_context_that_fits(LLAMA_8B, ram_free=at_4k)
    assert best == 4096
    assert max_context_that_fits(LLAMA_8B, ram_free=at_4k - 1) == 3840
    assert max_context_that_fits(LLAMA_8B, ram_free=100 * GIB) == 8192  # the trained limit
    assert max_context_that_fits(LLAMA_8B, ram_free=1 * GIB) == 0
    gpu = max_context_that_fits(LLAMA_8B, ram_free=0, vram_free=at_4k, gpu_offload=True)
    assert gpu == 4096
    # a partial offload is slower but not "too large": RAM takes the rest
    assert max_context_that_fits(LLAMA_8B, GIB, vram_free=at_4k, gpu_offload=True) == 8192


def test_available_memory_reports_free_ram() -> None:
    ram, vram = available_memory()
    assert ram > 0
    assert vram is None or vram > 0


@pytest.fixture
def fake_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    if sys.platform == "win32":
        pytest.skip("uses a shell script")
    monkeypatch.setenv("PATH", str(tmp_path))

    def install(body: str) -> None:
        script = tmp_path / "nvidia-smi"
        script.write_text("#!/bin/sh\n" + body + "\n")
        script.chmod(0o755)

    return install


def test_vram_from_nvidia_smi_adds_up_gpus(fake_nvidia_smi) -> None:  # type: ignore[no-untyped-def]
    fake_nvidia_smi("echo 1000; echo 2000")
    assert available_memory()[1] == 3000 * MIB


@pytest.mark.parametrize("body", ["exit 9", "echo 'No devices were found'", "exec sleep 30"])
def test_vram_is_none_when_nvidia_smi_fails_or_hangs(fake_nvidia_smi, body: str) -> None:  # type: ignore[no-untyped-def]
    fake_nvidia_smi(body)
    start = time.monotonic()
    assert available_memory()[1] is None
    assert time.monotonic() - start < 15  # our 2 s limit, not the 30 s hang


def test_no_nvidia_smi_no_vram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert available_memory()[1] is None
    assert os.environ["PATH"] == str(tmp_path)
