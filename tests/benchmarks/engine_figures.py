"""Engine measurements: ParrotChat's engine process against llama.cpp driven directly.

Used by tests/benchmarks/run.py. Each function returns one raw sample per
repetition; every ratio pairs a baseline run with an engine run taken right after
it (interleaved), so machine noise hits both sides alike.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import llama_cpp
import llama_cpp._internals as internals
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: llama_cpu.py

import llama_cpu

from parrotchat.engine.calls import stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, Done, Token

PROMPT = "Write a long, detailed story about a parrot who learns to finish sentences."
N_CTX = 4096
A = TypeVar("A")
B = TypeVar("B")


class Direct:
    """llama.cpp through llama-cpp-python's low-level eval/sample loop, in this process."""

    def __init__(self, path: str, threads: int) -> None:
        llama_cpu.apply()
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
        prompt_tps, stamps = self.decode_stamps(messages, n)
        return prompt_tps, (n - 1) / (stamps[-1] - stamps[0])

    def decode_stamps(self, messages: list[dict[str, str]], n: int) -> tuple[float, list[float]]:
        """Prompt tokens/s, and the time each reply token was sampled."""
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
        stamps = []
        for _ in range(n):
            token = sampler.sample(llm._ctx, -1)
            # Stamped when sampled, as the engine's token event is sent: both sides
            # then time the same n-1 sample+eval intervals.
            stamps.append(time.perf_counter())
            llm.eval([token])
        return len(tokens) / (t1 - t0), stamps


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
    stamps: list[float] = []
    stats: dict[str, Any] = {}
    for ev in stream_chat(client, request):
        if isinstance(ev, Token):
            last = time.perf_counter()
            stamps.append(last)
            if not first:
                first = last
            text += ev.text
        elif isinstance(ev, Done):
            stats = ev.stats
    done = time.perf_counter()
    n_tok = int(stats.get("reply_tokens", 0))
    return {
        "ttft": (first or done) - sent,
        "decode_tps": (n_tok - 1) / (last - first) if n_tok > 1 and last > first else 0.0,
        "prompt_tps": float(stats.get("prompt_tokens_per_s", 0.0)),
        "stats": stats,
        "text": text,
        "stamps": stamps,
    }


def _pair(rep: int, base: Callable[[], A], ours: Callable[[], B]) -> tuple[A, B]:
    """Run both sides back to back, baseline first on even repetitions, last on odd.

    This machine's speed drifts by 20 % within a minute (shared host); always running
    the baseline first would hand it the faster half of every pair.
    """
    if rep % 2 == 0:
        first = base()
        return first, ours()
    second = ours()
    return base(), second


def decode_ratio(client: EngineClient, direct: Direct, n: int, reps: int) -> dict[str, Any]:
    """Engine decode tokens/s over direct tokens/s, and both token time series."""
    ratios = []
    series: dict[str, list[float]] = {}
    for i in range(reps):
        messages = [{"role": "user", "content": f"{PROMPT} ({n}-{i})"}]
        base, ours = _pair(
            i,
            lambda m=messages: direct.decode_stamps(m, n)[1],
            lambda m=messages: engine_reply(client, m, n),
        )
        ratios.append(
            ((n - 1) / (ours["stamps"][-1] - ours["stamps"][0])) / ((n - 1) / (base[-1] - base[0]))
        )
        series = {"direct": base, "engine": ours["stamps"]}
    return {"ratios": ratios, "series": series}


def prefill_ratio(client: EngineClient, direct: Direct, reps: int) -> list[float]:
    text = "The parrot repeats what it hears, word for word. " * 150  # ~1,500 tokens
    ratios = []
    for i in range(reps):
        messages = [{"role": "user", "content": f"{i} {text}"}]
        base_prompt, ours = _pair(
            i,
            lambda m=messages: direct.decode_stamps(m, 2)[0],
            lambda m=messages: engine_reply(client, m, 2),
        )
        ratios.append(ours["prompt_tps"] / base_prompt)
    return ratios


def ttft_turns(client: EngineClient, turns: int = 20) -> list[float]:
    """Time to first token at each turn of one chat (short replies)."""
    messages: list[dict[str, str]] = [{"role": "system", "content": "You are a helpful assistant."}]
    ttfts = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Tell me fact number {i + 1} about parrots."})
        r = engine_reply(client, messages, 48, ignore_eos=False)
        ttfts.append(r["ttft"])
        messages.append({"role": "assistant", "content": r["text"]})
    return ttfts


def _long_chat(topic: str) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": "You are a helpful assistant."}]
    for i in range(12):
        msgs.append({"role": "user", "content": f"Question {i} about {topic}: " + "why? " * 20})
        msgs.append({"role": "assistant", "content": f"Answer {i} about {topic}. " * 12})
    return msgs


def ttft_switch(client: EngineClient, reps: int) -> dict[str, list[float]]:
    """First token after switching back to a long chat, against an ordinary turn in it."""
    chat_a, chat_b = _long_chat("parrots"), _long_chat("crows")
    out: dict[str, list[float]] = {"ratio": [], "switch_s": [], "inchat_s": []}

    def turn(chat: list[dict[str, str]], text: str) -> float:
        chat.append({"role": "user", "content": text})
        r = engine_reply(client, chat, 16, ignore_eos=False)
        chat.append({"role": "assistant", "content": r["text"]})
        return float(r["ttft"])

    for i in range(reps):
        turn(chat_a, f"One more question {i}?")
        inchat = turn(chat_a, f"And another {i}?")
        turn(chat_b, f"Something else {i}?")
        back = turn(chat_a, f"Back to parrots {i}?")
        out["ratio"].append(back / inchat)
        out["switch_s"].append(back)
        out["inchat_s"].append(inchat)
    return out


def _cancel_and_stamp(client: EngineClient, stamp: list[float]) -> None:
    stamp.append(time.perf_counter())
    client.cancel()


def cancel_latency(client: EngineClient, reps: int) -> dict[str, list[float]]:
    """Milliseconds from cancel() to the reply's end, during decoding and a 2,000-token prompt."""
    out: dict[str, list[float]] = {"decode_ms": [], "prefill_ms": []}
    for i in range(reps):
        request = ChatRequest(
            messages=[{"role": "user", "content": f"{i} {PROMPT}"}],
            sampling={"temperature": 0.0, "max_tokens": 1000},
            ignore_eos=True,
        )
        seen, cancelled = 0, 0.0
        for ev in stream_chat(client, request):
            if isinstance(ev, Token):
                seen += 1
                if seen == 20:
                    cancelled = time.perf_counter()
                    client.cancel()
        out["decode_ms"].append((time.perf_counter() - cancelled) * 1000)

        text = "The parrot repeats what it hears, word for word. " * 200  # ~2,000 tokens
        request = ChatRequest(
            messages=[{"role": "user", "content": f"{i} {text}"}],
            sampling={"temperature": 0.0, "max_tokens": 8},
        )
        stamp: list[float] = []
        timer = threading.Timer(0.5, _cancel_and_stamp, args=(client, stamp))
        timer.start()
        last = list(stream_chat(client, request))[-1]
        timer.join()
        if last.stats["stop_reason"] == "cancelled" and stamp:
            out["prefill_ms"].append((time.perf_counter() - stamp[0]) * 1000)
    return out
