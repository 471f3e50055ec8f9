"""The sidebar: newest first, search by title and text, rename, delete with Undo, shortcuts."""

from __future__ import annotations

from gui_helpers import WindowFactory
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot


def test_search_rename_delete_undo(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(wait_model=False)
    store, panel = session.store, session.window.chat_list
    first = store.create_chat("Budget review")
    store.add_message(first, "user", "분기 예산 검토")
    second = store.create_chat("Trip plan")
    store.add_message(second, "user", "Lisbon in May")
    session.window.refresh_chat_list()
    assert panel.chat_ids() == [second, first]  # newest first

    panel.search.setText("예산")
    qtbot.waitUntil(lambda: panel.chat_ids() == [first], timeout=10_000)
    panel.search.setText("trip")
    qtbot.waitUntil(lambda: panel.chat_ids() == [second], timeout=10_000)
    panel.search.clear()
    qtbot.waitUntil(lambda: len(panel.chat_ids()) == 2, timeout=10_000)

    panel.renameRequested.emit(first, "Budget 2025")
    assert store.get_chat(first).title == "Budget 2025"

    session.chats.open_chat(second)
    panel.request_delete(second, "Trip plan")
    assert panel.chat_ids() == [first] and panel.undo_bar.isVisibleTo(session.window)
    assert session.chats.chat_id is None, "the deleted chat is closed at once"
    panel.undo_button.click()
    assert sorted(panel.chat_ids()) == sorted([first, second])
    assert store.get_chat(second).title == "Trip plan"

    panel.request_delete(second, "Trip plan")
    panel.commit_delete()  # what the Undo timer does
    assert [c.id for c in store.list_chats()] == [first]
    assert panel.chat_ids() == [first]


def test_keyboard_shortcuts(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(wait_model=False)
    window = session.window
    chat = session.store.create_chat("Old chat")
    session.store.add_message(chat, "user", "hello")
    session.chats.open_chat(chat)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)

    window.actions_.find.trigger()  # Ctrl+F
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.chat_list.search, timeout=10_000)
    window.actions_.focus_composer.trigger()  # Ctrl+L
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.edit, timeout=10_000)
    window.actions_.new_chat.trigger()  # Ctrl+N
    assert session.chats.chat_id is None and window.chat_view.message_widgets == []
    shortcuts = {a.shortcut().toString() for a in window.findChildren(type(window.actions_.find))}
    assert {"Ctrl+N", "Ctrl+F", "Ctrl+L", "Esc"} <= shortcuts
    assert not window.actions_.stop.isEnabled()  # Esc is free for the composer when idle
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Escape)
