"""Engine figures: ParrotChat's engine process against llama.cpp driven directly.

Run:  python tests/benchmarks/engine_figures.py [--model PATH] [--threads 2] [--reps 3] [--out F]

Prints one JSON object. Each ratio is measured interleaved (baseline, engine,
baseline, engine, ...) so that machine noise hits both sides alike; the median
is reported with min and max. Not part of the test run: these are figures, and
the machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import llama_cpp
import llama_cpp._internals as internals
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from parrotchat.core.starter_model import starter_model_path
from parrotchat.engine.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, LoadRequest

PROMPT = "Write a long, detailed story about a parrot who learns to finish sentences."
N_CTX = 4096


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


class Direct:
    """llama.cpp through llama-cpp-python's low-level eval/sample loop, in this process."""

    def __init__(self, path: str, threads: int) -> None:
        self.llm = llama_cpp.Llama(
            model_path=path,
            n_ctx=N_CTX,
            n_batch=512,
            n_ubatch=512,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.eog = [t for t in range(self.llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)]
        template = self.llm.metadata["tokenizer.chat_template"]
        self.formatter = Jinja2ChatFormatter(template=template, eos_token="", bos_token="")

    def tokens(self, messages: list[dict[str, str]]) -> list[int]:
        result = self.formatter(messages=messages)
        return self.llm.tokenize(result.prompt.encode(), add_bos=False, special=True)

    def decode(self, messages: list[dict[str, str]], n: int) -> tuple[float, float]:
        """(prompt tokens/s, decode tokens/s) for a greedy reply of exactly n tokens."""
        llm = self.llm
        tokens = self.tokens(messages)
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        t0 = time.perf_counter()
        llm.eval(tokens)
        t1 = time.perf_counter()
        sampler = internals.LlamaSampler()
        sampler.add_logit_bias(llm.n_vocab(), {t: float("-inf") for t in self.eog})
        sampler.add_greedy()
        first = 0.0
        for i in range(n):
            token = sampler.sample(llm._ctx, -1)
            if i == 0:
                first = time.perf_counter()
            llm.eval([token])
        end = time.perf_counter()
        return len(tokens) / (t1 - t0), (n - 1) / (end - first)


def engine_reply(
    client: EngineClient, messages: list[dict[str, str]], n: int, *, ignore_eos: bool = True
) -> dict[str, Any]:
    """Client-side timings of one reply through the process boundary."""
    request = ChatRequest(
        messages=messages,
        sampling={"temperature": 0.0, "max_tokens": n, "repeat_penalty": 1.0},
        ignore_eos=ignore_eos,
    )
    sent = time.perf_counter()
    first = last = 0.0
    text = ""
    stats: dict[str, Any] = {}
    for ev in client.chat(request):
        if ev["ev"] == "token":
            last = time.perf_counter()
            if not first:
                first = last
            text += ev["text"]
        elif ev["ev"] == "done":
            stats = ev["stats"]
    done = time.perf_counter()
    n_tok = int(stats.get("reply_tokens", 0))
    return {
        "ttft": (first or done) - sent,
        "decode_tps": (n_tok - 1) / (last - first) if n_tok > 1 and last > first else 0.0,
        "prompt_tps": float(stats.get("prompt_tokens_per_s", 0.0)),
        "stats": stats,
        "text": text,
    }


def decode_ratios(client: EngineClient, direct: Direct, n: int, reps: int) -> dict[str, float]:
    messages = [{"role": "user", "content": PROMPT}]
    ratios = []
    for i in range(reps):
        _, base_decode = direct.decode(messages, n)
        ours = engine_reply(client, messages, n)
        ratios.append(ours["decode_tps"] / base_decode)
        messages = [{"role": "user", "content": f"{PROMPT} ({i})"}]
    return summary(ratios)


def prefill_ratio(client: EngineClient, direct: Direct, reps: int) -> dict[str, float]:
    text = "The parrot repeats what it hears, word for word. " * 150  # ~1,500 tokens
    ratios = []
    for i in range(reps):
        messages = [{"role": "user", "content": f"{i} {text}"}]
        base_prompt, _ = direct.decode(messages, 2)
        ours = engine_reply(client, messages, 2)
        ratios.append(ours["prompt_tps"] / base_prompt)
    return summary(ratios)


def ttft_turns(client: EngineClient, turns: int = 20) -> dict[str, float]:
    messages: list[dict[str, str]] = [{"role": "system", "content": "You are a helpful assistant."}]
    ttfts = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Tell me fact number {i + 1} about parrots."})
        r = engine_reply(client, messages, 48, ignore_eos=False)
        ttfts.append(r["ttft"])
        messages.append({"role": "assistant", "content": r["text"]})
    return {
        "turn1_s": ttfts[0],
        "turn20_s": ttfts[-1],
        "ratio": ttfts[-1] / ttfts[0],
        "per_turn_s": [round(t, 4) for t in ttfts],
    }


def ttft_switch(client: EngineClient, reps: int) -> dict[str, Any]:
    def long_chat(topic: str) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": "You are a helpful assistant."}]
        for i in range(12):
            msgs.append({"role": "user", "content": f"Question {i} about {topic}: " + "why? " * 20})
            msgs.append({"role": "assistant", "content": f"Answer {i} about {topic}. " * 12})
        return msgs

    chat_a, chat_b = long_chat("parrots"), long_chat("crows")
    ratios, switch_s, inchat_s = [], [], []
    for i in range(reps):
        chat_a.append({"role": "user", "content": f"One more question {i}?"})
        r = engine_reply(client, chat_a, 16, ignore_eos=False)
        chat_a.append({"role": "assistant", "content": r["text"]})
        chat_a.append({"role": "user", "content": f"And another {i}?"})
        inchat = engine_reply(client, chat_a, 16, ignore_eos=False)
        chat_a.append({"role": "assistant", "content": inchat["text"]})
        chat_b.append({"role": "user", "content": f"Something else {i}?"})
        rb = engine_reply(client, chat_b, 16, ignore_eos=False)
        chat_b.append({"role": "assistant", "content": rb["text"]})
        chat_a.append({"role": "user", "content": f"Back to parrots {i}?"})
        back = engine_reply(client, chat_a, 16, ignore_eos=False)
        chat_a.append({"role": "assistant", "content": back["text"]})
        ratios.append(back["ttft"] / inchat["ttft"])
        switch_s.append(back["ttft"])
        inchat_s.append(inchat["ttft"])
    return {
        "ratio": summary(ratios),
        "switch_s": summary(switch_s),
        "inchat_s": summary(inchat_s),
        "history_tokens": back["stats"].get("prompt_tokens"),
        "restored_state": back["stats"].get("restored_state"),
    }


def _cancel_and_stamp(client: EngineClient, stamp: list[float]) -> None:
    stamp.append(time.perf_counter())
    client.cancel()


def cancel_latency(client: EngineClient, reps: int) -> dict[str, Any]:
    decode_ms, prefill_ms = [], []
    for i in range(reps):
        request = ChatRequest(
            messages=[{"role": "user", "content": f"{i} {PROMPT}"}],
            sampling={"temperature": 0.0, "max_tokens": 1000},
            ignore_eos=True,
        )
        seen, cancelled = 0, 0.0
        for ev in client.chat(request):
            if ev["ev"] == "token":
                seen += 1
                if seen == 20:
                    cancelled = time.perf_counter()
                    client.cancel()
        decode_ms.append((time.perf_counter() - cancelled) * 1000)

        text = "The parrot repeats what it hears, word for word. " * 200  # ~2,000 tokens
        request = ChatRequest(
            messages=[{"role": "user", "content": f"{i} {text}"}],
            sampling={"temperature": 0.0, "max_tokens": 8},
        )
        stamp: list[float] = []
        timer = threading.Timer(0.5, _cancel_and_stamp, args=(client, stamp))
        timer.start()
        last = list(client.chat(request))[-1]
        prefill_ms.append((time.perf_counter() - stamp[0]) * 1000 if stamp else float("nan"))
        assert last["stats"]["stop_reason"] == "cancelled", last
    return {"decode_ms": summary(decode_ms), "prefill_ms": summary(prefill_ms)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    path = args.model or str(starter_model_path())
    client = EngineClient()
    client.start()
    client.load(LoadRequest(path=path, n_ctx=N_CTX, threads=args.threads))
    direct = Direct(path, args.threads)
    result: dict[str, Any] = {"model": Path(path).name, "threads": args.threads}
    result["decode_ratio_256"] = decode_ratios(client, direct, 256, args.reps)
    result["decode_ratio_1500"] = decode_ratios(client, direct, 1500, args.reps)
    result["prefill_ratio"] = prefill_ratio(client, direct, args.reps)
    del direct  # the rest measures the engine alone
    result["ttft_turns"] = ttft_turns(client)
    result["ttft_switch"] = ttft_switch(client, args.reps)
    result["cancel"] = cancel_latency(client, args.reps)
    client.close()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
