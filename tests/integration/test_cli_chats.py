"""`parrotchat chats …` as a script uses it: real processes on a real chats file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parrotchat.core.chats.store import ChatStore


def parrot(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def ok(*args: str, home: Path) -> str:
    result = parrot(*args, home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Two chats; the trip chat's reply was regenerated once (two versions)."""
    with ChatStore(tmp_path / "data" / "chats.sqlite3") as store:
        trip = store.create_chat("부산 출장")
        store.add_message(trip, "user", '내일 회의 "예산" 자료를 정리해 줘')
        old = store.add_message(trip, "assistant", "The budget draft: 300 euros for the trip.")
        store.branch_before(trip, old)
        store.add_message(trip, "assistant", "예산 초안: 출장비 30만 원")
        notes = store.create_chat("Notes")
        store.add_message(notes, "user", "Remember the budget meeting on Friday")
    return tmp_path


def test_search_finds_english_korean_and_hidden_branches(home: Path) -> None:
    hits = json.loads(ok("chats", "search", "budget", "--json", home=home))
    assert [(h["title"], h["shown"]) for h in hits] == [("Notes", True), ("부산 출장", False)]
    for hit in hits:
        assert {"chat_id", "message_id", "title", "role", "created_at", "snippet"} <= hit.keys()
        assert [hit["snippet"][a:b].lower() for a, b in hit["marks"]] == ["budget"]
    (korean,) = json.loads(ok("chats", "search", "회의", "--json", home=home))  # 2 syllables
    assert korean["title"] == "부산 출장" and korean["role"] == "user"
    hits = json.loads(ok("chats", "search", "예산", "--json", home=home))
    assert len(hits) == 2 and all(h["shown"] for h in hits)  # the question and the new reply
    (quoted,) = json.loads(ok("chats", "search", '"예산" 자료', "--json", home=home))
    assert quoted["message_id"] == korean["message_id"]
    assert (
        json.loads(ok("chats", "search", "budget", "--limit", "1", "--json", home=home))[0]["title"]
        == "Notes"
    )
    plain = ok("chats", "search", "budget", home=home)
    assert "Notes" in plain and "(other branch)" in plain
    assert ok("chats", "search", "nothing like this", "--json", home=home).strip() == "[]"


def test_show_gives_the_branch_shown_with_its_place(home: Path) -> None:
    chat_id = json.loads(ok("chats", "list", "--json", home=home))[1]["id"]
    shown = json.loads(ok("chats", "show", str(chat_id), "--json", home=home))
    question, reply = shown["messages"]
    assert reply["content"] == "예산 초안: 출장비 30만 원"
    assert (question["parent_id"], question["branch"]) == (None, {"index": 1, "count": 1})
    assert (reply["parent_id"], reply["branch"]) == (question["id"], {"index": 2, "count": 2})
    assert "[assistant] ‹2/2› 예산 초안" in ok("chats", "show", str(chat_id), home=home)


def test_export_writes_the_branch_shown_or_all(home: Path) -> None:
    chat_id = str(json.loads(ok("chats", "list", "--json", home=home))[1]["id"])
    shown = ok("chats", "export", chat_id, home=home)
    assert "예산 초안" in shown and "The budget draft" not in shown
    out = home / "all.md"
    ok("chats", "export", chat_id, "--all-branches", "-o", str(out), home=home)
    text = out.read_text(encoding="utf-8")
    assert "(version 1 of 2" in text and "The budget draft" in text and "(version 2 of 2" in text
    data = json.loads(
        ok("chats", "export", chat_id, "--format", "json", "--all-branches", home=home)
    )
    assert data["branches"] == "all" and len(data["messages"]) == 3


def test_rename_pin_unpin_and_delete(home: Path) -> None:
    def listed() -> list[tuple[str, bool]]:
        return [
            (c["title"], c["pinned"]) for c in json.loads(ok("chats", "list", "--json", home=home))
        ]

    notes, trip = (c["id"] for c in json.loads(ok("chats", "list", "--json", home=home)))
    assert listed() == [("Notes", False), ("부산 출장", False)]
    ok("chats", "pin", str(trip), home=home)
    assert listed() == [("부산 출장", True), ("Notes", False)]
    assert "(pinned) 부산 출장" in ok("chats", "list", home=home)
    ok("chats", "rename", str(trip), "Busan trip", home=home)
    ok("chats", "unpin", str(trip), home=home)
    # Renaming is no new message: unpinned, it goes back under the newer chat.
    assert listed() == [("Notes", False), ("Busan trip", False)]
    ok("chats", "delete", str(notes), home=home)
    assert listed() == [("Busan trip", False)]
    assert json.loads(ok("chats", "search", "Friday", "--json", home=home)) == []

    for args, reason in [
        (("delete", str(notes)), f"chat {notes} does not exist"),
        (("pin", "999"), "chat 999 does not exist"),
        (("rename", str(trip), "  "), "title cannot be empty"),
        (("search", " "), "the query is empty"),
        (("search", "x", "--limit", "0"), "--limit must be at least 1"),
    ]:
        result = parrot("chats", *args, home=home)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert reason in result.stderr, result.stderr
