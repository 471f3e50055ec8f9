"""The engine process killed mid-reply: the window stays, the partial reply stays, Retry works."""

from __future__ import annotations

import pytest
from gui_helpers import WindowFactory, fast_settings
from pytestqt.qtbot import QtBot


@pytest.mark.timeout(600)
def test_engine_killed_mid_reply(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(settings=fast_settings(max_tokens=400))
    session.chats.ignore_eos = True
    window = session.window
    session.chats.send("Tell me a long story.")
    qtbot.waitUntil(
        lambda: (w := window.chat_view.streaming_widget) is not None and len(w.text) > 10,
        timeout=30_000,
    )
    with qtbot.waitSignal(session.engine.engineCrashed, timeout=10_000):
        session.engine.client.kill()

    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    assert window.isVisible()
    assert "engine" in window.banner.title_label.text().lower()
    assert "killed" in window.banner.detail_label.text()
    assert window.banner.retry_button.isVisibleTo(window)
    assert window.composer.send_button.text() == "Send"

    partial = window.chat_view.message_widgets[-1]
    assert partial.text and "Interrupted" in partial.stats_label.text()
    stored = session.store.get_chat(session.chats.chat_id or 0).messages[-1]
    assert stored.status == "interrupted"
    assert stored.content == partial.text, "the partial reply is kept in the store"
    assert stored.stats is not None and "killed" in stored.stats["reason"]

    # A fresh engine was started and the model is loading again; Retry redoes the reply.
    session.chats.ignore_eos = False
    window.banner.retry_button.click()
    assert not window.banner.isVisible()
    qtbot.waitUntil(lambda: session.engine.loaded is not None, timeout=60_000)
    # Up to 400 tokens: seconds when idle, minutes on a 2-core machine busy with other work.
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=240_000)
    messages = session.store.get_chat(session.chats.chat_id or 0).messages
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[-1].status == "complete" and messages[-1].content
    assert window.chat_view.message_widgets[-1].text == messages[-1].content
