"""The sidebar: pinned then newest first, rename, pin, delete with Undo, shortcuts
(searching is in test_search_panel.py)."""

from __future__ import annotations

from gui_helpers import WindowFactory
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from parrotchat.core.chats.store import ChatStore
from parrotchat.gui.chat.chat_list import UNDO_MS, ChatListPanel


def menu_action(panel: ChatListPanel, chat_id: int, name: str) -> QAction:
    """The chat's context menu, as right-clicking its row opens it, and one of its actions."""
    item = panel.item_for(chat_id)
    assert item is not None
    action = panel.menu_for(item).findChild(QAction, name)
    assert action is not None
    return action


def answer_dialog(qtbot: QtBot, text: str) -> None:
    """Type `text` into the next modal input dialog and press OK."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        dialog.setTextValue(text)
        dialog.accept()

    QTimer.singleShot(0, answer)


def test_rename_pin_delete_undo(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(wait_model=False)
    store, panel = session.store, session.window.chat_list
    first = store.create_chat("Budget review")
    store.add_message(first, "user", "분기 예산 검토")
    second = store.create_chat("Trip plan")
    store.add_message(second, "user", "Lisbon in May")
    session.window.refresh_chat_list()
    assert panel.chat_ids() == [second, first]  # newest first

    rename = menu_action(panel, first, "renameAction")
    assert rename.text() == "Rename…"
    answer_dialog(qtbot, "  Budget 2025 ")
    rename.trigger()
    assert store.get_chat(first).title == "Budget 2025"
    assert panel.item_for(first).text() == "Budget 2025"  # type: ignore[union-attr]

    pin = menu_action(panel, first, "pinAction")
    assert pin.text() == "Pin to top"
    pin.trigger()
    assert panel.chat_ids() == [first, second], "pinned chats come first"
    assert not panel.item_for(first).icon().isNull()  # type: ignore[union-attr]
    assert panel.item_for(second).icon().isNull()  # type: ignore[union-attr]
    store.add_message(second, "user", "and June")  # newer, but not pinned
    session.window.refresh_chat_list()
    assert panel.chat_ids() == [first, second]
    unpin = menu_action(panel, first, "pinAction")
    assert unpin.text() == "Unpin"
    unpin.trigger()
    assert panel.chat_ids() == [second, first]

    session.chats.open_chat(second)
    menu_action(panel, second, "deleteAction").trigger()
    assert panel.chat_ids() == [first] and panel.undo_bar.isVisibleTo(session.window)
    assert "Trip plan" in panel.undo_label.text()
    assert session.chats.chat_id is None, "the deleted chat is closed at once"
    # Until the Undo time passes, the file still has it: a crash now loses nothing.
    with ChatStore(store.path) as other:
        assert second in [c.id for c in other.list_chats()]
    panel.undo_button.click()
    assert sorted(panel.chat_ids()) == sorted([first, second])
    assert store.get_chat(second).title == "Trip plan"

    panel.request_delete(second, "Trip plan")
    panel.commit_delete()  # what the Undo timer does
    assert [c.id for c in store.list_chats()] == [first]
    assert panel.chat_ids() == [first]


def test_closing_the_window_deletes_what_waits_for_undo(make_window: WindowFactory) -> None:
    session = make_window(wait_model=False)
    keep = session.store.create_chat("Keep")
    gone = session.store.create_chat("Gone")
    session.window.refresh_chat_list()
    panel = session.window.chat_list
    assert UNDO_MS >= 5000  # long enough to notice and press Undo
    panel.request_delete(gone, "Gone")
    path = session.store.path
    session.close()
    with ChatStore(path) as store:
        assert [c.id for c in store.list_chats()] == [keep]


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
