"""Tiny random-weight GGUF files of each architecture in the recommended catalog.

Each writer lays out the tensors llama.cpp (as vendored by llama-cpp-python 0.3.36)
asks for in `src/models/<arch>.cpp`, at the shapes it checks, with the tiny byte-level
tokenizer of gguf_factory. The weights are noise: the point is that the bundled
llama.cpp knows the architecture, loads it and runs its graph.

Shapes are numpy (rows, cols): a ggml tensor {n_embd, n_ff} is numpy (n_ff, n_embd).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gguf
import numpy as np
from gguf_factory import (
    CHATML_TEMPLATE,
    N_EMBD,
    N_FF,
    N_HEAD,
    N_HEAD_KV,
    N_LAYER,
    _add_tiny_metadata,
    tiny_vocab,
)

HEAD_DIM = N_EMBD // N_HEAD
KV_DIM = N_HEAD_KV * HEAD_DIM
CONTEXT = 256

Tensors = list[tuple[str, np.ndarray]]


class _Weights:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def mat(self, rows: int, cols: int) -> np.ndarray:
        return (self.rng.standard_normal((rows, cols)) * 0.02).astype(np.float32)

    def vec(self, n: int, value: float = 1.0) -> np.ndarray:
        return np.full(n, value, dtype=np.float32)


def _attention(w: _Weights, i: int, *, bias: bool = False, qk_norm: bool = False) -> Tensors:
    t = [
        (f"blk.{i}.attn_q.weight", w.mat(N_EMBD, N_EMBD)),
        (f"blk.{i}.attn_k.weight", w.mat(KV_DIM, N_EMBD)),
        (f"blk.{i}.attn_v.weight", w.mat(KV_DIM, N_EMBD)),
        (f"blk.{i}.attn_output.weight", w.mat(N_EMBD, N_EMBD)),
    ]
    if bias:
        t += [
            (f"blk.{i}.attn_q.bias", w.vec(N_EMBD, 0.0)),
            (f"blk.{i}.attn_k.bias", w.vec(KV_DIM, 0.0)),
            (f"blk.{i}.attn_v.bias", w.vec(KV_DIM, 0.0)),
        ]
    if qk_norm:
        t += [
            (f"blk.{i}.attn_q_norm.weight", w.vec(HEAD_DIM)),
            (f"blk.{i}.attn_k_norm.weight", w.vec(HEAD_DIM)),
        ]
    return t


def _gated_ffn(w: _Weights, i: int) -> Tensors:
    return [
        (f"blk.{i}.ffn_gate.weight", w.mat(N_FF, N_EMBD)),
        (f"blk.{i}.ffn_up.weight", w.mat(N_FF, N_EMBD)),
        (f"blk.{i}.ffn_down.weight", w.mat(N_EMBD, N_FF)),
    ]


def _decoder(
    w: _Weights,
    n_vocab: int,
    *,
    pre_norms: bool = True,
    post_norms: bool = False,
    bias: bool = False,
    qk_norm: bool = False,
    tied_output: bool = False,
) -> Tensors:
    """The LLaMA-style decoder and its relatives: which norms, biases and heads differ."""
    t = [("token_embd.weight", w.mat(n_vocab, N_EMBD))]
    for i in range(N_LAYER):
        if pre_norms:
            t += [(f"blk.{i}.attn_norm.weight", w.vec(N_EMBD))]
        t += _attention(w, i, bias=bias, qk_norm=qk_norm)
        if post_norms:
            t += [(f"blk.{i}.post_attention_norm.weight", w.vec(N_EMBD))]
        if pre_norms:
            t += [(f"blk.{i}.ffn_norm.weight", w.vec(N_EMBD))]
        t += _gated_ffn(w, i)
        if post_norms:
            t += [(f"blk.{i}.post_ffw_norm.weight", w.vec(N_EMBD))]
    t += [("output_norm.weight", w.vec(N_EMBD))]
    if not tied_output:
        t += [("output.weight", w.mat(n_vocab, N_EMBD))]
    return t


def _bert(w: _Weights, n_vocab: int) -> Tensors:
    """BERT / XLM-RoBERTa encoders (bge-m3, multilingual-e5): post-norm with biases."""
    t = [
        ("token_embd.weight", w.mat(n_vocab, N_EMBD)),
        ("token_types.weight", w.mat(2, N_EMBD)),
        ("position_embd.weight", w.mat(CONTEXT, N_EMBD)),
        ("token_embd_norm.weight", w.vec(N_EMBD)),
        ("token_embd_norm.bias", w.vec(N_EMBD, 0.0)),
    ]
    for i in range(N_LAYER):
        t += _attention(w, i, bias=True)
        t += [
            (f"blk.{i}.attn_output.bias", w.vec(N_EMBD, 0.0)),
            (f"blk.{i}.attn_output_norm.weight", w.vec(N_EMBD)),
            (f"blk.{i}.attn_output_norm.bias", w.vec(N_EMBD, 0.0)),
            (f"blk.{i}.ffn_up.weight", w.mat(N_FF, N_EMBD)),
            (f"blk.{i}.ffn_up.bias", w.vec(N_FF, 0.0)),
            (f"blk.{i}.ffn_down.weight", w.mat(N_EMBD, N_FF)),
            (f"blk.{i}.ffn_down.bias", w.vec(N_EMBD, 0.0)),
            (f"blk.{i}.layer_output_norm.weight", w.vec(N_EMBD)),
            (f"blk.{i}.layer_output_norm.bias", w.vec(N_EMBD, 0.0)),
        ]
    return t


def _bert_metadata(w: gguf.GGUFWriter) -> None:
    w.add_layer_norm_eps(1e-5)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.CLS)
    w.add_uint32(gguf.Keys.Tokenizer.TOKEN_TYPE_COUNT, 2)


_LAYOUTS: dict[str, Callable[[_Weights, int], Tensors]] = {
    "llama": lambda w, n: _decoder(w, n),
    "exaone": lambda w, n: _decoder(w, n),
    "qwen2": lambda w, n: _decoder(w, n, bias=True),
    "qwen3": lambda w, n: _decoder(w, n, qk_norm=True),
    "gemma3": lambda w, n: _decoder(w, n, post_norms=True, qk_norm=True, tied_output=True),
    # EXAONE 4 normalises after attention and FFN only (no pre-norms).
    "exaone4": lambda w, n: _decoder(w, n, pre_norms=False, post_norms=True, qk_norm=True),
    "bert": _bert,
}
EMBEDDING_ARCHITECTURES = frozenset({"bert"})
ARCHITECTURES = frozenset(_LAYOUTS)


def write_tiny_arch(path: Path, arch: str, *, seed: int = 0) -> Path:
    """A tiny random-weight model of `arch` (one of ARCHITECTURES) that llama.cpp loads."""
    if arch not in _LAYOUTS:
        raise ValueError(f"no tiny layout for architecture {arch!r}")
    tokens, types, merges = tiny_vocab()
    w = gguf.GGUFWriter(Path(path), arch)
    _add_tiny_metadata(
        w,
        name=f"tiny-{arch}",
        file_type=gguf.LlamaFileType.ALL_F32,
        context_length=CONTEXT,
        chat_template=None if arch in EMBEDDING_ARCHITECTURES else CHATML_TEMPLATE,
        tokens=tokens,
        types=types,
        merges=merges,
    )
    if arch in EMBEDDING_ARCHITECTURES:
        _bert_metadata(w)
    for name, data in _LAYOUTS[arch](_Weights(seed), len(tokens)):
        w.add_tensor(name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return Path(path)
