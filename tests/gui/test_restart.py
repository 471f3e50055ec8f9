"""Closing and opening the window again on the same data folder brings everything back."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import WindowFactory, fast_settings
from pytestqt.qtbot import QtBot

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.paths import AppPaths
from parrotchat.core.settings import load_settings


def test_restart_restores_chats_settings_and_layout(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    data = tmp_path / "portable"
    first = make_window(data_dir=data)
    first.window.resize(760, 560)  # within the offscreen platform's 800x600 screen
    first.chats.send("Remember me")
    qtbot.waitUntil(lambda: not first.chats.busy, timeout=60_000)
    chat_id = first.chats.chat_id
    first.window.controls.temperature.setValue(45)  # this chat's temperature
    qtbot.waitUntil(lambda: first.chats.chat_settings.sampling.temperature == 0.45, timeout=10_000)
    first.window.controls.save_defaults.click()
    first.window.splitter.setSizes([300, 600, 280])
    sizes = first.window.splitter.sizes()
    first.window.close()
    first.close()

    settings, warnings = load_settings(AppPaths.portable(data).settings_file)
    assert warnings == []
    assert settings.last_chat_id == chat_id
    assert settings.sampling.temperature == 0.45
    assert settings.window_geometry and settings.splitter_state

    second = make_window(data_dir=data, settings=settings)
    assert second.chats.chat_id == chat_id, "the last open chat is open again"
    assert second.window.chat_list.chat_ids() == [chat_id]
    assert second.window.chat_view.message_widgets[0].text == "Remember me"
    assert second.window.controls.temperature.value() == 45
    restored = second.window.splitter.sizes()
    assert all(abs(a - b) <= 20 for a, b in zip(restored, sizes, strict=True)), (restored, sizes)
    assert second.window.windowTitle() == "ParrotChat — Remember me"
    assert fast_settings().sampling.temperature != 0.45  # it came from the file


def test_closing_mid_reply_saves_what_was_shown(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(settings=fast_settings(max_tokens=400))
    session.chats.ignore_eos = True
    session.chats.send("Tell me a long story.")
    window = session.window
    qtbot.waitUntil(
        lambda: (w := window.chat_view.streaming_widget) is not None and len(w.text) > 20,
        timeout=30_000,
    )
    chat_id = session.chats.chat_id or 0
    window.close()
    shown = window.chat_view.message_widgets[-1].text
    session.close()
    with ChatStore(session.paths.chats_db) as store:
        reply = store.get_chat(chat_id).messages[-1]
    assert reply.content == shown and len(shown) > 20  # not a second behind
    assert reply.status == "complete" and reply.stats == {"stop_reason": "cancelled"}
