"""The engine says how far it got reading the prompt, before the first word (#17.6)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import (
    ChatRequest,
    CompleteRequest,
    Done,
    Event,
    LoadRequest,
    PromptProgress,
    Token,
)

BATCH = 32  # small, so that a prompt of a few hundred tokens takes many batches
GREEDY = {"temperature": 0.0, "max_tokens": 8, "seed": 0}
LONG = " ".join(
    f"Line {i}: the parrot repeats what it hears, and the crow keeps what it finds."
    for i in range(20)
)


@pytest.fixture(scope="module")
def engine(starter_model: Path) -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    load_model(client, LoadRequest(path=str(starter_model), n_ctx=2048, threads=1, batch=BATCH))
    yield client
    client.close()


def events_of(engine: EngineClient, request: ChatRequest | CompleteRequest) -> list[Event]:
    return list(engine.events(request))


def check_progress(events: list[Event]) -> tuple[list[PromptProgress], dict[str, Any]]:
    """The progress events come first, in order, from 0 to 100 %; returns them and the
    reply's stats."""
    kinds = [type(e).__name__ for e in events]
    first_token = kinds.index("Token")
    progress = [e for e in events if isinstance(e, PromptProgress)]
    assert progress and all(isinstance(e, PromptProgress) for e in events[: len(progress)])
    assert len(progress) == first_token, f"progress after the first token: {kinds}"
    done = [p.done for p in progress]
    total = progress[0].total
    assert done[0] == 0 and done[-1] == total, done
    assert done == sorted(set(done)), f"not in order: {done}"
    assert all(p.total == total and p.prompt_tokens == progress[0].prompt_tokens for p in progress)
    assert all(b - a <= BATCH for a, b in itertools.pairwise(done))
    final = events[-1]
    assert isinstance(final, Done)
    tokens = [e.tokens for e in events if isinstance(e, Token)]
    assert tokens and all(n >= 1 for n in tokens)
    if final.stats["stop_reason"] == "length":  # no stop string held text back
        assert sum(tokens) == final.stats["reply_tokens"]  # what the status bar counts
    return progress, final.stats


def test_progress_arrives_batch_by_batch_before_the_first_token(engine: EngineClient) -> None:
    messages = [{"role": "user", "content": LONG + "\nWhat does the parrot do?"}]
    progress, stats = check_progress(events_of(engine, ChatRequest(messages, GREEDY)))
    total = progress[0].total
    assert total == stats["prompt_eval_tokens"] and total > 8 * BATCH
    assert progress[0].prompt_tokens == stats["prompt_tokens"]
    assert len(progress) >= 1 + math.ceil(total / BATCH)  # 0 %, then one per batch

    # The next turn reads only what is new: its 100 % is the new tokens, and the
    # context it reports is the whole prompt.
    reply = "".join(
        e.text for e in events_of(engine, ChatRequest(messages, GREEDY)) if isinstance(e, Token)
    )
    follow = [
        *messages,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": "And the crow?"},
    ]
    progress, stats = check_progress(events_of(engine, ChatRequest(follow, GREEDY)))
    assert progress[-1].total == stats["prompt_eval_tokens"] < BATCH
    assert progress[-1].prompt_tokens == stats["prompt_tokens"] > 8 * BATCH


def test_raw_completion_reports_progress_too(engine: EngineClient) -> None:
    progress, stats = check_progress(
        events_of(engine, CompleteRequest("Once upon a time. " + LONG, GREEDY))
    )
    assert progress[-1].done == stats["prompt_eval_tokens"] > 8 * BATCH
