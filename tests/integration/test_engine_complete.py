"""Raw-prompt completion (CompleteRequest) and OpenAI's penalties, on the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from parrotchat.engine.calls import EngineFailure, stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import CompleteRequest, Done, Token

GREEDY = {"temperature": 0.0, "max_tokens": 12, "seed": 0}


def complete(engine: EngineClient, prompt: str, **sampling: Any) -> tuple[str, dict[str, Any]]:
    text, stats = "", {}
    request = CompleteRequest(prompt=prompt, sampling={**GREEDY, **sampling})
    for ev in stream_chat(engine, request):
        if isinstance(ev, Token):
            text += ev.text
        elif isinstance(ev, Done):
            stats = ev.stats
    return text, stats


def test_continues_the_prompt_as_it_is(engine: EngineClient) -> None:
    text, stats = complete(engine, "1, 2, 3, 4, 5,")
    assert text.strip().startswith("6")
    # No chat template around it: the prompt is its own 14 tokens, plus BOS if any.
    assert stats["prompt_tokens"] <= 15
    assert stats["reply_tokens"] == 12 and stats["stop_reason"] == "length"


def test_stop_strings_and_the_cache_work_as_for_chats(engine: EngineClient) -> None:
    text, stats = complete(engine, "1, 2, 3, 4, 5,", stop=["9"])
    assert "9" not in text and stats["stop_reason"] == "stop_string"
    _, again = complete(engine, "1, 2, 3, 4, 5, 6,")
    assert again["cached_tokens"] >= stats["prompt_tokens"] - 1


def test_a_prompt_longer_than_the_context_is_a_clear_error(engine: EngineClient) -> None:
    with pytest.raises(EngineFailure, match="context holds 2048") as info:
        complete(engine, "parrot " * 3000)
    assert info.value.kind == "context_full"


def test_frequency_and_presence_penalties_change_the_reply(engine: EngineClient) -> None:
    prompt = "la la la la la la la la la la"
    plain, _ = complete(engine, prompt, max_tokens=16)
    penalised, _ = complete(
        engine, prompt, max_tokens=16, frequency_penalty=2.0, presence_penalty=2.0
    )
    # Same prompt, same greedy choice: only the penalties can make the replies differ.
    assert plain != penalised
