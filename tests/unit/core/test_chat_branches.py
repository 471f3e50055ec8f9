"""Branches on a real SQLite file: regenerate and edit keep the old version, the
chat continues from the branch shown, switching brings back what followed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import StorageError


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    s = ChatStore(tmp_path / "chats.sqlite3").open()
    yield s
    s.close()


def texts(store: ChatStore, chat: int) -> list[str]:
    return [m.content for m in store.get_chat(chat).messages]


def test_regenerate_keeps_the_old_reply_and_switching_shows_it(store: ChatStore) -> None:
    chat = store.create_chat("c")
    q = store.add_message(chat, "user", "q1")
    a1 = store.add_message(chat, "assistant", "a1")
    assert store.branch_before(chat, a1) == 1
    assert texts(store, chat) == ["q1"]
    a2 = store.add_message(chat, "assistant", "a2")
    shown = store.get_chat(chat).messages
    assert [(m.content, m.parent_id, m.branch_index, m.branch_count) for m in shown] == [
        ("q1", None, 0, 1),
        ("a2", q, 1, 2),
    ]
    assert store.sibling(a2, -1) == a1 and store.sibling(a2, +1) is None
    assert store.sibling(a1, -1) is None and store.sibling(a1, +1) == a2
    store.switch_branch(a1)
    assert texts(store, chat) == ["q1", "a1"]
    # The chat continues from the branch shown.
    store.add_message(chat, "user", "q2 after a1")
    assert texts(store, chat) == ["q1", "a1", "q2 after a1"]
    assert store.list_chats()[0].message_count == 3


def test_edit_and_resend_keeps_the_conversation_that_followed(store: ChatStore) -> None:
    chat = store.create_chat("c")
    q1 = store.add_message(chat, "user", "q1")
    store.add_message(chat, "assistant", "a1")
    store.add_message(chat, "user", "q2")
    store.add_message(chat, "assistant", "a2")
    assert store.branch_before(chat, q1) == 4
    q1b = store.add_message(chat, "user", "q1 edited")
    store.add_message(chat, "assistant", "a1 for the edit")
    assert texts(store, chat) == ["q1 edited", "a1 for the edit"]
    store.switch_branch(q1)  # back: the whole old conversation, not just q1
    assert texts(store, chat) == ["q1", "a1", "q2", "a2"]
    store.switch_branch(q1b)
    assert texts(store, chat) == ["q1 edited", "a1 for the edit"]
    every = store.all_messages(chat)
    assert [m.content for m in every] == [
        "q1",
        "q1 edited",
        "a1",
        "a1 for the edit",
        "q2",
        "a2",
    ]


def test_switching_follows_the_branch_chosen_last(store: ChatStore) -> None:
    chat = store.create_chat("c")
    store.add_message(chat, "user", "q")
    a1 = store.add_message(chat, "assistant", "a1")
    store.add_message(chat, "user", "q2 old")
    store.branch_before(chat, store.get_chat(chat).messages[-1].id)
    store.add_message(chat, "user", "q2 new")
    store.branch_before(chat, a1)
    a2 = store.add_message(chat, "assistant", "a2")
    store.switch_branch(a1)
    assert texts(store, chat) == ["q", "a1", "q2 new"]  # what was shown under a1 last
    old = next(m.id for m in store.all_messages(chat) if m.content == "q2 old")
    store.switch_branch(old)
    store.switch_branch(a2)
    store.switch_branch(a1)
    assert texts(store, chat) == ["q", "a1", "q2 old"]


def test_a_hidden_message_deep_in_a_branch_can_be_shown(store: ChatStore) -> None:
    chat = store.create_chat("c")
    store.add_message(chat, "user", "q")
    a1 = store.add_message(chat, "assistant", "a1")
    q2 = store.add_message(chat, "user", "q2")
    store.add_message(chat, "assistant", "a2")
    store.branch_before(chat, a1)
    store.add_message(chat, "assistant", "other")
    store.switch_branch(q2)  # a search hit on a hidden branch: its ancestors come too
    assert texts(store, chat) == ["q", "a1", "q2", "a2"]


def test_the_tail_and_older_pages_read_the_branch_shown(store: ChatStore) -> None:
    chat = store.create_chat("c")
    ids = [store.add_message(chat, "user", f"m{i}") for i in range(10)]
    store.branch_before(chat, ids[5])
    for i in range(3):
        store.add_message(chat, "user", f"n{i}")
    tail = store.get_chat_tail(chat, 4)
    assert [m.content for m in tail.messages] == ["m4", "n0", "n1", "n2"]
    assert tail.older == 4
    older = store.messages_before(chat, tail.messages[0].id, 10)
    assert [m.content for m in older] == ["m0", "m1", "m2", "m3"]


def test_branch_errors_name_the_message(store: ChatStore) -> None:
    chat = store.create_chat("c")
    mid = store.add_message(chat, "user", "q")
    other = store.create_chat("other")
    with pytest.raises(StorageError, match=f"message {mid} is not shown in chat {other}"):
        store.branch_before(other, mid)
    with pytest.raises(StorageError, match="message 999 does not exist"):
        store.switch_branch(999)
    with pytest.raises(StorageError, match="message 999 does not exist"):
        store.sibling(999, 1)


def test_pinned_chats_are_listed_first(store: ChatStore) -> None:
    old = store.create_chat("old")
    store.create_chat("new")
    store.set_pinned(old, True)
    assert [(c.title, c.pinned) for c in store.list_chats()] == [("old", True), ("new", False)]
    store.set_pinned(old, False)
    assert [c.title for c in store.list_chats()] == ["new", "old"]
    with pytest.raises(StorageError, match="chat 999 does not exist"):
        store.set_pinned(999, True)
