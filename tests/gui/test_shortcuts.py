"""Keyboard shortcuts: export from the keyboard, and Help → Keyboard shortcuts lists
every one of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gui_helpers import WindowFactory, fill_chat
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow
from pytestqt.qtbot import QtBot

from parrotchat.gui.i18n import install_translators
from parrotchat.gui.shortcuts_dialog import ShortcutsDialog
from parrotchat.gui.window_actions import WindowActions


def test_ctrl_e_exports_the_open_chat(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = make_window(wait_model=False)
    window = session.window
    chat_id = fill_chat(session.store, 2, title="Keyboard people")
    session.chats.open_chat(chat_id)
    asked: list[str] = []

    def save_as(_parent: object, _title: str, name: str, _filter: str) -> tuple[str, str]:
        asked.append(name)
        return str(tmp_path / name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(
        window,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert [Path(name).suffix for name in asked] == [".md", ".json"]
    markdown, data = (tmp_path / name for name in asked)
    assert markdown.read_text(encoding="utf-8").startswith("# Keyboard people")
    assert json.loads(data.read_text(encoding="utf-8"))["title"] == "Keyboard people"


def test_help_lists_every_shortcut(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    session = make_window(wait_model=False)
    window = session.window
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    entry = next(a for a in help_menu.actions() if a.text() == "Keyboard shortcuts")
    entry.trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    rows = dict(dialog.rows)
    assert rows["Export as Markdown"] == "Ctrl+E" and rows["Export as JSON"] == "Ctrl+Shift+E"
    assert rows["Send the message"] == "Enter" and rows["Start a new line in the message"]
    assert rows["New chat"] == "Ctrl+N" and rows["Keyboard shortcuts"] == "Ctrl+/"
    shown = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert shown == set(rows)
    # Every action with a shortcut in the menus is in the list.
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    with_keys = {
        a.text().replace("&", "").rstrip("…")
        for m in menus
        for a in m.actions()
        if not a.shortcut().isEmpty()
    }
    assert with_keys <= set(rows)
    dialog.grab().save(str(tmp_path / "shortcuts.png"))
    dialog.close()


def test_the_shortcut_list_speaks_korean(qtbot: QtBot, qapp: QApplication, tmp_path: Path) -> None:
    translators = install_translators(qapp, "ko")
    try:
        window = QMainWindow()
        qtbot.addWidget(window)
        actions = WindowActions(window, "ko")
        dialog = actions.show_shortcuts(window)
        rows = dict(dialog.rows)
        assert dialog.windowTitle() == "단축키"
        assert rows["메시지 보내기"] and rows["메시지에서 줄 바꾸기"]
        assert rows["단축키"] == "Ctrl+/" and rows["새 대화"] == "Ctrl+N"
        assert dialog.table.horizontalHeaderItem(1).text() == "키"
        dialog.grab().save(str(tmp_path / "shortcuts_ko.png"))
        dialog.close()
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
