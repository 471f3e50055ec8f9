"""`parrotchat --self-test`: prove this machine can chat, and print what it measured."""

from __future__ import annotations

import json
import time
from typing import Any

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.calls import stream_chat
from parrotchat.engine.protocol import ChatRequest, Done, Token

PROMPT = "Finish the sentence in a few words: A parrot repeats"
MAX_TOKENS = 48


def run_self_test(ctx: CliContext, model_arg: str | None, as_json: bool) -> int:
    model = ctx.model(model_arg)
    with engine_with_model(ctx, model) as session:
        sampling = SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS, seed=0)
        request = ChatRequest(
            messages=[{"role": "user", "content": PROMPT}], sampling=sampling.to_dict()
        )
        started = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        stats: dict[str, Any] = {}
        for event in stream_chat(session.engine, request):
            match event:
                case Token(text=text):
                    if first is None:
                        first = time.perf_counter() - started
                    parts.append(text)
                case Done():
                    stats = event.stats
        reply = "".join(parts)
        result = {
            "ok": bool(reply.strip()),
            "model": model.display_name,
            "model_path": str(model.path),
            "quantization": model.quantization,
            "backend": session.loaded["backend"],
            "gpu_layers": session.loaded["gpu_layers"],
            "threads": session.loaded["threads"],
            "n_ctx": session.loaded["n_ctx"],
            "load_s": round(session.load_s, 3),
            "ttft_s": round(first if first is not None else stats.get("ttft_s", 0.0), 3),
            "tokens_per_s": round(float(stats.get("tokens_per_s", 0.0)), 1),
            "prompt_tokens": stats.get("prompt_tokens", 0),
            "tokens": stats.get("reply_tokens", 0),
            "stop_reason": stats.get("stop_reason"),
            "prompt": PROMPT,
            "reply": reply,
        }
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"Model:    {result['model']} ({result['quantization']}) on {result['backend']}")
        print(
            f"Loaded in {result['load_s']} s; first token after {result['ttft_s']} s; "
            f"{result['tokens_per_s']} tokens/s"
        )
        print(f"Prompt:   {PROMPT}")
        print(f"Reply:    {reply.strip()}")
        print("Self-test passed." if result["ok"] else "Self-test FAILED: the reply was empty.")
    return 0 if result["ok"] else 1
