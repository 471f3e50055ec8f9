"""`parrotchat bench`: measure this machine with a model, through the real engine process.

Greedy decoding with end-of-sequence suppressed, so every run produces exactly
`--reply-tokens` tokens and figures from different machines compare like for like.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.core.models.info import ModelInfo
from parrotchat.engine.calls import count_tokens, memory_status, stream_chat
from parrotchat.engine.protocol import ChatRequest, Done, Engine, Token

SENTENCE = "A parrot listens to every word and learns which one usually comes next. "


def _prompt_of(client: Engine, n_tokens: int) -> list[dict[str, str]]:
    """A user message whose rendered prompt is about `n_tokens` long."""
    per = max(1, count_tokens(client, [{"role": "user", "content": SENTENCE * 10}]).tokens // 10)
    repeats = max(1, n_tokens // per)
    for _ in range(4):
        messages = [{"role": "user", "content": SENTENCE * repeats}]
        counted = count_tokens(client, messages).tokens
        if abs(counted - n_tokens) <= per:
            break
        repeats = max(1, repeats + (n_tokens - counted) // per)
    return messages


def measure(
    ctx: CliContext, model: ModelInfo, prompt_tokens: int = 512, reply_tokens: int = 128
) -> dict[str, Any]:
    """Load `model` in a fresh engine process and measure it; nothing is printed."""
    n_ctx = max(512, prompt_tokens + reply_tokens + 64)
    with engine_with_model(ctx, model, n_ctx=n_ctx) as session:
        client = session.client
        messages = _prompt_of(client, prompt_tokens)
        request = ChatRequest(
            messages=messages,
            sampling={"temperature": 0.0, "max_tokens": reply_tokens, "repeat_penalty": 1.0},
            ignore_eos=True,
        )
        sent = time.perf_counter()
        first = last = 0.0
        stats: dict[str, Any] = {}
        for event in stream_chat(client, request):
            match event:
                case Token():
                    last = time.perf_counter()
                    first = first or last
                case Done():
                    stats = event.stats
        memory = memory_status(client)
        n = int(stats.get("reply_tokens", 0))
        result = {
            "model": model.name,
            "quantization": model.quantization,
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
        }
    return result


def run_bench(
    ctx: CliContext,
    model_arg: str | None,
    threads: int | None,
    prompt_tokens: int,
    reply_tokens: int,
    as_json: bool,
) -> int:
    model = ctx.model(model_arg)
    if threads:
        ctx.settings = replace(ctx.settings, threads=threads)
    result = measure(ctx, model, prompt_tokens, reply_tokens)
    n = result["reply_tokens"]
    if as_json:
        print(json.dumps(result))
    else:
        print(
            f"{result['model']} ({result['quantization']}) on {result['backend']}, "
            f"{result['threads']} threads"
        )
        print(f"  load            {result['load_s']:>8} s")
        print(
            f"  prompt          {result['prompt_tokens_per_s']:>8} tokens/s "
            f"({result['prompt_tokens']} tokens)"
        )
        print(f"  first token     {result['ttft_s']:>8} s")
        print(f"  reply           {result['decode_tokens_per_s']:>8} tokens/s ({n} tokens)")
        print(f"  peak memory     {result['peak_rss_mb']:>8} MB (engine process)")
    return 0
