"""API server figures: `parrotchat serve` against its own engine and against other servers.

Run:  python tests/benchmarks/serve_figures.py [--reps 5] [--threads 2] [--model PATH]
          [--no-llama-cpp-server] [--llama-server PATH/TO/llama-server] [--out FILE]

Prints one JSON object (and writes it to --out): each figure with its median, min and
max over the repetitions. Every comparison is interleaved (one side, then the other,
rep by rep) so that a shared machine's noise hits both alike; read the ratios, not
the absolute speeds.

  decode_ratio_*          streaming decode tokens/s through the API / the engine direct
                          (same engine code, same prompt, greedy: the same tokens)
  first_token_overhead_ms API time to first token - engine direct, same fresh prompt
  disconnect_to_stopped_ms client closes mid-reply -> the engine has stopped (/health)
  concurrent8_*           8 clients at once: all answered, queue wait p50/p95/max
  vs_<server>_*           decode tokens/s and time to first token of a follow-up turn
                          (KV reuse) through each server's OpenAI API, ours / theirs

`python -m llama_cpp.server` needs llama-cpp-python's server extras (fastapi,
sse-starlette, starlette-context<0.4, pydantic-settings). llama.cpp's own llama-server
is compared when its binary is given (build it from the llama.cpp sources vendored in
the llama-cpp-python sdist: tests/benchmarks/build_llama_server.sh).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # serve_process
sys.path.insert(0, str(HERE.parents[1]))  # parrotchat

from llama_cpu import SERVER_LAUNCHER  # noqa: E402
from serve_process import ServeProcess  # noqa: E402

from parrotchat.core.models.starter import starter_model_path  # noqa: E402
from parrotchat.engine.calls import load_model, stream_chat  # noqa: E402
from parrotchat.engine.local.client import EngineClient  # noqa: E402
from parrotchat.engine.local.cpu_features import use_extra_buffers  # noqa: E402
from parrotchat.engine.protocol import (  # noqa: E402
    ChatRequest,
    CompleteRequest,
    Done,
    LoadRequest,
    Token,
)

N_CTX = 4096
COUNTING = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,"  # continues for as long as it is let
STORY = (
    "The parrot lived in a small shop in Seoul, where it listened to every customer "
    "and learned to finish their sentences before they did. "
)


# --- a streaming HTTP client that stamps each server-sent event as it arrives -----------


class Stream:
    def __init__(self, port: int, path: str, body: dict[str, Any], key: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.sent = time.perf_counter()
        self.conn.request("POST", path, json.dumps(body), headers)
        self.response = self.conn.getresponse()
        if self.response.status != 200:
            raise RuntimeError(f"{path}: {self.response.status} {self.response.read()[:300]!r}")
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}

    def events(self) -> Any:
        """Yield (arrival time, parsed data) per event, up to [DONE]."""
        while True:
            line = self.response.readline()
            if not line:
                return
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            at = time.perf_counter()
            if data == b"[DONE]":
                return
            yield at, json.loads(data)

    def close(self) -> None:
        # Shut the socket down at once: the server sees the client leave now.
        sock = self.conn.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


def _piece(event: dict[str, Any]) -> str:
    choices = event.get("choices") or []
    if not choices:
        return ""
    choice = choices[0]
    if "delta" in choice:
        return str(choice["delta"].get("content") or "")
    return str(choice.get("text") or "")


def timed_stream(
    port: int, path: str, body: dict[str, Any], key: str | None = None
) -> dict[str, Any]:
    """Time to first token, the arrival time of each piece, and the token count."""
    stream = Stream(port, path, {**body, "stream": True}, key)
    stamps: list[float] = []
    text: list[str] = []
    usage: dict[str, Any] = {}
    for at, event in stream.events():
        piece = _piece(event)
        if piece:
            stamps.append(at)
            text.append(piece)
        if event.get("usage"):
            usage = event["usage"]
    stream.conn.close()
    tokens = int(usage.get("completion_tokens", len(stamps)))
    return {
        "ttft_s": stamps[0] - stream.sent,
        "decode_tps": (tokens - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0,
        "tokens": tokens,
        "text": "".join(text),
        "headers": stream.headers,
    }


def timed_engine(client: EngineClient, request: ChatRequest | CompleteRequest) -> dict[str, Any]:
    started = time.perf_counter()
    stamps: list[float] = []
    text: list[str] = []
    tokens = 0
    for event in stream_chat(client, request):
        if isinstance(event, Token):
            stamps.append(time.perf_counter())
            text.append(event.text)
        elif isinstance(event, Done):
            tokens = int(event.stats["reply_tokens"])
    return {
        "ttft_s": stamps[0] - started,
        "decode_tps": (tokens - 1) / (stamps[-1] - stamps[0]),
        "tokens": tokens,
        "text": "".join(text),
    }


def summary(values: list[float], digits: int = 3) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def post_json(port: int, path: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request("POST", path, json.dumps(body), headers)
    response = conn.getresponse()
    data = json.loads(response.read())
    data["_headers"] = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return data


# --- the servers ---------------------------------------------------------------------------


class OtherServer:
    """A server we compare with, started on a free port with the same model and threads."""

    def __init__(self, name: str, command: list[str], port: int) -> None:
        self.name = name
        self.port = port
        self.log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/v1/models")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{name} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def llama_cpp_server(model: str, threads: int) -> OtherServer:
    port = free_port()
    command = [
        sys.executable,
        "-c",
        SERVER_LAUNCHER.format(tests=str(HERE.parent)),
        "--model",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--n_ctx",
        str(N_CTX),
        "--n_batch",
        "512",
        "--n_gpu_layers",
        "0",
    ]
    return OtherServer("llama_cpp.server", command, port)


def llama_server(binary: str, model: str, threads: int, flash_attn: str = "auto") -> OtherServer:
    port = free_port()
    command = [
        binary,
        "--model",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--threads-batch",
        str(threads),
        "--ctx-size",
        str(N_CTX),
        "--batch-size",
        "512",
        "--n-gpu-layers",
        "0",
        "--parallel",
        "1",
        # llama-server's default, "auto", turns flash attention on wherever the backend
        # has it (the CPU does); the engine keeps it off (llama-cpp-python's default).
        "--flash-attn",
        flash_attn,
    ]
    if not use_extra_buffers():
        command.append("--no-repack")  # the engine's own choice (cpu_features.py): same setup
    return OtherServer("llama-server", command, port)


# --- the figures -----------------------------------------------------------------------------


def decode_and_ttft(
    server: ServeProcess, engine: EngineClient, key: str, reps: int, reply: int, drafts: bool
) -> dict[str, Any]:
    port = server.port
    ratios_chat: list[float] = []
    ratios_text: list[float] = []
    overhead_ms: list[float] = []
    api_ttft: list[float] = []
    direct_ttft: list[float] = []
    lengths: list[int] = []
    for rep in range(reps):
        # Decode: the same counting prompt both ways, greedy, so the same tokens come out.
        body = {"model": server.model, "prompt": COUNTING, "max_tokens": reply, "temperature": 0}
        api = timed_stream(
            port, "/v1/completions", {**body, "stream_options": {"include_usage": True}}, key
        )
        direct = timed_engine(
            engine,
            CompleteRequest(
                COUNTING, {"temperature": 0.0, "max_tokens": reply, "draft_ahead": drafts}
            ),
        )
        ratios_text.append(api["decode_tps"] / direct["decode_tps"])
        lengths.append(api["tokens"])
        messages = [
            {"role": "user", "content": f"Count from 1 to 500, separated by commas. ({rep})"}
        ]
        chat_body = {
            "model": server.model,
            "messages": messages,
            "max_tokens": reply,
            "temperature": 0,
            "stream_options": {"include_usage": True},
        }
        api = timed_stream(port, "/v1/chat/completions", chat_body, key)
        direct = timed_engine(
            engine,
            ChatRequest(messages, {"temperature": 0.0, "max_tokens": reply, "draft_ahead": drafts}),
        )
        if api["tokens"] > 16 and direct["tokens"] > 16:
            ratios_chat.append(api["decode_tps"] / direct["decode_tps"])
        # First token: a fresh short prompt per rep, the same for both sides.
        fresh = [{"role": "user", "content": f"Rep {rep}: name one color."}]
        fresh_body = {"model": server.model, "messages": fresh, "max_tokens": 4, "temperature": 0}
        a = timed_stream(port, "/v1/chat/completions", fresh_body, key)["ttft_s"]
        d = timed_engine(engine, ChatRequest(fresh, {"temperature": 0.0, "max_tokens": 4}))[
            "ttft_s"
        ]
        api_ttft.append(a * 1000)
        direct_ttft.append(d * 1000)
        overhead_ms.append((a - d) * 1000)
    return {
        "decode_ratio_completion": summary(ratios_text),
        "decode_ratio_chat": summary(ratios_chat) if ratios_chat else None,
        "decode_reply_tokens": summary([float(n) for n in lengths], 0),
        "first_token_overhead_ms": summary(overhead_ms, 2),
        "ttft_api_ms": summary(api_ttft, 2),
        "ttft_direct_ms": summary(direct_ttft, 2),
    }


def disconnect_to_stopped(server: ServeProcess, key: str, reps: int) -> dict[str, Any]:
    latencies: list[float] = []

    def running() -> int:
        # A new connection each time: a kept-alive one may have timed out meanwhile.
        health = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        health.request("GET", "/health")
        busy = int(json.loads(health.getresponse().read())["running"])
        health.close()
        return busy

    for rep in range(reps):
        body = {
            "model": server.model,
            "prompt": f"{rep}: {COUNTING}",
            "max_tokens": 2000,
            "temperature": 0,
            "stream": True,
        }
        stream = Stream(server.port, "/v1/completions", body, key)
        for i, _event in enumerate(stream.events()):
            if i == 10:
                break
        left = time.perf_counter()
        stream.close()
        while running():
            if time.perf_counter() - left > 10:
                raise RuntimeError("the generation did not stop")
        latencies.append((time.perf_counter() - left) * 1000)
    return {"disconnect_to_stopped_ms": summary(latencies, 2)}


def _one_round(server: ServeProcess, key: str, rep: int, clients: int) -> list[dict[str, Any]]:
    """`clients` chat requests released at the same instant; their replies."""
    barrier = threading.Barrier(clients)
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        messages = [{"role": "user", "content": f"Rep {rep}, client {i}: say hello."}]
        body = {"model": server.model, "messages": messages, "max_tokens": 32, "temperature": 0}
        barrier.wait()
        reply = post_json(server.port, "/v1/chat/completions", body, key)
        with lock:
            results.append(reply)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def concurrent(server: ServeProcess, key: str, reps: int, clients: int = 8) -> dict[str, Any]:
    waits: list[float] = []
    answered = 0
    walls: list[float] = []
    for rep in range(reps):
        started = time.perf_counter()
        results = _one_round(server, key, rep, clients)
        walls.append(time.perf_counter() - started)
        ok = [r for r in results if r.get("choices")]
        answered += len(ok)
        waits += [float(r["_headers"]["x-parrotchat-queue-wait-ms"]) for r in ok]
    return {
        "concurrent8_answered": f"{answered}/{clients * reps}",
        "concurrent8_queue_wait_ms": {
            "p50": round(percentile(waits, 50), 1),
            "p95": round(percentile(waits, 95), 1),
            "max": round(max(waits), 1),
        },
        "concurrent8_wall_s": summary(walls, 2),
    }


# Each server fills in its own defaults for what a request leaves out; the repeat
# penalty's differ (ours: the user's setting, 1.1; llama_cpp.server: 1.1; llama-server:
# 1.0). The comparison pins it, so that all three do the same work and, greedy, give
# the same text.
SAME_SAMPLING = {"temperature": 0, "repeat_penalty": 1.0}


def conversation_turns(
    port: int, model: str, key: str | None, rep: str, usage: bool = False
) -> tuple[float, float, str]:
    """(decode tokens/s of a long reply, time to first token of a follow-up turn, the
    long reply's text). `rep` goes into every prompt: a conversation our server saw
    before (against another server) would find its follow-up's KV cells saved.

    `usage`: ask for the usage chunk, whose token count is needed where an event may
    carry several tokens (ours: token_batch.py); without it, each event counts one."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": f"{rep}: {COUNTING}",
        "max_tokens": 256,
        **SAME_SAMPLING,
    }
    if usage:
        body["stream_options"] = {"include_usage": True}
    long_reply = timed_stream(port, "/v1/completions", body, key)
    first_message = f"Conversation {rep}. Here is a story:\n" + STORY * 20 + "\nWhat happens?"
    messages: list[dict[str, str]] = [{"role": "user", "content": first_message}]
    first = post_json(
        port,
        "/v1/chat/completions",
        {"model": model, "messages": messages, "max_tokens": 48, **SAME_SAMPLING},
        key,
    )
    messages += [
        {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
        {"role": "user", "content": "Say that again in one short sentence."},
    ]
    follow = timed_stream(
        port,
        "/v1/chat/completions",
        {"model": model, "messages": messages, "max_tokens": 8, **SAME_SAMPLING},
        key,
    )
    return long_reply["decode_tps"], follow["ttft_s"] * 1000, long_reply["text"]


def versus(server: ServeProcess, key: str, other: OtherServer, reps: int) -> dict[str, Any]:
    ours_tps: list[float] = []
    theirs_tps: list[float] = []
    ours_ttft: list[float] = []
    theirs_ttft: list[float] = []
    same_text = 0
    conversation_turns(other.port, "any", None, "warm-up")  # first-request costs aside
    for i in range(reps):
        rep = f"{other.name} {i}"
        tps, ttft, ours_text = conversation_turns(server.port, server.model, key, rep, usage=True)
        ours_tps.append(tps)
        ours_ttft.append(ttft)
        tps, ttft, their_text = conversation_turns(other.port, "any", None, rep)
        theirs_tps.append(tps)
        theirs_ttft.append(ttft)
        same_text += ours_text == their_text
    name = other.name.replace(".", "_").replace("-", "_")
    return {
        f"vs_{name}_decode_tps": {"ours": summary(ours_tps, 1), "theirs": summary(theirs_tps, 1)},
        # Greedy on the same weights: the long replies should match word for word.
        f"vs_{name}_same_reply_text": f"{same_text} of {reps}",
        f"vs_{name}_decode_ratio": summary(
            [a / b for a, b in zip(ours_tps, theirs_tps, strict=True)]
        ),
        f"vs_{name}_followup_ttft_ms": {
            "ours": summary(ours_ttft, 1),
            "theirs": summary(theirs_ttft, 1),
        },
        # Below 1: our follow-up turn's first token comes sooner.
        f"vs_{name}_followup_ttft_ratio": summary(
            [a / b for a, b in zip(ours_ttft, theirs_ttft, strict=True)]
        ),
    }


def machine() -> dict[str, Any]:
    import llama_cpp
    import psutil

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "logical_cpus": os.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "load_avg_1m_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "llama_cpp_python": llama_cpp.__version__,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="GGUF file (default: the starter model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--reply-tokens", type=int, default=256)
    # Draft lengths follow each engine's own timings, so two engines may draft apart on
    # a noisy machine; "off" measures the API's own cost alone.
    parser.add_argument("--draft-ahead", choices=("on", "off"), default="on")
    parser.add_argument("--no-llama-cpp-server", action="store_true")
    parser.add_argument("--llama-server", metavar="PATH", help="llama.cpp's llama-server binary")
    parser.add_argument(
        "--llama-server-flash-attn",
        choices=("auto", "on", "off"),
        default="auto",
        help="llama-server's --flash-attn (its default: auto)",
    )
    parser.add_argument("--out", metavar="FILE")
    args = parser.parse_args()
    model = args.model or str(starter_model_path())
    key = "bench-key-0123456789abcdef"
    figures: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "model": Path(model).name,
            "threads": args.threads,
            "n_ctx": N_CTX,
            "reps": args.reps,
            "reply_tokens": args.reply_tokens,
            "draft_ahead": args.draft_ahead,
        },
    }
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    home = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    drafts = args.draft_ahead == "on"
    settings: dict[str, Any] = {
        "threads": args.threads,
        "context_length": N_CTX,
        "serve_max_waiting": 16,
        "sampling": {"draft_ahead": drafts},
    }
    with ServeProcess(
        home,
        "--model",
        model,
        "--api-key-env",
        "BENCH_KEY",
        settings=settings,
        env={"BENCH_KEY": key},
    ) as server:
        engine = EngineClient()
        engine.start()
        load_model(engine, LoadRequest(path=model, n_ctx=N_CTX, threads=args.threads))
        # Warm both: the first request of a process pays one-off costs.
        timed_stream(
            server.port,
            "/v1/completions",
            {"model": server.model, "prompt": "Hi", "max_tokens": 4},
            key,
        )
        timed_engine(engine, CompleteRequest("Hi", {"max_tokens": 4}))
        steps.append(
            (
                "decode and first token",
                lambda: decode_and_ttft(server, engine, key, args.reps, args.reply_tokens, drafts),
            )
        )
        steps.append(("disconnect", lambda: disconnect_to_stopped(server, key, args.reps)))
        steps.append(("8 concurrent clients", lambda: concurrent(server, key, args.reps)))
        for name, step in steps:
            print(f"serve_figures: {name} …", file=sys.stderr, flush=True)
            figures.update(step())
            save(figures, args.out)  # what is measured is kept, whatever happens next
        engine.close()
        others: list[Callable[[], OtherServer]] = []
        if not args.no_llama_cpp_server:
            others.append(lambda: llama_cpp_server(model, args.threads))
        if args.llama_server:
            others.append(
                lambda: llama_server(
                    args.llama_server, model, args.threads, args.llama_server_flash_attn
                )
            )
        for start in others:
            other = start()
            print(f"serve_figures: versus {other.name} …", file=sys.stderr, flush=True)
            try:
                figures.update(versus(server, key, other, args.reps))
                save(figures, args.out)
            finally:
                other.stop()
    print(json.dumps(figures, indent=2))
    return 0


def save(figures: dict[str, Any], out: str | None) -> None:
    if out:
        Path(out).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
