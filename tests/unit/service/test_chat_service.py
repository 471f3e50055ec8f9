"""The chat service over a real store: titles, a chat's own settings, regenerate and
edit, and how much of a long chat reaches the model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings
from parrotchat.service.chat_service import ChatService, title_for


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3").open()
    yield ChatService(store, Settings(system_prompt="Be kind."))
    store.close()


def test_a_new_chat_is_named_after_its_first_message() -> None:
    assert title_for("  How do parrots\n learn   words?  ") == "How do parrots learn words?"
    long = title_for("word " * 100)
    assert len(long) == 61 and long.endswith("…")
    assert title_for(" \n ") == "New chat"
    assert title_for("앵무새는 " + "x" * 5_000_000).startswith("앵무새는 xxx")  # a 5 MB paste


def test_a_chat_from_a_template_is_named_after_the_users_text(service: ChatService) -> None:
    settings = service.settings_of(None)
    message = "Translate the following text into Korean:\n\nGood morning, team."
    chat = service.create_chat(message, None, settings, user_text="Good morning, team.")
    summary = service.create_chat(
        "Summarize this:\n\nThe quarterly report says…", None, settings,
        user_text="The quarterly report says…",
    )  # fmt: skip
    titles = {c.id: c.title for c in service.store.list_chats()}
    assert titles[chat] == "Good morning, team."
    assert titles[summary] == "The quarterly report says…"
    # The message was rewritten after the template filled it: it names the chat.
    other = service.create_chat("Something else entirely", None, settings, user_text="Hello")
    assert service.store.get_chat(other).title == "Something else entirely"


def test_a_chat_keeps_its_own_settings_over_the_defaults(service: ChatService) -> None:
    assert service.settings_of(None).system_prompt == "Be kind."
    own = service.settings_of(None).with_template("Answer in Korean.", {"temperature": 0.2})
    chat_id = service.create_chat("Hello", "starter", replace(own, overflow_policy="stop"))
    reread = service.settings_of(service.store.get_chat(chat_id))
    assert reread.system_prompt == "Answer in Korean."
    assert reread.sampling.temperature == 0.2 and reread.overflow_policy == "stop"

    # A value the store holds but ParrotChat cannot use keeps the default, not the chat.
    service.store.update_chat_settings(chat_id, {"sampling": {"temperature": 9}, "x": 1})
    damaged = service.settings_of(service.store.get_chat(chat_id))
    assert damaged == ChatSettings.defaults(service.defaults)


def test_regenerate_keeps_the_old_reply_as_a_sibling(service: ChatService) -> None:
    chat_id = service.create_chat("Q", None, service.settings_of(None))
    question = service.add_user_message(chat_id, "Q")
    reply = service.begin_turn(chat_id, service.settings_of(None), "m")
    reply.finish({})
    assert service.branch_last_reply(chat_id) == reply.message_id
    assert [m.id for m in service.store.get_chat(chat_id).messages] == [question.id]
    assert service.branch_last_reply(chat_id) is None  # ends with the question: answer it
    second = service.begin_turn(chat_id, service.settings_of(None), "m")
    second.finish({})
    shown = service.store.get_chat(chat_id).messages
    assert [m.id for m in shown] == [question.id, second.message_id]
    assert (shown[1].branch_index, shown[1].branch_count) == (1, 2)
    assert service.switch_branch(chat_id, second.message_id, -1) == reply.message_id
    assert [m.id for m in service.store.get_chat(chat_id).messages] == [
        question.id,
        reply.message_id,
    ]
    assert service.switch_branch(chat_id, reply.message_id, -1) is None

    empty = service.create_chat("", None, service.settings_of(None))
    with pytest.raises(ParrotError, match="no message to answer"):
        service.branch_last_reply(empty)


def test_edit_hides_the_message_and_everything_after_it(service: ChatService) -> None:
    chat_id = service.create_chat("one", None, service.settings_of(None))
    first = service.add_user_message(chat_id, "one")
    service.begin_turn(chat_id, service.settings_of(None), "m").finish({})
    service.add_user_message(chat_id, "two")
    service.branch_from(chat_id, first.id)
    assert service.store.get_chat(chat_id).messages == []
    edited = service.add_user_message(chat_id, "one, edited")
    (shown,) = service.store.get_chat(chat_id).messages
    assert (shown.id, shown.branch_index, shown.branch_count) == (edited.id, 1, 2)
    assert len(service.store.all_messages(chat_id)) == 4


def test_a_long_chat_sends_its_newest_messages_and_counts_the_rest(
    service: ChatService,
) -> None:
    settings = service.settings_of(None)
    chat_id = service.create_chat("m0", None, settings)
    for i in range(1000):
        service.add_user_message(chat_id, f"m{i}")
    turn = service.begin_turn(chat_id, settings, "m")
    request = turn.build_request(64, chat_format="chatml")

    # The empty reply in the making is not sent; the system prompt always is.
    assert request.messages[0] == {"role": "system", "content": "Be kind."}
    assert [m["content"] for m in request.messages[1:]] == [f"m{i}" for i in range(937, 1000)]
    assert request.chat_format == "chatml" and request.overflow == settings.overflow_policy
    assert request.sampling == settings.sampling.to_dict()
    assert turn.left_out == 937

    # The engine drops some of what it was sent; the user hears of both.
    stats = turn.finish({"dropped_messages": 40, "reply_tokens": 3})
    assert stats["dropped_messages"] == 977
    saved = service.store.get_chat_tail(chat_id, 1).messages[0]
    assert saved.status == "complete" and saved.stats == stats


def test_the_context_meter_counts_what_a_turn_would_send(service: ChatService) -> None:
    settings = service.settings_of(None)
    chat_id = service.create_chat("a", None, settings)
    for i in range(10):
        service.add_user_message(chat_id, f"m{i}")
    opened = service.store.get_chat_tail(chat_id, 2)  # the window opens with the newest
    messages = service.context_messages(opened, settings, n_ctx=5)
    assert [m["content"] for m in messages] == ["Be kind.", "m5", "m6", "m7", "m8", "m9"]
