"""Serving the window's model: the real OpenAI client and a window chat, one engine."""

from __future__ import annotations

import multiprocessing
import socket
import threading

import openai
from gui_helpers import WindowFactory
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from screenshots import shots_dir

from parrotchat.engine.shared import SharedEngine

KEY = "test-key-0123456789abcdef"
SHOTS = shots_dir()


def _engine_processes() -> int:
    return sum(1 for p in multiprocessing.active_children() if p.name == "parrotchat-engine")


def _port_refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_api_and_window_chat_share_one_engine(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window()
    window = session.window
    server = window.server
    server.port = 0  # any free port: the default may be taken on a shared machine
    server.api_key = KEY
    processes = _engine_processes()
    assert processes == 1, [(p.name, p.pid) for p in multiprocessing.active_children()]

    window.actions_.serve.setChecked(True)
    assert server.serving and server.address is not None
    assert isinstance(session.engine.client, SharedEngine)
    panel = window.serve_panel
    assert panel.isVisible()
    assert server.address.startswith("http://127.0.0.1:") and server.address.endswith("/v1")
    assert server.address in panel.address_label.text()
    assert panel.key_field.echoMode() == panel.key_field.EchoMode.Password
    panel.reveal_button.click()
    assert panel.key_field.text() == KEY
    assert panel.key_field.echoMode() == panel.key_field.EchoMode.Normal

    replies: list[str] = []
    errors: list[BaseException] = []

    def call_api() -> None:
        try:
            client = openai.OpenAI(base_url=server.address, api_key=KEY, max_retries=0)
            model = client.models.list().data[0].id
            answer = client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": "Say hello."}],
                max_tokens=16,
                timeout=120,
            )
            replies.append(answer.choices[0].message.content or "")
        except BaseException as exc:  # reported by the test's thread below
            errors.append(exc)

    chats_before = len(session.store.list_chats())
    api = threading.Thread(target=call_api)
    api.start()
    # The window chats at the same time: both go through the one queue.
    window.composer.edit.setFocus()
    QTest.keyClicks(window.composer.edit, "Say hello to the team.")
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not api.is_alive() and not session.chats.busy, timeout=120_000)
    api.join()

    assert not errors, errors
    assert replies and replies[0].strip()
    assert window.chat_view.message_widgets[-1].text.strip(), "the window's reply came too"
    assert _engine_processes() == 1, "the API used the window's engine, not a second one"
    qtbot.waitUntil(lambda: "1 answered, 0 in progress" in panel.counts_label.text(), timeout=5000)
    # The API's request is not a chat; the window's message made at most one.
    assert len(session.store.list_chats()) <= chats_before + 1

    SHOTS.mkdir(parents=True, exist_ok=True)
    window.resize(1400, window.height())  # room for the whole status bar
    qtbot.waitUntil(lambda: panel.width() >= panel.sizeHint().width(), timeout=5000)
    assert window.statusBar().grab().save(str(SHOTS / "serve_panel.png"))

    port = int(server.address.rsplit(":", 1)[1].split("/", 1)[0])
    window.actions_.serve.setChecked(False)
    assert not server.serving and not panel.isVisible()
    assert _port_refuses(port)
    qtbot.waitUntil(lambda: not isinstance(session.engine.client, SharedEngine), timeout=5000)

    # The window still chats after the server stopped.
    QTest.keyClicks(window.composer.edit, "And once more.")
    with qtbot.waitSignal(session.chats.replyStarted, timeout=10_000):
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)
    assert window.chat_view.message_widgets[-1].text.strip()


def test_a_port_in_use_is_one_clear_line(make_window: WindowFactory) -> None:
    session = make_window()
    window = session.window
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        window.server.port = taken.getsockname()[1]
        window.actions_.serve.setChecked(True)
    assert not window.server.serving
    assert not window.actions_.serve.isChecked()
    assert not isinstance(session.engine.client, SharedEngine), "nothing left shared"
    assert window.banner.isVisible()
    assert "already in use" in window.banner.detail_label.text()


def test_loading_another_model_stops_serving(make_window: WindowFactory) -> None:
    session = make_window()
    window = session.window
    window.server.port = 0
    window.actions_.serve.setChecked(True)
    assert window.server.serving
    # What the engine controller says when the window starts loading a model.
    session.engine.loadStarted.emit("another.gguf")
    assert not window.server.serving
    assert not window.actions_.serve.isChecked()
    assert "another model" in window.statusBar().currentMessage()
