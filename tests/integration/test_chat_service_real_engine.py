"""The chat service over the real engine process on the starter model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import LoadRequest
from parrotchat.service.chat_service import ChatService
from parrotchat.service.run_turn import run_turn

N_CTX = 512  # small: the prompt llama.cpp reads is short on a busy machine


@pytest.fixture(scope="module")
def engine(starter_model: Path) -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    load_model(client, LoadRequest(path=str(starter_model), n_ctx=N_CTX, threads=2))
    yield client
    client.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3").open()
    yield ChatService(store, Settings(system_prompt="You are brief."))
    store.close()


def test_a_long_chat_sends_what_fits_and_says_how_much_was_left_out(
    engine: EngineClient, service: ChatService
) -> None:
    settings = service.settings_of(None).with_template("", {"temperature": 0, "max_tokens": 8})
    chat_id = service.create_chat("parrots", "starter", settings)
    count = 2000
    for i in range(count):
        service.add_user_message(chat_id, f"Note {i}: parrots like seeds.")
    shown: list[str] = []
    result = run_turn(
        engine, service, chat_id, settings, model_name="starter", n_ctx=N_CTX, on_text=shown.append
    )

    assert result.text and "".join(shown) == result.text
    stats = result.stats
    assert 0 < stats["reply_tokens"] <= 8 and stats["n_ctx"] == N_CTX
    # Most notes were never sent (no more than n_ctx messages can fit); the engine
    # dropped more of those it got; the user hears of every one.
    assert count - N_CTX < stats["dropped_messages"] < count
    assert stats["prompt_tokens"] <= N_CTX - 8
    saved = service.store.get_chat_tail(chat_id, 1).messages[0]
    assert saved.content == result.text and saved.status == "complete"
    assert saved.stats == stats


def test_regenerate_adds_a_sibling_and_the_chat_continues_from_the_branch_shown(
    engine: EngineClient, service: ChatService
) -> None:
    settings = service.settings_of(None).with_template("", {"temperature": 0, "max_tokens": 6})
    chat_id = service.create_chat("birds", "starter", settings)
    question = service.add_user_message(chat_id, "Name one bird.")

    def turn() -> int:
        result = run_turn(engine, service, chat_id, settings, model_name="starter", n_ctx=N_CTX)
        return service.store.get_chat_tail(chat_id, 1).messages[0].id if result.text else -1

    first = turn()
    assert service.branch_last_reply(chat_id) == first
    second = turn()
    assert second not in (first, -1)
    chat = service.store.get_chat(chat_id)
    assert [m.id for m in chat.messages] == [question.id, second]
    assert (chat.messages[1].parent_id, chat.messages[1].branch_count) == (question.id, 2)

    follow_up = service.add_user_message(chat_id, "Another one.")
    third = turn()
    shown = service.store.get_chat(chat_id).messages
    assert [m.id for m in shown] == [question.id, second, follow_up.id, third]
    assert [m.parent_id for m in shown] == [None, question.id, second, follow_up.id]

    # Back to the first reply: the chat now continues from it.
    assert service.switch_branch(chat_id, second, -1) == first
    after_first = service.add_user_message(chat_id, "And a third?")
    turn()
    shown = service.store.get_chat(chat_id).messages
    assert [m.id for m in shown[:3]] == [question.id, first, after_first.id]
    assert shown[-1].role == "assistant" and shown[-1].parent_id == after_first.id
    assert len(service.store.all_messages(chat_id)) == 7
