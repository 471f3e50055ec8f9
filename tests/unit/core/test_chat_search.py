"""Searching every chat's messages on a real SQLite file, Korean included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.chats import search
from parrotchat.core.chats.search import make_snippet
from parrotchat.core.chats.store import ChatStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    s = ChatStore(tmp_path / "chats.sqlite3").open()
    yield s
    s.close()


def marked(snippet: str, marks: tuple[tuple[int, int], ...]) -> list[str]:
    return [snippet[a:b] for a, b in marks]


def test_english_search_ignores_case_and_marks_the_matches(store: ChatStore) -> None:
    chat = store.create_chat("Budget")
    store.add_message(chat, "user", "What is the BUDGET for the trip?")
    mid = store.add_message(chat, "assistant", "The budget is 300 euros; the budget is tight.")
    hits = store.search_messages("budget")
    assert [h.message_id for h in hits] == [mid, mid - 1]  # newest first
    hit = hits[0]
    assert (hit.chat_id, hit.title, hit.role, hit.shown) == (chat, "Budget", "assistant", True)
    assert marked(hit.snippet, hit.marks) == ["budget", "budget"]
    assert marked(hits[1].snippet, hits[1].marks) == ["BUDGET"]


def test_korean_search_long_and_two_character_words(store: ChatStore) -> None:
    chat = store.create_chat("회의록")
    mid = store.add_message(chat, "user", "내일 회의에서 예산안을 검토합시다")
    store.add_message(chat, "assistant", "네, 알겠습니다")
    (hit,) = store.search_messages("예산안을")
    assert hit.message_id == mid and marked(hit.snippet, hit.marks) == ["예산안을"]
    (hit,) = store.search_messages("회의")  # two syllables: too short for trigrams
    assert hit.message_id == mid and marked(hit.snippet, hit.marks) == ["회의"]
    assert store.search_messages("없는말") == []
    assert [h.message_id for h in store.search_messages("다")] == [mid + 1, mid]


def test_a_hit_in_a_hidden_branch_is_found_and_flagged(store: ChatStore) -> None:
    chat = store.create_chat("c")
    store.add_message(chat, "user", "q")
    old = store.add_message(chat, "assistant", "the first answer mentions zebras")
    store.branch_before(chat, old)
    new = store.add_message(chat, "assistant", "the second answer mentions zebras too")
    hits = store.search_messages("zebras")
    assert [(h.message_id, h.shown) for h in hits] == [(new, True), (old, False)]
    assert [(h.message_id, h.shown) for h in store.search_messages("ze")] == [
        (new, True),
        (old, False),
    ]


def test_the_index_follows_updates_deletes_and_branches(store: ChatStore) -> None:
    chat = store.create_chat("c")
    mid = store.add_message(chat, "assistant", "", status="streaming")
    assert store.search_messages("aardvark") == []
    store.update_message(mid, content="an aardvark")
    assert [h.message_id for h in store.search_messages("aardvark")] == [mid]
    store.update_message(mid, content="a platypus")
    assert store.search_messages("aardvark") == []
    assert [h.message_id for h in store.search_messages("platypus")] == [mid]
    store.branch_before(chat, mid)
    assert [h.shown for h in store.search_messages("platypus")] == [False]
    store.delete_chat(chat)
    assert store.search_messages("platypus") == []
    assert store.search_messages("pl") == []


@pytest.mark.parametrize(
    "query",
    [
        'say "hi" now',
        '"',
        'a"b',
        "NOT this",
        "col:umn",
        "star*",
        "(paren",
        "^caret",
        "a OR b",
        "%_\\",
        "%_",
    ],
)
def test_query_syntax_is_text_to_find(store: ChatStore, query: str) -> None:
    chat = store.create_chat("c")
    store.add_message(chat, "user", "nothing to see")
    mid = store.add_message(chat, "user", f"before {query} after")
    hits = store.search_messages(query)
    assert [h.message_id for h in hits] == [mid]
    assert marked(hits[0].snippet, hits[0].marks) == [query]


def test_blank_queries_find_nothing(store: ChatStore) -> None:
    store.add_message(store.create_chat("c"), "user", "text")
    assert store.search_messages("") == [] and store.search_messages("   ") == []


def test_the_limit_keeps_the_newest(store: ChatStore) -> None:
    chat = store.create_chat("c")
    ids = [store.add_message(chat, "user", f"hello {i}") for i in range(10)]
    assert [h.message_id for h in store.search_messages("hello", limit=3)] == ids[:-4:-1]
    assert [h.message_id for h in store.search_messages("lo", limit=3)] == ids[:-4:-1]


def test_snippets_are_cut_around_the_match_on_one_line() -> None:
    text = "a" * 100 + "\nneedle\n" + "b" * 100
    snippet, marks = make_snippet(text, "NEEDLE", context=10)
    assert snippet == "…" + "a" * 9 + " needle " + "b" * 9 + "…"
    assert marked(snippet, marks) == ["needle"]
    assert make_snippet("short needle", "needle") == ("short needle", ((6, 12),))


def test_short_queries_find_the_same_through_the_index_and_by_reading(
    store: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = store.create_chat("c")
    for text in ["회의", "내일 회의", "회의록 정리", "Ab cd", "x", "end with ab", "50%_off", "Été"]:
        store.add_message(chat, "user", text)
    queries = ["회의", "의", "ab", "AB", "b", "x", "%_", "_", "ét", "té", "없음"]
    monkeypatch.setattr(search, "SCAN_FIRST", 0)  # past the newest messages: the index
    indexed = {q: [h.message_id for h in store.search_messages(q)] for q in queries}
    monkeypatch.setattr(search, "MAX_SHORT_QUERY_TERMS", 0)  # every short query reads
    read = {q: [h.message_id for h in store.search_messages(q)] for q in queries}
    assert indexed == read
    assert len(indexed["회의"]) == 3 and len(indexed["ab"]) == 2 and indexed["x"]
    assert indexed["없음"] == []
