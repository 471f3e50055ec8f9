"""`parrotchat bench`: measure this machine with a model, through a fresh engine process.

The measurement itself is the chat service's (service/bench.py), shared with the
window's "Run benchmark"; this prints it.
"""

from __future__ import annotations

import json
from dataclasses import replace

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.service.bench import bench_context, measure


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
    with engine_with_model(ctx, model, n_ctx=bench_context(prompt_tokens, reply_tokens)) as s:
        result = measure(s, prompt_tokens, reply_tokens)
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
