"""The controls panel: every control says what it does (English and Korean), no label or
choice is cut at any width, and a context length past the model's range is answered with
the range and reloads nothing until the user confirms."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from gui_helpers import WindowFactory
from layout_check import clipped
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.sampling import SamplingParams
from parrotchat.gui.chat.controls_panel import ControlsPanel
from parrotchat.gui.elided import ElidingComboBox
from parrotchat.gui.i18n import install_translators

HANGUL = re.compile("[가-힣]")
NAMED = (
    "system_prompt", "temperature", "max_tokens", "top_p", "top_k", "min_p", "repeat_penalty",
    "seed", "draft_ahead", "overflow", "save_defaults", "context_length", "gpu_mode",
    "gpu_layers", "threads",
)  # fmt: skip


@pytest.fixture(params=["en", "ko"])
def lang(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    translators = install_translators(qapp, request.param) if request.param == "ko" else []
    yield str(request.param)
    for translator in translators:
        QCoreApplication.removeTranslator(translator)


def _tips(panel: ControlsPanel) -> dict[str, str]:
    return {name: getattr(panel, name).toolTip() for name in NAMED}


def test_every_control_says_what_it_does(qtbot: QtBot, lang: str) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    tips = _tips(panel)
    assert all(len(tip) > 20 for tip in tips.values()), tips
    if lang == "ko":
        assert all(HANGUL.search(tip) for tip in tips.values()), tips
    # The labels beside the fields say the same as the fields.
    for name in ("top_k", "seed", "max_tokens"):
        label, field = panel._labels[name], getattr(panel, name)
        assert label.toolTip() == field.toolTip() and label.buddy() is field
    assert "off" in tips["top_k"] or "끔" in tips["top_k"]


def test_tooltips_differ_by_language(qtbot: QtBot, qapp: QApplication) -> None:
    english = ControlsPanel()
    qtbot.addWidget(english)
    translators = install_translators(qapp, "ko")
    try:
        korean = ControlsPanel()
        qtbot.addWidget(korean)
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
    en, ko = _tips(english), _tips(korean)
    assert all(en[name] != ko[name] for name in NAMED)


@pytest.mark.parametrize("width", [200, 260, 330, 420])
def test_no_label_is_cut_at_any_width(qtbot: QtBot, lang: str, width: int) -> None:
    """The panel alone, from its narrowest up: labels wrap, choices end in "…" with the
    whole text in the tooltip; nothing runs past the panel's edge."""
    holder = QWidget()
    qtbot.addWidget(holder)
    panel = ControlsPanel(holder)
    holder.resize(width, 900)
    panel.resize(width, 900)
    holder.show()
    qtbot.waitExposed(holder)
    qtbot.wait(20)
    assert clipped(holder) == [], f"{width} px, {lang}"
    overflow = panel.overflow
    assert isinstance(overflow, ElidingComboBox)
    full = overflow.currentText()
    assert overflow.shown_text() == full or full in overflow.toolTip()


def test_nothing_is_cut_in_the_window_at_800x600(
    make_window: WindowFactory, qtbot: QtBot, lang: str
) -> None:
    window = make_window().window
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800, timeout=5000)
    window.actions_.show_controls.trigger()  # folded at this width: the toggle shows it
    qtbot.waitUntil(window.controls.isVisible, timeout=2000)
    qtbot.wait(50)
    assert clipped(window) == [], lang
    # The choice that used to read "Leave out the oldest r" is whole at this width.
    overflow = window.controls.overflow
    assert overflow.shown_text() == overflow.currentText()
    save_shot(window, f"controls_800x600_{lang}.png")


def test_out_of_range_context_says_the_range_and_waits(
    make_window: WindowFactory, qtbot: QtBot, lang: str
) -> None:
    session = make_window()
    window, controls = session.window, session.window.controls
    window.resize(1280, 800)
    qtbot.waitUntil(controls.isVisible, timeout=5000)
    loads: list[str] = []
    session.engine.loadStarted.connect(loads.append)
    low, high = controls.context_range
    assert (low, high) == (256, 8192)  # the starter model's trained context

    field = controls.context_length
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), "131072")
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Return)
    assert field.value() == 131072, "the number typed is kept, not cut to 1310"
    bar = controls.reload_bar
    assert bar.isVisible()
    note = bar.note.text()
    assert "131,072" in note and "256" in note and "8,192" in note, note
    save_shot(controls, f"context_out_of_range_{lang}.png")
    qtbot.wait(1500)  # longer than the old automatic reload took to start
    assert loads == [] and session.settings.context_length == 2048

    bar.undo_button.click()
    assert field.value() == 2048 and not bar.isVisible() and loads == []

    # In range but not a whole number of llama.cpp's 256-token blocks: it reloads when
    # confirmed, and the status bar then shows the context really in effect.
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), "1310")
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Return)
    assert bar.isVisible() and loads == []
    with qtbot.waitSignal(session.engine.modelLoaded, timeout=60_000) as loaded:
        bar.apply_button.click()
    assert loaded.args is not None and loaded.args[0]["n_ctx"] == 1536
    assert session.settings.context_length == 1310
    qtbot.waitUntil(lambda: "1,536" in window.context_label.text(), timeout=10_000)
    assert "1,536" in window.statusBar().currentMessage()
    assert "1,310" in window.statusBar().currentMessage()
    save_shot(window, f"context_in_effect_{lang}.png")


def test_confirming_an_out_of_range_context_uses_the_nearest_allowed(qtbot: QtBot) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    panel.set_model_settings(4096, "auto", 0)
    panel.set_model_limits(8192, 30)
    edited: list[tuple[int, str, int]] = []
    panel.modelSettingsEdited.connect(lambda *args: edited.append(args))
    panel.context_length.setValue(100)  # below the least llama.cpp takes
    assert panel.reload_bar.isVisibleTo(panel) and "256" in panel.reload_bar.note.text()
    assert edited == []
    panel.reload_bar.apply_button.click()
    assert edited == [(256, "auto", 0)] and panel.context_length.value() == 256
    assert not panel.reload_bar.isVisibleTo(panel)
    # The arrows step within the model's range.
    panel.context_length.setValue(8192)
    panel.context_length.stepBy(1)
    assert panel.context_length.value() == 8192


def test_draft_ahead_is_a_chat_setting_the_panel_shows_and_changes(qtbot: QtBot) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    off = ChatSettings("", SamplingParams(draft_ahead=False), "drop_oldest")
    panel.set_chat_settings(off)
    assert not panel.draft_ahead.isChecked()
    assert panel.chat_settings().sampling.draft_ahead is False
    with qtbot.waitSignal(panel.chatSettingsEdited, timeout=5_000) as edited:
        panel.draft_ahead.click()
    assert edited.args[0].sampling.draft_ahead is True
