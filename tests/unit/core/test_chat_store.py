"""ChatStore on real SQLite files: durability, migrations, damage, Korean search."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.chats.schema import SCHEMA_VERSION
from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import StorageError

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "chats.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[ChatStore]:
    s = ChatStore(db).open()
    yield s
    s.close()


def pragma(db: Path, name: str) -> object:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_a_new_file_uses_wal_and_the_current_schema(store: ChatStore, db: Path) -> None:
    assert pragma(db, "journal_mode") == "wal"
    assert pragma(db, "user_version") == SCHEMA_VERSION
    assert store.warnings == []


def test_data_survives_reopening(db: Path) -> None:
    with ChatStore(db) as s:
        chat = s.create_chat("Weekly report", model="qwen", settings={"system_prompt": "짧게"})
        s.add_message(chat, "system", "Be brief.")
        s.add_message(chat, "user", "Hello")
        s.add_message(
            chat,
            "assistant",
            "Hi!",
            model="qwen",
            sampling={"temperature": 0.2},
            stats={"tokens_per_s": 12.5},
        )
    with ChatStore(db) as s:
        loaded = s.get_chat(chat)
    assert (loaded.title, loaded.model, loaded.settings) == (
        "Weekly report",
        "qwen",
        {"system_prompt": "짧게"},
    )
    assert [(m.role, m.content, m.status) for m in loaded.messages] == [
        ("system", "Be brief.", "complete"),
        ("user", "Hello", "complete"),
        ("assistant", "Hi!", "complete"),
    ]
    reply = loaded.messages[2]
    assert (reply.model, reply.sampling, reply.stats) == (
        "qwen",
        {"temperature": 0.2},
        {"tokens_per_s": 12.5},
    )
    assert reply.created_at.endswith("Z") and reply.created_at >= loaded.created_at


def test_korean_round_trips_and_is_found(store: ChatStore) -> None:
    meeting = store.create_chat("주간 회의록 정리")
    store.add_message(meeting, "user", "다음 주 월요일 오전 10시에 팀 회의가 있습니다.")
    travel = store.create_chat("Trip")
    store.add_message(travel, "user", "부산 출장 일정을 짜 주세요 🚄")
    assert store.get_chat(travel).messages[0].content == "부산 출장 일정을 짜 주세요 🚄"
    assert [c.id for c in store.list_chats("회의")] == [meeting]  # title and message
    assert [c.id for c in store.list_chats("출장")] == [travel]  # message text only
    assert [c.id for c in store.list_chats("  월요일 ")] == [meeting]
    assert store.list_chats("없는 단어") == []
    assert {c.id for c in store.list_chats("")} == {meeting, travel}


def test_search_ignores_case_and_treats_wildcards_as_text(store: ChatStore) -> None:
    a = store.create_chat("Python tips")
    store.add_message(a, "user", "Use 100% of the CPU_COUNT")
    b = store.create_chat("Été à Paris")
    c = store.create_chat("Plain")
    assert [x.id for x in store.list_chats("PYTHON")] == [a]
    assert [x.id for x in store.list_chats("%")] == [a]
    assert [x.id for x in store.list_chats("u_c")] == [a]
    assert [x.id for x in store.list_chats("été À")] == [b]  # beyond ASCII: casefold
    assert c not in [x.id for x in store.list_chats("_")]


def test_list_is_newest_first_with_counts(store: ChatStore) -> None:
    old = store.create_chat("old")
    new = store.create_chat("new")
    time.sleep(0.02)  # timestamps have millisecond resolution (Windows clocks: ~15 ms)
    store.add_message(old, "user", "bump")  # activity moves a chat to the top
    summaries = store.list_chats()
    assert [(s.id, s.message_count) for s in summaries] == [(old, 1), (new, 0)]
    assert summaries[0].updated_at >= summaries[1].updated_at


def test_chat_changes(store: ChatStore) -> None:
    chat = store.create_chat("draft")
    store.add_message(chat, "user", "hi")
    store.rename_chat(chat, "최종 보고서")
    store.update_chat_settings(chat, {"temperature": 0.1})
    store.set_chat_model(chat, "gemma")
    loaded = store.get_chat(chat)
    assert (loaded.title, loaded.settings, loaded.model) == (
        "최종 보고서",
        {"temperature": 0.1},
        "gemma",
    )
    store.delete_chat(chat)
    with pytest.raises(StorageError, match=f"^chat {chat} does not exist$"):
        store.get_chat(chat)
    orphans = store._db().execute("SELECT count(*) FROM messages").fetchone()[0]
    assert orphans == 0  # foreign keys on: the messages went with the chat


def test_missing_things_are_named(store: ChatStore) -> None:
    with pytest.raises(StorageError, match=r"^chat 12 does not exist$"):
        store.get_chat(12)
    for call in (
        lambda: store.rename_chat(12, "x"),
        lambda: store.delete_chat(12),
        lambda: store.add_message(12, "user", "x"),
    ):
        with pytest.raises(StorageError, match="chat 12 does not exist"):
            call()
    with pytest.raises(StorageError, match="message 99 does not exist"):
        store.update_message(99, content="x")
    with pytest.raises(ValueError):
        store.add_message(store.create_chat("x"), "robot", "x")


def test_update_message_changes_only_what_is_given(store: ChatStore) -> None:
    chat = store.create_chat("c")
    mid = store.add_message(chat, "assistant", "", status="streaming", stats={"a": 1})
    store.update_message(mid, content="partial")
    store.update_message(mid, stats={"reply_tokens": 3}, status="complete")
    (msg,) = store.get_chat(chat).messages
    assert (msg.content, msg.stats, msg.status) == ("partial", {"reply_tokens": 3}, "complete")


def test_recover_interrupted_marks_unfinished_replies(db: Path) -> None:
    with ChatStore(db) as s:
        chat = s.create_chat("c")
        s.add_message(chat, "user", "q")
        s.add_message(chat, "assistant", "half an ans", status="streaming")
    with ChatStore(db) as s:
        assert s.recover_interrupted() == 1
        assert s.recover_interrupted() == 0
        reply = s.get_chat(chat).messages[1]
    assert (reply.content, reply.status) == ("half an ans", "interrupted")
    assert reply.stats is not None and "closed before the reply finished" in reply.stats["reason"]


def test_a_prototype_database_is_migrated(db: Path) -> None:
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT, created REAL, model TEXT);
        CREATE TABLE messages (id INTEGER PRIMARY KEY, chat_id INTEGER, role TEXT,
                               content TEXT, created REAL);
        INSERT INTO chats VALUES (1, '첫 대화', 1700000000.0, 'llama');
        INSERT INTO chats VALUES (2, NULL, 1700000500.0, NULL);
        INSERT INTO messages VALUES (10, 1, 'user', '안녕?', 1700000001.5);
        INSERT INTO messages VALUES (11, 1, 'assistant', '안녕하세요!', 1700000002.25);
        INSERT INTO messages VALUES (12, 1, 'user', '고마워', 1700000100.0);
        """
    )
    conn.close()
    with ChatStore(db) as s:
        chats = s.list_chats()
        first = s.get_chat(1)
        s.add_message(1, "assistant", "천만에요")  # the migrated tables take new rows
    assert pragma(db, "user_version") == SCHEMA_VERSION
    # chat 2 was created after chat 1's last message
    assert [(c.id, c.title, c.message_count) for c in chats] == [
        (2, "Untitled", 0),
        (1, "첫 대화", 3),
    ]
    assert first.created_at == "2023-11-14T22:13:20.000Z"
    assert first.updated_at == "2023-11-14T22:15:00.000Z"  # its last message
    assert [(m.role, m.content, m.status) for m in first.messages] == [
        ("user", "안녕?", "complete"),
        ("assistant", "안녕하세요!", "complete"),
        ("user", "고마워", "complete"),
    ]
    assert first.messages[1].created_at == "2023-11-14T22:13:22.250Z"


