"""Remote engine figures: ParrotChat's remote engine against a plain streaming client, on
the same llama-cpp-python server (the starter model, on 127.0.0.1).

Run:  python tests/benchmarks/remote_figures.py [--reps 7] [--threads 2] [--tokens 256]
      [--clients-only]

Prints JSON: each figure as {"median", "min", "max"} plus the raw series. Pairs are
interleaved (the plain client first on even repetitions, last on odd), and both
sides send the very same request body (built by the engine's own `request_body`),
so what differs is the client alone:

- remote_decode_ratio: decode tokens/s seen through ParrotChat (Token events as a
  caller of `stream_chat` receives them) / seen by the plain client (httpx reading the
  SSE lines itself), each timed from its first to its last piece; goal >= 0.97.
- remote_ttft_overhead_ms: time to first token through ParrotChat minus the plain
  client's, each from the moment the caller asks; goal <= 15 ms. Measured on short
  replies to one repeated prompt (the server's prompt cache makes its own part a single
  token's work on both sides), three pairs per repetition.
- remote_stop_next_ms: Stop pressed on a long reply -> the first token of the next
  request (sent as soon as the stopped reply ended); goal <= 300 ms. Beside it,
  remote_stop_done_ms (Stop -> the stopped reply's Done) and remote_idle_first_ms
  (the same next request on an idle server), to read it against.
- remote_client_*: both clients against a server of ours that streams canned pieces as
  fast as it can: pieces/s each client keeps up with, ParrotChat's cost per piece (us)
  and before the first piece (ms). These hold on a noisy machine, where the figures
  above swing with whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: llama_cpp_server.py
sys.path.insert(0, str(HERE.parents[1]))

from llama_cpp_server import LlamaCppServer  # noqa: E402

from parrotchat.core.models.starter import starter_model_path  # noqa: E402
from parrotchat.core.sampling import SamplingParams  # noqa: E402
from parrotchat.core.servers import ServerConfig  # noqa: E402
from parrotchat.engine.calls import load_model, stream_chat  # noqa: E402
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest, Token  # noqa: E402
from parrotchat.engine.remote import RemoteEngine  # noqa: E402
from parrotchat.engine.remote.reply import CHAT_PATH, request_body  # noqa: E402

PROMPT = "Write a long, detailed story about a parrot who learns to finish sentences."
NEXT = [{"role": "user", "content": "Say hello."}]
A = TypeVar("A")
B = TypeVar("B")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def _pair(rep: int, base: Callable[[], A], ours: Callable[[], B]) -> tuple[A, B]:
    if rep % 2 == 0:
        first = base()
        return first, ours()
    second = ours()
    return base(), second


def decode_tps(stamps: list[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def plain_reply(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """The baseline: httpx streaming the answer, SSE lines split and parsed by hand."""
    stamps: list[float] = []
    asked = time.perf_counter()
    with client.stream("POST", CHAT_PATH, json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                break
            for choice in json.loads(data).get("choices") or ():
                if (choice.get("delta") or {}).get("content"):
                    stamps.append(time.perf_counter())
    return {"ttft": stamps[0] - asked, "tps": decode_tps(stamps), "n": len(stamps)}


def parrot_reply(engine: RemoteEngine, request: ChatRequest) -> dict[str, Any]:
    stamps: list[float] = []
    asked = time.perf_counter()
    for event in stream_chat(engine, request):
        if isinstance(event, Token):
            stamps.append(time.perf_counter())
    return {"ttft": stamps[0] - asked, "tps": decode_tps(stamps), "n": len(stamps)}


def first_token_s(engine: RemoteEngine, request: ChatRequest, since: float) -> float:
    for event in stream_chat(engine, request):
        if isinstance(event, Token):
            first = time.perf_counter() - since
            engine.cancel()  # only the first token is wanted
            return first
    raise RuntimeError("the next request got no token")


def stop_figures(engine: RemoteEngine, reps: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"stop_next_ms": [], "stop_done_ms": [], "idle_first_ms": []}
    nxt = ChatRequest(NEXT, {"temperature": 0.0, "max_tokens": 8})
    for i in range(reps):
        # The same next request on an idle server, to read the figure against.
        for _event in stream_chat(engine, nxt):
            pass
        out["idle_first_ms"].append(first_token_s(engine, nxt, time.perf_counter()) * 1000)
        for _ in stream_chat(engine, ChatRequest([{"role": "user", "content": "Hi."}], {})):
            pass  # the server's cache holds another prompt again, as after a real chat
        long = ChatRequest([{"role": "user", "content": f"{PROMPT} ({i})"}], {"max_tokens": 1000})
        pieces = 0
        stopped = 0.0
        for event in stream_chat(engine, long):
            if isinstance(event, Token):
                pieces += 1
                if pieces == 20:
                    stopped = time.perf_counter()
                    engine.cancel()
            elif isinstance(event, Done):
                out["stop_done_ms"].append((time.perf_counter() - stopped) * 1000)
        out["stop_next_ms"].append(first_token_s(engine, nxt, stopped) * 1000)
    return out


def measure(model: str, threads: int, reps: int, tokens: int) -> dict[str, Any]:
    with LlamaCppServer(Path(model), n_ctx=4096, threads=threads) as server:
        engine = RemoteEngine(ServerConfig("bench", server.url, context_length=4096))
        engine.start()
        load_model(engine, LoadRequest(path=server.alias))
        assert engine.target is not None
        sampling = {"temperature": 0.0, "max_tokens": tokens, "repeat_penalty": 1.0}
        plain = httpx.Client(base_url=server.url, timeout=300)
        ratios, overheads, lengths = [], [], []
        raw: dict[str, list[float]] = {"plain_tps": [], "parrot_tps": [], "plain_ttft_ms": []}
        try:
            for warm in range(2):  # both connections open, the server's caches warm
                request = ChatRequest([{"role": "user", "content": f"Warm up {warm}."}], sampling)
                parrot_reply(engine, request)
                plain_reply(plain, _body(engine, request))
            for i in range(reps):
                request = ChatRequest([{"role": "user", "content": f"{PROMPT} ({i})"}], sampling)
                body = _body(engine, request)
                base, ours = _pair(
                    i,
                    lambda b=body: plain_reply(plain, b),
                    lambda r=request: parrot_reply(engine, r),
                )
                ratios.append(ours["tps"] / base["tps"])
                lengths.append(float(min(ours["n"], base["n"])))
                raw["plain_tps"].append(base["tps"])
                raw["parrot_tps"].append(ours["tps"])
            short = ChatRequest(NEXT, {"temperature": 0.0, "max_tokens": 2})
            short_body = _body(engine, short)
            for i in range(3 * reps):
                base, ours = _pair(
                    i,
                    lambda: plain_reply(plain, short_body),
                    lambda: parrot_reply(engine, short),
                )
                overheads.append((ours["ttft"] - base["ttft"]) * 1000)
                raw["plain_ttft_ms"].append(base["ttft"] * 1000)
            stops = stop_figures(engine, reps)
        finally:
            plain.close()
            engine.close()
    return {
        "figures": {
            "remote_decode_ratio": summary(ratios),
            "remote_ttft_overhead_ms": summary(overheads),
            "remote_stop_next_ms": summary(stops["stop_next_ms"]),
            "remote_stop_done_ms": summary(stops["stop_done_ms"]),
            "remote_idle_first_ms": summary(stops["idle_first_ms"]),
        },
        "series": {
            "decode_ratio": ratios,
            "ttft_overhead_ms": overheads,
            "reply_pieces": lengths,
            **raw,
            **stops,
        },
        "threads": threads,
        "reps": reps,
        "tokens": tokens,
    }


def client_figures(reps: int, pieces: int = 2000) -> dict[str, Any]:
    """The clients alone, against a server of ours that streams canned pieces as fast as
    it can: what ParrotChat's remote engine costs per piece and before the first one,
    apart from llama.cpp's speed and this machine's noise."""
    from openai_fault_server import FaultServer, Reply

    out: dict[str, list[float]] = {
        "plain_pieces_per_s": [],
        "parrot_pieces_per_s": [],
        "per_piece_overhead_us": [],
        "ttft_overhead_ms": [],
    }
    with FaultServer() as server:
        server.chat = Reply(chunks=["tok"] * pieces)
        engine = RemoteEngine(ServerConfig("null", server.url, context_length=4096))
        engine.start()
        load_model(engine, LoadRequest(path="m"))
        plain = httpx.Client(base_url=server.url, timeout=60)
        request = ChatRequest(NEXT, {"max_tokens": pieces})
        body = _body(engine, request)
        try:
            for i in range(reps + 1):
                base, ours = _pair(
                    i, lambda: plain_reply(plain, body), lambda: parrot_reply(engine, request)
                )
                if i == 0:
                    continue  # warm-up: connections opened, code paths loaded
                out["plain_pieces_per_s"].append(base["tps"])
                out["parrot_pieces_per_s"].append(ours["tps"])
                out["per_piece_overhead_us"].append((1 / ours["tps"] - 1 / base["tps"]) * 1e6)
                out["ttft_overhead_ms"].append((ours["ttft"] - base["ttft"]) * 1000)
        finally:
            plain.close()
            engine.close()
    return out


def _body(engine: RemoteEngine, request: ChatRequest) -> dict[str, Any]:
    assert engine.target is not None
    sampling = SamplingParams.from_dict(request.sampling)
    return request_body(engine.target, request.messages, sampling, sampling.max_tokens)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--clients-only", action="store_true", help="skip the llama.cpp server")
    args = ap.parse_args()
    model = args.model or str(starter_model_path())
    result: dict[str, Any] = {"figures": {}, "series": {}}
    clients = client_figures(args.reps)
    for name, values in clients.items():
        result["figures"][f"remote_client_{name}"] = summary(values)
    if not args.clients_only:
        real = measure(model, args.threads, args.reps, args.tokens)
        result["figures"].update(real["figures"])
        result["series"] = real["series"]
        result.update(threads=args.threads, tokens=args.tokens)
    result["reps"] = args.reps
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
