"""Draft ahead (prompt-lookup speculative decoding) against llama.cpp's plain loop.

Prints JSON. For each task (summarize the ~1,500-token tests/benchmarks/summarize_input.txt,
translate it into Korean, a free-chat question with nothing to copy) and each repetition:
ParrotChat's engine process with drafting on, with drafting off, and llama.cpp's plain
eval/sample loop driven directly (same model, threads, n_ctx), interleaved; the direct
loop generates as many tokens as the drafted reply did. Decode tokens/s is timed from
the first token to the last on both sides. Greedy, repeat penalty 1.0.

    .venv/bin/python tests/benchmarks/speculative_figures.py --threads 1 --reps 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine_figures as ef

from parrotchat.core.models.starter import starter_model_path
from parrotchat.core.prompt_templates import TemplateLibrary
from parrotchat.engine.calls import load_model, stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest, Token

TEXT = (Path(__file__).parent / "summarize_input.txt").read_text(encoding="utf-8")
FREE_CHAT = "Why do some birds migrate south in winter while others stay? Explain briefly."


def task(name: str) -> list[dict[str, str]]:
    if name == "free_chat":
        return [{"role": "user", "content": FREE_CHAT}]
    rendered = (
        TemplateLibrary(Path("/nonexistent"))
        .get(name)
        .render({"text": TEXT, "language": "ko"}, lang="en")
    )
    return [
        {"role": "system", "content": rendered.system},
        {"role": "user", "content": rendered.user},
    ]


def engine_run(client: EngineClient, messages: list[dict[str, str]], n: int, on: bool) -> Any:
    request = ChatRequest(
        messages=messages,
        sampling={
            "temperature": 0.0,
            "max_tokens": n,
            "repeat_penalty": 1.0,
            "draft_ahead": on,
        },
    )
    stamps: list[float] = []
    text: list[str] = []
    stats: dict[str, Any] = {}
    for event in stream_chat(client, request):
        if isinstance(event, Token):
            stamps.append(time.perf_counter())
            text.append(event.text)
        elif isinstance(event, Done):
            stats = event.stats
    n_tok = int(stats["reply_tokens"])
    # Timed on the engine's side: a drafted batch sends its tokens in one burst.
    tps = n_tok / float(stats["decode_s"]) if stats.get("decode_s") else 0.0
    return {"tps": tps, "stats": stats, "text": "".join(text), "n": n_tok}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--tasks", default="summarize,translate,free_chat")
    parser.add_argument("--max-tokens", default="summarize=512,translate=512,free_chat=256")
    args = parser.parse_args()
    limits = {k: int(v) for k, v in (p.split("=") for p in args.max_tokens.split(","))}
    model = str(starter_model_path())
    ef.N_CTX = args.n_ctx
    client = EngineClient()
    client.start()
    load_model(client, LoadRequest(path=model, n_ctx=args.n_ctx, threads=args.threads))
    direct = ef.Direct(model, args.threads)
    out: dict[str, Any] = {"threads": args.threads, "n_ctx": args.n_ctx, "tasks": {}}
    for name in args.tasks.split(","):
        messages = task(name)
        rows = []
        for rep in range(args.reps):
            on = engine_run(client, messages, limits[name], True)
            n = max(2, on["n"])
            # The engine's KV cache holds the prompt after the first run: every engine run
            # after it reads only the last prompt token, as does the direct loop's timing.
            if rep % 2 == 0:
                off = engine_run(client, messages, n, False)
                base = direct.decode_stamps(messages, n)[1]
            else:
                base = direct.decode_stamps(messages, n)[1]
                off = engine_run(client, messages, n, False)
            direct_tps = (n - 1) / (base[-1] - base[0])
            rows.append(
                {
                    "reply_tokens": on["n"],
                    "stop_reason": on["stats"]["stop_reason"],
                    "on_tps": round(on["tps"], 2),
                    "off_tps": round(off["tps"], 2),
                    "direct_tps": round(direct_tps, 2),
                    "on_vs_direct": round(on["tps"] / direct_tps, 3),
                    "on_vs_off": round(on["tps"] / off["tps"], 3) if off["tps"] else None,
                    "draft_tokens": on["stats"].get("draft_tokens", 0),
                    "accepted_tokens": on["stats"].get("accepted_tokens", 0),
                    "same_reply_as_off": on["text"] == off["text"] if off["n"] == on["n"] else None,
                }
            )
            print(name, rows[-1], file=sys.stderr, flush=True)
        ratios = [r["on_vs_direct"] for r in rows]
        drafted = sum(r["draft_tokens"] for r in rows)
        out["tasks"][name] = {
            "median_on_vs_direct": round(statistics.median(ratios), 3),
            "range_on_vs_direct": [min(ratios), max(ratios)],
            "median_on_vs_off": statistics.median(
                [r["on_vs_off"] for r in rows if r["on_vs_off"] is not None] or [0.0]
            ),
            "acceptance": round(sum(r["accepted_tokens"] for r in rows) / drafted, 3)
            if drafted
            else None,
            "reps": rows,
        }
    client.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
