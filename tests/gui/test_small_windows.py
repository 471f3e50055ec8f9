"""Small windows: the chat column always fits (text wraps, message buttons on screen),
the side panels fold to their toolbar toggles first, and the user's choice of panels
survives a restart. Checked at 800x600, 1280x800 and 2560x1440 in English and Korean,
and at a 200 % scale factor in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import WindowFactory, fill_chat
from layout_check import clipped, hidden_in_toolbar
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from screenshots import save_shot, shots_dir

from parrotchat.core.paths import AppPaths
from parrotchat.core.settings import load_settings
from parrotchat.gui.i18n import install_translators
from parrotchat.gui.main import WindowSession
from parrotchat.gui.main_window import MainWindow
from parrotchat.gui.side_panels import CHAT_MIN_WIDTH

SIZES = ((800, 600), (1280, 800), (2560, 1440))
# A reply a narrow column must wrap: a long sentence, an address with no spaces, Korean.
LONG_REPLY = (
    "Here is the whole address, which has no spaces to break at: "
    "https://example.org/" + "a-very-long-path-segment/" * 12 + "\n\n"
    "긴 한국어 문장도 창의 폭에 맞춰 줄이 바뀌어야 합니다. " * 6
)
LONG_MODEL = "Llama-3.1-Korean-Bllossom-8B-Instruct-Q4_K_M-a-very-long-model-name"

SCALED_SCRIPT = Path(__file__).resolve().parent / "scaled_window.py"


@pytest.fixture(params=["en", "ko"])
def lang(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    translators = install_translators(qapp, request.param) if request.param == "ko" else []
    yield str(request.param)
    for translator in translators:
        QCoreApplication.removeTranslator(translator)


def _settle(qtbot: QtBot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.height() == height, timeout=5000)
    qtbot.wait(50)  # the toolbar and the scroll areas lay out after the resize


def _chat_column(window: MainWindow) -> int:
    """The width of the middle of the window: the chat, the composer under it."""
    center = window.splitter.widget(1)
    assert center is not None
    return center.width()


def _long_chat(session: WindowSession) -> int:
    chat_id = fill_chat(session.store, 4, title="Narrow windows")
    session.store.add_message(chat_id, "user", "Where is it?")
    session.store.add_message(
        chat_id, "assistant", LONG_REPLY, model=LONG_MODEL, stats={"reply_tokens": 90}
    )
    return chat_id


def test_the_chat_column_fits_at_every_size(
    make_window: WindowFactory, qtbot: QtBot, lang: str
) -> None:
    session = make_window()
    window = session.window
    session.chats.open_chat(_long_chat(session))
    for width, height in SIZES:
        _settle(qtbot, window, width, height)
        view = window.chat_view
        assert _chat_column(window) >= CHAT_MIN_WIDTH, f"{width}x{height}"
        assert clipped(window) == [], f"{width}x{height} {lang}"
        assert hidden_in_toolbar(window) == [], f"{width}x{height} {lang}"
        reply = view.message_widgets[-1]
        view.ensureWidgetVisible(reply.copy_button)
        qtbot.wait(20)
        room = view.viewport().rect()
        for button in (reply.copy_button, reply.regenerate_button):
            assert button.isVisible()
            corner = button.mapTo(view.viewport(), button.rect().topRight())
            assert room.contains(corner), f"{width}x{height}: {button.text()} is off screen"
        # The long model name gives way to the buttons (cut with "…", whole in the tooltip).
        name = reply.role_label
        assert name.geometry().right() < reply.regenerate_button.geometry().left()
        assert name.shown_text() == LONG_MODEL or LONG_MODEL in name.toolTip()
        save_shot(window, f"small_{width}x{height}_{lang}.png")
    # At 800 wide the controls gave way and the chat list stayed; wider, both are back.
    _settle(qtbot, window, 800, 600)
    assert window.chat_list.isVisible() and not window.controls.isVisible()
    assert not window.actions_.show_controls.isChecked()
    _settle(qtbot, window, 1280, 800)
    assert window.chat_list.isVisible() and window.controls.isVisible()


def test_shrinking_to_the_smallest_window_cuts_nothing(
    make_window: WindowFactory, qtbot: QtBot, lang: str
) -> None:
    """Every 20 px from 1000 wide down to the window's least width (the top bar whole,
    even while a model loads), then every 20 px down to its least height."""
    session = make_window()
    window = session.window
    session.chats.open_chat(_long_chat(session))
    least = window.minimumSize()
    assert least.width() <= 640, f"the window cannot get narrower than {least.width()} px"
    for width in [*range(1000, least.width(), -20), least.width()]:
        _settle(qtbot, window, width, 600)
        assert clipped(window) + hidden_in_toolbar(window) == [], f"{width}x600 {lang}"
        assert _chat_column(window) >= min(CHAT_MIN_WIDTH, width - 20)
    for height in [*range(600, least.height(), -20), least.height()]:
        _settle(qtbot, window, least.width(), height)
        assert clipped(window) + hidden_in_toolbar(window) == [], f"{least.width()}x{height}"
    save_shot(window, f"small_least_{least.width()}x{least.height()}_{lang}.png")
    print(f"smallest window ({lang}): {least.width()}x{least.height()}")


def test_a_folded_panel_comes_back_on_its_toggle_and_the_choice_is_kept(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    data = tmp_path / "portable"
    session = make_window(data_dir=data)
    window = session.window
    _settle(qtbot, window, 800, 600)
    assert not window.controls.isVisible()
    # The toolbar's toggle shows the controls at 800 wide: the chat list folds to make room.
    window.actions_.show_controls.trigger()
    qtbot.waitUntil(window.controls.isVisible, timeout=2000)
    assert not window.chat_list.isVisible()
    assert _chat_column(window) >= CHAT_MIN_WIDTH
    assert clipped(window) == []
    save_shot(window, "small_800x600_controls_en.png")
    # Hiding the chat list is a choice: it stays hidden when the window is wide again.
    _settle(qtbot, window, 1280, 800)
    assert window.chat_list.isVisible()
    window.actions_.show_chat_list.trigger()
    assert not window.chat_list.isVisible() and window.controls.isVisible()
    assert session.settings.show_chat_list is False and session.settings.show_controls is True
    window.close()
    session.close()

    settings, warnings = load_settings(AppPaths.portable(data).settings_file)
    assert warnings == []
    assert settings.show_chat_list is False and settings.show_controls is True
    again = make_window(data_dir=data, settings=settings).window
    _settle(qtbot, again, 1280, 800)
    assert not again.chat_list.isVisible() and again.controls.isVisible()
    assert not again.actions_.show_chat_list.isChecked()


def test_at_200_percent_scale_nothing_is_cut(tmp_path: Path) -> None:
    """QT_SCALE_FACTOR=2 in a process of its own: 1280x720 and 800x600 logical pixels are
    2560x1440 and 1600x1200 on the screen."""
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(SCALED_SCRIPT), str(tmp_path), str(shots_dir())],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for result in results:
        assert result["device_pixel_ratio"] == 2.0, result
        assert result["grabbed"] == [2 * result["width"], 2 * result["height"]], result
        assert result["clipped"] == [] and result["hidden_in_toolbar"] == [], result
        assert result["chat_width"] >= CHAT_MIN_WIDTH - 20, result  # the chat view, less margins