def test_a_database_from_a_newer_version_is_refused_untouched(db: Path) -> None:
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer ParrotChat"):
        ChatStore(db).open()
    assert pragma(db, "user_version") == SCHEMA_VERSION + 1


def test_a_damaged_database_is_moved_aside(db: Path) -> None:
    with ChatStore(db) as s:
        for i in range(20):
            chat = s.create_chat(f"chat {i}")
            s.add_message(chat, "user", "내용 " * 300)
    with open(db, "r+b") as f:  # scribble over the first b-tree pages, keep the file header
        for page in (2, 3, 4):
            f.seek((page - 1) * 4096)
            f.write(b"\xff" * 64)
    s = ChatStore(db).open()
    try:
        assert len(s.warnings) == 1 and "damaged" in s.warnings[0]
        assert s.list_chats() == []
        chat = s.create_chat("새 대화")
        assert s.get_chat(chat).title == "새 대화"
    finally:
        s.close()
    (kept,) = db.parent.glob("chats.sqlite3.corrupt-*[0-9Z]")
    assert kept.name in s.warnings[0]
    assert kept.stat().st_size > 4096 * 3


def test_a_file_that_is_not_a_database_is_reported(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_text("these are my notes, not a database" * 100)
    with pytest.raises(StorageError, match=r"chats\.sqlite3: file is not a database"):
        ChatStore(db).open()
    assert db.read_text().startswith("these are my notes")


def test_an_unusable_folder_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StorageError, match="Cannot open chats database"):
        ChatStore(blocker / "chats.sqlite3").open()


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_is_a_storage_error_and_keeps_the_data(db: Path) -> None:
    with ChatStore(db) as s:
        chat = s.create_chat("before")
        s.add_message(chat, "user", "kept")
    child = textwrap.dedent(
        """
        import os, resource, signal, sys
        from parrotchat.core.chats.store import ChatStore
        from parrotchat.core.errors import StorageError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        store = ChatStore(sys.argv[1]).open()
        limit = os.path.getsize(sys.argv[1]) + 8192
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            store.add_message(1, "user", "x" * 1_000_000)
        except StorageError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", child, str(db)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    assert out.stdout.startswith(f"Cannot save to {db}: "), out.stdout + out.stderr
    assert pragma(db, "integrity_check") == "ok"
    with ChatStore(db) as s:
        assert [m.content for m in s.get_chat(chat).messages] == ["kept"]
