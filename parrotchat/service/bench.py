"""The benchmark measurement, for `parrotchat bench` and the window's "Run benchmark".

Greedy decoding with end-of-sequence suppressed, so every run produces exactly
`reply_tokens` tokens and figures from different machines compare like for like.
It measures whatever engine the session holds; the callers give it a fresh one, so
that nothing cached from earlier work flatters the figures.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from parrotchat.engine.calls import count_tokens, memory_status, stream_chat
from parrotchat.engine.protocol import ChatRequest, Done, Engine, Token
from parrotchat.service.model_load import LoadedSession

SENTENCE = "A parrot listens to every word and learns which one usually comes next. "


def bench_context(prompt_tokens: int, reply_tokens: int) -> int:
    """The context to load the model with: the prompt, the reply, and the template's own."""
    return max(512, prompt_tokens + reply_tokens + 64)


def _prompt_of(engine: Engine, n_tokens: int) -> list[dict[str, str]]:
    """A user message whose rendered prompt is about `n_tokens` long."""
    per = max(1, count_tokens(engine, [{"role": "user", "content": SENTENCE * 10}]).tokens // 10)
    repeats = max(1, n_tokens // per)
    for _ in range(4):
        messages = [{"role": "user", "content": SENTENCE * repeats}]
        counted = count_tokens(engine, messages).tokens
        if abs(counted - n_tokens) <= per:
            break
        repeats = max(1, repeats + (n_tokens - counted) // per)
    return messages


def measure(
    session: LoadedSession,
    prompt_tokens: int = 512,
    reply_tokens: int = 128,
    messages: list[dict[str, str]] | None = None,
    draft_ahead: bool = True,
) -> dict[str, Any]:
    """Measure the session's loaded model (loaded with `bench_context`); nothing is printed.

    Without `messages` the prompt is synthetic and the reply runs to exactly
    `reply_tokens`; with them (a task such as summarize) the reply may end sooner, as
    it would for a user, and speeds compare as tokens/s.
    """
    engine = session.engine
    synthetic = messages is None
    if messages is None:
        messages = _prompt_of(engine, prompt_tokens)
    request = ChatRequest(
        messages=messages,
        sampling={
            "temperature": 0.0,
            "max_tokens": reply_tokens,
            "repeat_penalty": 1.0,
            "draft_ahead": draft_ahead,
        },
        ignore_eos=synthetic,
    )
    sent = time.perf_counter()
    first = last = 0.0
    stats: dict[str, Any] = {}
    reply: list[str] = []
    for event in stream_chat(engine, request):
        match event:
            case Token():
                last = time.perf_counter()
                first = first or last
                reply.append(event.text)
            case Done():
                stats = event.stats
    memory = memory_status(engine)
    n = int(stats.get("reply_tokens", 0))
    return {
        "model": session.model_name,
        "quantization": session.model.quantization if session.model is not None else None,
        "backend": session.loaded["backend"],
        "threads": session.loaded["threads"],
        "gpu_layers": session.loaded["gpu_layers"],
        "n_ctx": session.loaded["n_ctx"],
        "load_s": round(session.load_s, 3),
        "prompt_tokens": stats.get("prompt_tokens", 0),
        "prompt_tokens_per_s": round(float(stats.get("prompt_tokens_per_s", 0.0)), 1),
        "reply_tokens": n,
        "decode_tokens_per_s": round((n - 1) / (last - first), 1) if n > 1 else 0.0,
        "ttft_s": round(first - sent, 3),
        "peak_rss_mb": round(memory.peak_rss_mb, 1),
        "stop_reason": stats.get("stop_reason"),
        "draft_tokens": int(stats.get("draft_tokens", 0)),
        "accepted_tokens": int(stats.get("accepted_tokens", 0)),
        # False: this build's batches round differently, so the engine does not draft;
        # None: not checked (drafting was off).
        "exact_drafts": stats.get("exact_drafts"),
        "reply_sha256": hashlib.sha256("".join(reply).encode("utf-8")).hexdigest(),
    }
