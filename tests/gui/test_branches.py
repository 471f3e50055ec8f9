"""Versions of a message in the window: ‹ 2/3 › switches, and the chat goes on from there.

Real widgets on a real chat file; the branches are made through the store as edit and
regenerate make them (the real engine's regenerate is in test_chat_window.py).
"""

from __future__ import annotations

from gui_helpers import WindowFactory
from pytestqt.qtbot import QtBot

from parrotchat.core.chats.store import ChatStore
from parrotchat.gui.chat.message_widget import MessageWidget
from parrotchat.gui.main import WindowSession


def forked_chat(store: ChatStore) -> tuple[int, dict[str, int]]:
    """Q1 → A1 → Q2a → R2a, and a second version of the reply: Q1 → A2 → Q2b → R2b (shown)."""
    chat = store.create_chat("Forked chat")
    ids = {"Q1": store.add_message(chat, "user", "Name a colour.")}
    ids["A1"] = store.add_message(chat, "assistant", "Blue, like the sea.", model="m")
    ids["Q2a"] = store.add_message(chat, "user", "Why blue?")
    ids["R2a"] = store.add_message(chat, "assistant", "Because water absorbs red.", model="m")
    store.branch_before(chat, ids["A1"])  # what Regenerate does first
    ids["A2"] = store.add_message(chat, "assistant", "Green, like a parrot.", model="m")
    ids["Q2b"] = store.add_message(chat, "user", "Why green?")
    ids["R2b"] = store.add_message(chat, "assistant", "Parrots are mostly green.", model="m")
    return chat, ids


def shown_ids(session: WindowSession) -> list[int]:
    return [w.message_id for w in session.window.chat_view.message_widgets]


def widget(session: WindowSession, message_id: int) -> MessageWidget:
    found = session.window.chat_view.widget_for(message_id)
    assert found is not None, f"message {message_id} is not on screen"
    return found


def test_switcher_shows_versions_and_switches(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(wait_model=False)
    store = session.store
    chat, ids = forked_chat(store)
    session.chats.open_chat(chat)
    assert shown_ids(session) == [ids["Q1"], ids["A2"], ids["Q2b"], ids["R2b"]]

    question, reply = widget(session, ids["Q1"]), widget(session, ids["A2"])
    assert not question.branch_switcher.isVisibleTo(question), "one version: no switcher"
    switcher = reply.branch_switcher
    assert switcher.isVisibleTo(reply) and switcher.label.text() == "2/2"
    assert switcher.prev_button.isEnabled() and not switcher.next_button.isEnabled()

    switcher.prev_button.click()
    assert shown_ids(session) == [ids["Q1"], ids["A1"], ids["Q2a"], ids["R2a"]]
    assert widget(session, ids["Q1"]) is question, "the messages above stay as they were"
    old = widget(session, ids["A1"])
    assert old.text == "Blue, like the sea." and old.branch_switcher.label.text() == "1/2"
    assert [m.id for m in store.get_chat(chat).messages] == shown_ids(session)
    # The last reply of the branch shown is the one Regenerate redoes.
    last = widget(session, ids["R2a"])
    assert last.regenerate_button.isVisibleTo(last)
    assert not old.regenerate_button.isVisibleTo(old)

    # The chat goes on from the branch shown (no model: the message is saved, no reply).
    assert session.chats.send("And purple?")
    sent = store.get_chat(chat).messages[-1]
    assert sent.content == "And purple?" and sent.parent_id == ids["R2a"]

    widget(session, ids["A1"]).branch_switcher.next_button.click()
    assert shown_ids(session) == [ids["Q1"], ids["A2"], ids["Q2b"], ids["R2b"]]
    assert store.get_chat(chat).messages[-1].id == ids["R2b"]


def test_switching_is_off_while_a_reply_streams(make_window: WindowFactory) -> None:
    session = make_window(wait_model=False)
    chat, ids = forked_chat(session.store)
    session.chats.open_chat(chat)
    view = session.window.chat_view
    view.set_busy(True)
    switcher = widget(session, ids["A2"]).branch_switcher
    assert not switcher.prev_button.isEnabled()
    view.set_busy(False)
    assert switcher.prev_button.isEnabled()


def test_switch_in_a_long_chat_keeps_the_place(make_window: WindowFactory, qtbot: QtBot) -> None:
    """A fork 150 messages back: switching builds a page from there, not 150 widgets."""
    session = make_window(wait_model=False)
    store, view = session.store, session.window.chat_view
    chat = store.create_chat("Long forked chat")
    for i in range(50):
        store.add_message(chat, "user" if i % 2 == 0 else "assistant", f"shared {i}")
    first = store.add_message(chat, "assistant", "version one")
    for i in range(150):
        store.add_message(chat, "user" if i % 2 == 0 else "assistant", f"one {i}")
    store.branch_before(chat, first)
    second = store.add_message(chat, "assistant", "version two")
    for i in range(150):
        store.add_message(chat, "user" if i % 2 == 0 else "assistant", f"two {i}")

    session.chats.open_chat(chat)
    shown = view.reveal(second)
    assert shown is not None and shown.branch_switcher.label.text() == "2/2"
    shown.branch_switcher.prev_button.click()
    assert view.widget_for(first) is not None and view.widget_for(second) is None
    assert len(view.message_widgets) < 40, "a page is built, not the whole branch"
    assert view.hidden_newer > 100
    texts = [m.content for m in view.messages]
    assert "one 149" in texts and "two 0" not in texts
    # Sending goes back to the newest message of the branch shown.
    session.chats.send("after one")
    assert view.message_widgets[-1].text == "after one" and view.hidden_newer == 0
    assert view.message_widgets[-2].text == "one 149"
