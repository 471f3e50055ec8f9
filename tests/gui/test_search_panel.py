"""The search box: every message of every chat, matches marked, a click opens the chat there."""

from __future__ import annotations

from gui_helpers import WindowFactory, fill_chat
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from parrotchat.gui.chat.search_results import MARK_OPEN, SearchResults, marked_html, title_marks
from parrotchat.gui.main import WindowSession


def click_result(results: SearchResults, row: int) -> None:
    rect = results.visualItemRect(results.item(row))
    QTest.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def on_screen(session: WindowSession, message_id: int) -> bool:
    view = session.window.chat_view
    widget = view.widget_for(message_id)
    if widget is None:
        return False
    top_left = widget.mapTo(view.viewport(), QPoint(0, 0))
    visible = QRect(top_left, widget.size()).intersected(view.viewport().rect())
    return visible.height() >= min(widget.height(), 20)


def test_search_marks_matches_and_opens_the_message(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window(wait_model=False)
    store, window = session.store, session.window
    panel = window.chat_list
    budget = store.create_chat("Budget review")
    store.add_message(budget, "user", "Draft the budget memo for the quarter.")
    long_chat = fill_chat(store, 300, title="Long chat")
    # A message far up a long chat: 280 messages below it.
    early = store.get_chat(long_chat).messages[20]
    store.update_message(early.id, content="분기 예산 검토 회의는 목요일입니다. " + early.content)
    window.refresh_chat_list()

    panel.search.setFocus()
    panel.search.setText("예산")  # QTest types ASCII only
    results = panel.results
    qtbot.waitUntil(lambda: panel.showing_results and results.results() != [], timeout=10_000)
    assert results.results() == [(long_chat, early.id)]
    shown = results.item_html(0)
    assert "Long chat" in shown and f"{MARK_OPEN}예산</span>" in shown

    click_result(results, 0)
    assert session.chats.chat_id == long_chat
    qtbot.waitUntil(lambda: on_screen(session, early.id), timeout=10_000)
    found = window.chat_view.widget_for(early.id)
    assert found is not None and found.flashing, "the message is outlined for a moment"
    assert found.text.startswith("분기 예산")

    # Titles count too, and the marked text ignores case.
    panel.search.clear()
    QTest.keyClicks(panel.search, "BUDGET")
    qtbot.waitUntil(lambda: (budget, 0) in results.results(), timeout=10_000)
    assert results.results()[0] == (budget, 0), "the chat found by its title comes first"
    assert (budget, store.get_chat(budget).messages[0].id) in results.results()
    assert f"{MARK_OPEN}Budget</span>" in results.item_html(0)
    QTest.keyClick(results, Qt.Key.Key_Return)  # the first result is current: Enter opens it
    assert session.chats.chat_id == budget

    QTest.keyClick(panel.search, Qt.Key.Key_Escape)  # back to the list
    assert panel.search.text() == "" and not panel.showing_results
    assert set(panel.chat_ids()) == {budget, long_chat}


def test_a_hit_in_another_version_switches_to_it(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(wait_model=False)
    store, window = session.store, session.window
    chat = store.create_chat("Colours")
    store.add_message(chat, "user", "Name a colour.")
    old = store.add_message(chat, "assistant", "Vermilion, a bright red.")
    store.branch_before(chat, old)
    new = store.add_message(chat, "assistant", "Green.")
    window.refresh_chat_list()
    session.chats.open_chat(chat)
    assert window.chat_view.widget_for(old) is None

    window.chat_list.search.setText("vermilion")
    results = window.chat_list.results
    qtbot.waitUntil(lambda: results.results() == [(chat, old)], timeout=10_000)
    assert "another version" in results.item_html(0)
    click_result(results, 0)
    qtbot.waitUntil(lambda: on_screen(session, old), timeout=10_000)
    assert window.chat_view.widget_for(new) is None
    assert [m.id for m in store.get_chat(chat).messages][-1] == old
    found = window.chat_view.widget_for(old)
    assert found is not None and found.branch_switcher.label.text() == "1/2"


def test_nothing_found_says_so(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(wait_model=False)
    chat = session.store.create_chat("Trip")
    session.store.add_message(chat, "user", "Lisbon in May")
    panel = session.window.chat_list
    panel.search.setText("zzqx")
    qtbot.waitUntil(lambda: panel.showing_results, timeout=10_000)
    assert panel.results.results() == []
    assert panel.results.item(0).text() == "Nothing found for “zzqx”"


def test_marks_are_escaped_and_overlaps_merged() -> None:
    mark = MARK_OPEN
    assert marked_html("a <b> & 예산 예산", [(11, 13), (8, 10)]) == (
        f"a &lt;b&gt; &amp; {mark}예산</span> {mark}예산</span>"
    )
    assert marked_html("abcdef", [(0, 3), (2, 5), (9, 12)]) == (f"{mark}abc</span>{mark}de</span>f")
    assert title_marks("Budget and BUDGET", "budget") == [(0, 6), (11, 17)]
    assert title_marks("Straße", "STRASSE") == []  # lengths change under casefold: no marks
