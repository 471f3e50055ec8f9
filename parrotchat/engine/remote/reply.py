"""One reply from a server: fit the chat, stream /v1/chat/completions, measure it ourselves.

The chat's overflow policy runs here as it does in the local engine (the same
`fit_messages`), with the server's token counts where it has a tokenizer endpoint. A
chat far from full by an upper bound that holds for every tokenizer is sent without
counting: most turns then cost no extra round trip.

Time to first token and decode speed are measured here, on the client, the same way
for every kind of server; the server's own `usage` (and llama-server's `timings`) is
kept beside them. Tokens already passed to `emit` stay with the caller whatever happens
next: a cut stream raises after them, Stop returns the stats with stop_reason cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from parrotchat.core.chats.context_budget import fit_messages, reply_reserve
from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.protocol import ChatRequest, ReplyStats
from parrotchat.engine.remote.http import Abort, HttpSession, RemoteError
from parrotchat.engine.remote.probe import ServerKind
from parrotchat.engine.remote.token_count import TokenCounter, estimate, upper_bound

CHAT_PATH = "/v1/chat/completions"
_FINISH = {"stop": "finished", "eos": "finished", "length": "length"}


@dataclass(frozen=True)
class RemoteTarget:
    """The model a reply goes to."""

    server_name: str
    kind: ServerKind
    model_id: str
    n_ctx: int


def request_body(
    target: RemoteTarget,
    messages: Sequence[dict[str, str]],
    sampling: SamplingParams,
    max_tokens: int,
    ignore_eos: bool = False,
) -> dict[str, Any]:
    """The OpenAI request, plus the sampling fields each server kind understands (others
    are left out: a strict server rejects fields it does not know)."""
    body: dict[str, Any] = {
        "model": target.model_id,
        "messages": list(messages),
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": max_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
    }
    if sampling.seed >= 0:
        body["seed"] = sampling.seed
    if sampling.stop:
        body["stop"] = list(sampling.stop)
    if target.kind in ("llama-server", "llama-cpp-python"):
        body.update(
            top_k=sampling.top_k, min_p=sampling.min_p, repeat_penalty=sampling.repeat_penalty
        )
    elif target.kind == "vLLM":
        body.update(
            top_k=sampling.top_k or -1,
            min_p=sampling.min_p,
            repetition_penalty=sampling.repeat_penalty,
        )
    if ignore_eos and target.kind in ("llama-server", "vLLM"):
        body["ignore_eos"] = True
    return body


def _usage_int(usage: dict[str, Any] | None, key: str) -> int | None:
    value = usage.get(key) if usage else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def stream_reply(
    http: HttpSession,
    target: RemoteTarget,
    counter: TokenCounter,
    request: ChatRequest,
    emit: Callable[[str], None],
    abort: Abort,
) -> dict[str, Any]:
    """Stream one reply through `emit`; returns its stats (ReplyStats keys plus the
    server's). Raises RemoteError on failure, after the tokens already emitted."""
    started = time.perf_counter()
    sampling = SamplingParams.from_dict(dict(request.sampling or {}))
    if request.overflow not in ("drop_oldest", "stop"):
        raise RemoteError(f"Unknown context overflow policy '{request.overflow}'", "bad_request")
    n_ctx = target.n_ctx
    reserve = reply_reserve(n_ctx, sampling.max_tokens)
    messages = list(request.messages)
    stats = ReplyStats(n_ctx=n_ctx)
    extra: dict[str, Any] = {"server": target.server_name, "server_kind": target.kind}
    bound = upper_bound(messages)
    if bound <= n_ctx - reserve:
        fitted, prompt_count, exact = messages, bound, False
        shown_count = estimate(messages)  # for the stats, where the server sends no usage
        extra["count_method"] = "estimate (far from full, not counted)"
    else:
        fit = fit_messages(
            messages,
            lambda msgs: counter.count(msgs, abort),
            n_ctx,
            sampling.max_tokens,
            request.overflow,  # type: ignore[arg-type]
        )
        fitted, prompt_count, exact = fit.messages, fit.prompt_tokens, counter.exact
        shown_count = prompt_count
        stats.dropped_messages = fit.dropped_messages
        extra["count_method"] = counter.method
    # The server refuses prompt + max_tokens over its context, so the reply gets what is
    # left; the count is exact or high, so this never asks for more than there is.
    max_tokens = max(1, min(sampling.max_tokens, n_ctx - prompt_count))
    body = request_body(target, fitted, sampling, max_tokens, request.ignore_eos)

    first = last = 0.0
    chunks = 0
    finish: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None
    cut: RemoteError | None = None
    try:
        with http.stream(CHAT_PATH, body, abort) as events:
            for chunk in events:
                if not isinstance(chunk, dict):
                    continue
                if "error" in chunk:  # llama-server and vLLM report mid-stream failures so
                    raise RemoteError(
                        f"{http.config.label}: failed mid-reply ({_error_text(chunk['error'])})",
                        "server_error",
                    )
                for choice in chunk.get("choices") or ():
                    if not isinstance(choice, dict):
                        continue
                    delta = choice.get("delta") or choice.get("message") or {}
                    text = delta.get("content") if isinstance(delta, dict) else None
                    if isinstance(text, str) and text:
                        last = time.perf_counter()
                        if not chunks:
                            first = last
                        chunks += 1
                        emit(text)
                    if choice.get("finish_reason"):
                        finish = str(choice["finish_reason"])
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
                if isinstance(chunk.get("timings"), dict):
                    timings = chunk["timings"]
            done = events.done
    except RemoteError as exc:
        if not abort.requested:
            if finish is None:
                raise
            cut = exc  # everything had arrived: a connection dropped after the end is no loss
        done = False
    except Exception:
        if not abort.requested:
            raise
        done = False

    if abort.requested:
        reason = "cancelled"
    elif finish is None and not done:
        raise cut or RemoteError(
            f"{http.config.label}: the stream ended mid-reply after {chunks} pieces, without "
            "saying why (the server may have restarted or run out of memory)",
            "server_error",
        )
    else:
        reason = _FINISH.get(finish or "stop", "finished")
        if reason == "length" and max_tokens < sampling.max_tokens:
            reason = "context_full"

    now = time.perf_counter()
    reply_tokens = _usage_int(usage, "completion_tokens") or chunks
    stats.reply_tokens = reply_tokens
    stats.prompt_tokens = _usage_int(usage, "prompt_tokens") or shown_count
    details = usage.get("prompt_tokens_details") if usage else None
    if isinstance(details, dict) and isinstance(details.get("cached_tokens"), int):
        stats.cached_tokens = details["cached_tokens"]
    stats.prompt_eval_tokens = max(0, stats.prompt_tokens - stats.cached_tokens)
    stats.ttft_s = (first or now) - started
    stats.decode_s = (last - first) if chunks else 0.0
    if chunks > 1 and stats.decode_s > 0:
        # Between the first and the last piece (the first one's wait is prefill); a server
        # that packs several tokens a piece is taken to pack them evenly.
        stats.tokens_per_s = reply_tokens * (chunks - 1) / chunks / stats.decode_s
    if timings and isinstance(timings.get("prompt_ms"), (int, float)):
        stats.prefill_s = float(timings["prompt_ms"]) / 1000
        if isinstance(timings.get("prompt_per_second"), (int, float)):
            stats.prompt_tokens_per_s = float(timings["prompt_per_second"])
    stats.stop_reason = reason  # type: ignore[assignment]
    extra["prompt_tokens_exact"] = (usage is not None and "prompt_tokens" in usage) or exact
    extra["server_usage"] = usage
    if timings is not None:
        extra["server_timings"] = timings
    return {**stats.to_dict(), **extra}


def _error_text(error: object) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or error)
    return str(error)
