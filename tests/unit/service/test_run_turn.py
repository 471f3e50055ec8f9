"""One turn driven to its end over an engine that follows a script: what is sent,
and what stays in the store whatever the engine does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripted_engine import ScriptedEngine

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import EngineFailure
from parrotchat.engine.protocol import Crashed, Done, Event, Failed, Token
from parrotchat.service.chat_service import ChatService
from parrotchat.service.run_turn import run_turn


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3").open()
    yield ChatService(store, Settings())
    store.close()


def new_chat(service: ChatService, text: str = "Name a colour.") -> int:
    chat_id = service.create_chat(text, "m", service.settings_of(None))
    service.add_user_message(chat_id, text)
    return chat_id


def reply_of(service: ChatService, chat_id: int) -> tuple[str, str, dict[str, object]]:
    last = service.store.get_chat_tail(chat_id, 1).messages[0]
    assert last.role == "assistant"
    return last.content, last.status, last.stats or {}


def test_a_turn_sends_the_chats_settings_and_saves_the_reply(service: ChatService) -> None:
    engine = ScriptedEngine(
        lambda rid: [Token(rid, "Deep "), Token(rid, "blue."), Done(rid, {"reply_tokens": 2})]
    )
    chat_id = new_chat(service)
    settings = service.settings_of(None).with_template("Answer briefly.", {"temperature": 0.0})
    shown: list[str] = []
    result = run_turn(
        engine, service, chat_id, settings, model_name="starter", on_text=shown.append
    )

    (request,) = engine.chat_requests
    assert request.messages == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Name a colour."},
    ]
    assert request.sampling["temperature"] == 0.0
    assert shown == ["Deep ", "blue."] and result.text == "Deep blue."
    assert reply_of(service, chat_id) == ("Deep blue.", "complete", {"reply_tokens": 2})
    assert service.store.get_chat(chat_id).messages[-1].model == "starter"


def test_the_reply_is_saved_while_it_streams(service: ChatService) -> None:
    seen_midway: list[tuple[str, str]] = []

    def slow(rid: int) -> Iterator[Event]:
        yield Token(rid, "one ")
        time.sleep(1.1)  # a slow model: more than the one-second save interval
        yield Token(rid, "two ")
        content, status, _ = reply_of(service, chat_id)
        seen_midway.append((content, status))
        yield Done(rid, {})

    engine = ScriptedEngine(slow)
    chat_id = new_chat(service)
    run_turn(engine, service, chat_id, service.settings_of(None), model_name="m")
    assert seen_midway == [("one two ", "streaming")]


def test_a_failure_keeps_the_partial_reply_and_says_why(service: ChatService) -> None:
    engine = ScriptedEngine(
        lambda rid: [Token(rid, "Half a"), Failed(rid, "server_error", "the stream was cut")]
    )
    chat_id = new_chat(service)
    with pytest.raises(EngineFailure, match="the stream was cut"):
        run_turn(engine, service, chat_id, service.settings_of(None), model_name="m")
    assert reply_of(service, chat_id) == ("Half a", "error", {"reason": "the stream was cut"})


def test_a_crash_marks_the_reply_interrupted(service: ChatService) -> None:
    engine = ScriptedEngine(lambda rid: [Token(rid, "Half"), Crashed(-9, "the engine died")])
    chat_id = new_chat(service)
    with pytest.raises(EngineFailure):
        run_turn(engine, service, chat_id, service.settings_of(None), model_name="m")
    content, status, stats = reply_of(service, chat_id)
    assert (content, status, stats["reason"]) == ("Half", "interrupted", "the engine died")


def test_a_cancelled_reply_keeps_what_was_written(service: ChatService) -> None:
    engine = ScriptedEngine(lambda rid: [Token(rid, "So far"), Failed(rid, "cancelled", "")])
    chat_id = new_chat(service)
    result = run_turn(engine, service, chat_id, service.settings_of(None), model_name="m")
    assert result.stats == {"stop_reason": "cancelled"}
    assert reply_of(service, chat_id) == ("So far", "complete", {"stop_reason": "cancelled"})


def test_ctrl_c_keeps_the_partial_reply_as_stopped(service: ChatService) -> None:
    def interrupted(rid: int) -> Iterator[Event]:
        yield Token(rid, "Before Ctrl-C")
        raise KeyboardInterrupt

    engine = ScriptedEngine(interrupted)
    chat_id = new_chat(service)
    with pytest.raises(KeyboardInterrupt):
        run_turn(engine, service, chat_id, service.settings_of(None), model_name="m")
    assert reply_of(service, chat_id) == (
        "Before Ctrl-C",
        "complete",
        {"stop_reason": "cancelled"},
    )
