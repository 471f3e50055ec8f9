"""Chatting in the window with the real starter model: stream, stop, regenerate, edit."""

from __future__ import annotations

from gui_helpers import WindowFactory, fast_settings
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot


def test_window_title_and_empty_state(make_window: WindowFactory) -> None:
    session = make_window(wait_model=False)
    window = session.window
    assert window.windowTitle().startswith("ParrotChat")
    assert window.chat_view.message_widgets == []
    assert window.composer.send_button.text() == "Send"


def test_send_streams_reply_with_stats(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window()
    window = session.window
    chunks: list[str] = []
    session.chats.replyChunk.connect(chunks.append)
    window.composer.edit.setFocus()
    QTest.keyClicks(window.composer.edit, "Say hello to the team.")
    with qtbot.waitSignal(session.chats.replyStarted, timeout=10_000):
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    assert window.composer.send_button.text() == "Stop"
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)

    assert len(chunks) > 1, "the reply arrived in pieces"
    widgets = window.chat_view.message_widgets
    assert [w.role for w in widgets] == ["user", "assistant"]
    reply = widgets[-1]
    assert reply.text == "".join(chunks) and reply.text.strip()
    stats = reply.stats_label.text()
    assert "tokens" in stats and "tokens/s" in stats and "first token" in stats
    assert "length limit" in stats or "finished" in stats

    chat = session.store.get_chat(session.chats.chat_id or 0)
    assert [m.role for m in chat.messages] == ["user", "assistant"]
    assert chat.messages[0].content == "Say hello to the team."
    assert chat.messages[1].content == reply.text
    assert chat.messages[1].status == "complete"
    assert chat.messages[1].stats and chat.messages[1].stats["reply_tokens"] > 0
    assert window.composer.send_button.text() == "Send"
    assert window.chat_list.chat_ids() == [chat.id]
    assert window.windowTitle() == f"ParrotChat — {chat.title}"


def test_stop_keeps_partial_reply(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window(settings=fast_settings(max_tokens=400))
    session.chats.ignore_eos = True
    window = session.window
    window.composer.set_text("Tell me a long story about a parrot.")
    window.composer.send_button.click()
    qtbot.waitUntil(
        lambda: (w := window.chat_view.streaming_widget) is not None and len(w.text) > 20,
        timeout=30_000,
    )
    window.composer.send_button.click()  # Stop
    assert window.chat_view.streaming_widget is None, "streaming ends on screen at once"
    assert window.composer.send_button.text() == "Send"
    shown = window.chat_view.message_widgets[-1]
    assert "stopped by you" in shown.stats_label.text()
    message_id = shown.message_id

    def saved() -> bool:
        message = session.store.get_chat(session.chats.chat_id or 0).messages[-1]
        return message.id == message_id and "reply_tokens" in (message.stats or {})

    qtbot.waitUntil(saved, timeout=10_000)
    message = session.store.get_chat(session.chats.chat_id or 0).messages[-1]
    assert message.content == shown.text and len(message.content) > 20
    assert message.stats is not None and message.stats["stop_reason"] == "cancelled"
    assert message.stats["reply_tokens"] < 400


def test_regenerate_adds_a_version_and_the_switcher_switches(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window()
    window = session.window
    session.chats.send("Name a colour.")
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)
    first = session.store.get_chat(session.chats.chat_id or 0).messages
    last_widget = window.chat_view.message_widgets[-1]
    assert last_widget.regenerate_button.isVisibleTo(window)
    assert not last_widget.branch_switcher.isVisibleTo(last_widget)
    last_widget.regenerate_button.click()
    assert session.chats.busy
    streaming = window.chat_view.message_widgets[-1]
    assert streaming.branch_switcher.label.text() == "2/2"
    assert not streaming.branch_switcher.prev_button.isEnabled(), "no switching mid-reply"
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)

    chat_id = session.chats.chat_id or 0
    after = session.store.get_chat(chat_id).messages
    assert [m.role for m in after] == ["user", "assistant"]
    assert after[0].id == first[0].id and after[1].id != first[1].id
    assert after[1].status == "complete" and after[1].parent_id == first[0].id
    assert [w.message_id for w in window.chat_view.message_widgets] == [m.id for m in after]
    assert {m.id for m in session.store.all_messages(chat_id)} == {
        first[0].id,
        first[1].id,
        after[1].id,
    }, "the first reply is kept"

    switcher = window.chat_view.message_widgets[-1].branch_switcher
    assert switcher.prev_button.isEnabled()
    switcher.prev_button.click()
    shown = window.chat_view.message_widgets
    assert [w.message_id for w in shown] == [first[0].id, first[1].id]
    assert shown[-1].text == first[1].content
    assert shown[-1].branch_switcher.label.text() == "1/2"
    assert [m.id for m in session.store.get_chat(chat_id).messages] == [m.id for m in first]


def test_edit_and_resend_keeps_the_original(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window()
    window = session.window
    for text in ("First question", "Second question"):
        session.chats.send(text)
        qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)
    chat_id = session.chats.chat_id or 0
    original = session.store.get_chat(chat_id).messages
    assert len(original) == 4

    first_user = window.chat_view.message_widgets[0]
    first_user.edit_button.click()
    assert window.composer.text == "First question"
    assert window.composer.edit_bar.isVisibleTo(window)
    window.composer.set_text("Edited question")
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)

    messages = session.store.get_chat(chat_id).messages
    assert [(m.role, m.content if m.role == "user" else "") for m in messages] == [
        ("user", "Edited question"),
        ("assistant", ""),
    ]
    assert messages[1].content and messages[1].status == "complete"
    widgets = window.chat_view.message_widgets
    assert [w.message_id for w in widgets] == [m.id for m in messages]
    assert widgets[0].branch_switcher.label.text() == "2/2"

    widgets[0].branch_switcher.prev_button.click()  # the original, with its whole thread
    assert [w.message_id for w in window.chat_view.message_widgets] == [m.id for m in original]
    assert window.chat_view.message_widgets[0].text == "First question"


def test_translate_template_fills_the_prompt(make_window: WindowFactory) -> None:
    session = make_window(wait_model=False)
    window = session.window
    window.composer.set_text("Good morning, team.")
    assert window.template_bar.language == "ko"  # Korean first
    window.template_bar.translate_button.click()
    text = window.composer.text
    assert "Good morning, team." in text and "Korean" in text and text.startswith("Translate")
    settings = session.chats.chat_settings
    assert settings.sampling.temperature == 0.2
    assert "translator" in settings.system_prompt
    assert window.controls.temperature.value() == 20

    # Into English, from the language menu: the second click of "two clicks".
    window.composer.set_text("좋은 아침입니다.")
    english = next(a for a in window.template_bar.language_menu.actions() if a.data() == "en")
    english.trigger()
    assert "into English" in window.composer.text and "좋은 아침입니다." in window.composer.text

    # Sent, it starts a chat named after the user's text, not the instruction.
    window.composer.send_button.click()
    assert session.chats.chat_id is not None
    assert session.store.get_chat(session.chats.chat_id).title == "좋은 아침입니다."
