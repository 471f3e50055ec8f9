from collections.abc import Sequence

import pytest

from parrotchat.core.chats.context_budget import fit_messages, reply_reserve
from parrotchat.core.errors import ContextFullError


def count_words(messages: Sequence[dict[str, str]]) -> int:
    # One "token" per word plus 2 per message for the template's markers.
    return sum(len(m["content"].split()) + 2 for m in messages)


def chat(turns: int, words: int = 10) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": "be brief"}]
    for i in range(turns):
        msgs.append({"role": "user", "content": f"question {i} " + "w " * words})
        msgs.append({"role": "assistant", "content": f"answer {i} " + "w " * words})
    msgs.append({"role": "user", "content": "last question"})
    return msgs


def test_a_chat_that_fits_is_sent_whole() -> None:
    msgs = chat(2)
    result = fit_messages(msgs, count_words, n_ctx=1000, max_tokens=100, policy="drop_oldest")
    assert result.messages == msgs
    assert result.dropped_messages == 0


def test_drop_oldest_keeps_system_prompt_and_last_message_and_reports_the_drop() -> None:
    msgs = chat(20)
    result = fit_messages(msgs, count_words, n_ctx=200, max_tokens=50, policy="drop_oldest")
    assert result.messages[0]["role"] == "system"
    assert result.messages[-1]["content"] == "last question"
    assert result.messages[1]["role"] == "user"  # turns are dropped whole
    assert result.dropped_messages > 0
    assert result.dropped_messages == len(msgs) - len(result.messages)
    assert result.prompt_tokens <= 200 - reply_reserve(200, 50)


def test_dropping_in_steps_keeps_the_prefix_stable_for_the_next_turn() -> None:
    msgs = chat(20)
    first = fit_messages(msgs, count_words, n_ctx=200, max_tokens=50, policy="drop_oldest")
    longer = [*msgs, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
    second = fit_messages(longer, count_words, n_ctx=200, max_tokens=50, policy="drop_oldest")
    # Same first kept turn: the engine can reuse its KV cache for the shared prefix.
    assert second.messages[1] == first.messages[1]


def test_stop_policy_refuses_with_the_numbers() -> None:
    with pytest.raises(ContextFullError, match=r"needs \d+ tokens but the context holds 200"):
        fit_messages(chat(20), count_words, n_ctx=200, max_tokens=50, policy="stop")


def test_a_single_message_larger_than_the_context_is_refused() -> None:
    msgs = [{"role": "user", "content": "w " * 500}]
    with pytest.raises(ContextFullError, match="more than the context length of 100"):
        fit_messages(msgs, count_words, n_ctx=100, max_tokens=20, policy="drop_oldest")
