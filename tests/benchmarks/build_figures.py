"""Two llama-cpp-python builds side by side: prompt reading, decoding and batch costs.

Run:  python tests/benchmarks/build_figures.py --python A/bin/python --python B/bin/python
          [--reps 5] [--threads 2] [--tokens 1500]

Each Python (a virtual environment with llama-cpp-python installed; say one built with
llama.cpp's defaults and one with packaging/llama_wheel.py's flags) runs the probe below
in its own process, alternating rep by rep. Per build it prints the median prompt
tokens/s (the first --tokens tokens of tests/benchmarks/summarize_input.txt in 512-token
batches), one-token decode tokens/s, and what a batch of k tokens costs in one-token
decodes at that context: the price of checking a draft of k - 1 tokens.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PROBE = r"""
import json, sys, time, pathlib
sys.path.insert(0, {tests!r}); sys.path.insert(0, {root!r})
import llama_cpu; llama_cpu.apply()
import llama_cpp
th, n = {threads}, {tokens}
llm = llama_cpp.Llama(model_path={model!r}, n_ctx=4096, n_batch=512, n_ubatch=512,
    n_threads=th, n_threads_batch=th, verbose=False, logits_all=True)
toks = llm.tokenize(pathlib.Path({text!r}).read_text(encoding="utf-8").encode())[:n]
t = time.perf_counter(); llm.eval(toks); prefill = len(toks) / (time.perf_counter() - t)
base = llm.n_tokens
cost = {{}}
for k in (1, 2, 3, 4, 6):
    times = []
    for _ in range(15):
        llm._ctx.kv_cache_seq_rm(-1, base, -1); llm.n_tokens = base
        t = time.perf_counter(); llm.eval(toks[100:100 + k]); times.append(time.perf_counter() - t)
    cost[k] = sorted(times)[len(times) // 2]
print(json.dumps({{"prefill_tps": prefill, "decode_tps": 1 / cost[1],
    "batch_cost": {{k: cost[k] / cost[1] for k in cost if k > 1}}}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=1500)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from parrotchat.core.models.starter import starter_model_path

    code = PROBE.format(
        tests=str(ROOT / "tests"),
        root=str(ROOT),
        threads=args.threads,
        tokens=args.tokens,
        model=str(starter_model_path()),
        text=str(HERE / "summarize_input.txt"),
    )
    runs: dict[str, list[dict[str, object]]] = {p: [] for p in args.python}
    for _ in range(args.reps):
        for python in args.python:
            out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
            runs[python].append(json.loads(out.stdout.strip().splitlines()[-1]))
    result = {}
    for python, reps in runs.items():
        costs = [r["batch_cost"] for r in reps]
        result[python] = {
            "prefill_tps": round(statistics.median(float(r["prefill_tps"]) for r in reps), 1),
            "decode_tps": round(statistics.median(float(r["decode_tps"]) for r in reps), 1),
            "batch_cost": {
                k: round(statistics.median(float(c[k]) for c in costs), 2) for k in costs[0]
            },
        }
    print(json.dumps({"threads": args.threads, "tokens": args.tokens, "builds": result}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
