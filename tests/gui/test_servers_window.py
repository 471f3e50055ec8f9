"""A saved server in the window, end to end, against a real OpenAI-compatible server.

llama-cpp-python's own server on the starter model, on 127.0.0.1 (the
`llama_cpp_server` fixture): add it in the Servers tab, test the connection, pick
its model in the grouped picker, chat, Stop, then go back to the local starter
model and chat again, all without a restart. Screenshots go under the test's tmp dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import WindowFactory, fast_settings
from llama_cpp_server import TEST_API_KEY, LlamaCppServer
from PySide6.QtWidgets import QListView
from pytestqt.qtbot import QtBot

from parrotchat.gui.main import WindowSession
from parrotchat.gui.models.remote_models import RemoteChoice
from parrotchat.gui.models.servers_tab import ServersTab


@pytest.fixture(autouse=True)
def no_credential_store() -> Iterator[None]:
    """These tests check the owner-only file that keys go to where no OS credential store
    is usable. Whether keyring finds one depends on the process (a desktop session, an
    earlier test in the same run), so the test says which it means."""
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def _send(session: WindowSession, qtbot: QtBot, text: str) -> list[str]:
    chunks: list[str] = []
    session.chats.replyChunk.connect(chunks.append)
    session.window.composer.set_text(text)
    session.window.composer.send_button.click()
    qtbot.waitUntil(lambda: bool(chunks), timeout=60_000)
    return chunks


def _add_server(tab: ServersTab, qtbot: QtBot, url: str) -> None:
    tab.name.setText("gpu-box")
    tab.url.setText(url)
    tab.api_key.setText(TEST_API_KEY)
    tab.test_button.click()
    qtbot.waitUntil(lambda: tab.test_button.isEnabled(), timeout=30_000)
    assert "Connected to gpu-box in" in tab.message.text()
    assert "llama-cpp-python" in tab.message.text() and "smollm2" in tab.message.text()
    tab.add_button.click()
    assert tab.list.count() == 1
    # This machine has no credential store: the key goes to the owner-only file, and says so.
    assert "readable by you only" in tab.list.item(0).text()
    assert TEST_API_KEY not in tab.list.item(0).text() and tab.api_key.text() == ""


def test_add_a_server_pick_its_model_chat_stop_and_go_back_to_local(
    make_window: WindowFactory,
    qtbot: QtBot,
    tmp_path: Path,
    llama_cpp_server: LlamaCppServer,
) -> None:
    session = make_window(settings=fast_settings(max_tokens=400))
    local = session.models.current
    assert local is not None
    dialog = session.window.open_models()
    assert dialog.servers is not None
    dialog.tabs.setCurrentWidget(dialog.servers)
    _add_server(dialog.servers, qtbot, llama_cpp_server.url)
    dialog.servers.list.setCurrentRow(0)
    dialog.servers.url.clear()  # with no URL typed, Test connection tests the chosen server
    dialog.servers.test_button.click()
    qtbot.waitUntil(lambda: dialog.servers.test_button.isEnabled(), timeout=30_000)
    assert "Connected to gpu-box" in dialog.servers.message.text()
    dialog.grab().save(str(tmp_path / "servers_tab.png"))
    dialog.hide()

    # The picker lists the server's model under its own header, listed on a worker thread.
    picker = session.window.model_picker
    qtbot.waitUntil(lambda: any("smollm2" in t for t, _ in picker.entries()), timeout=30_000)
    rows = picker.entries()
    assert rows[0] == ("On this computer", False)
    assert ("On gpu-box", False) in rows
    remote_row = next(i for i, (t, _) in enumerate(rows) if t.strip() == "smollm2")
    assert rows[remote_row][1], "a server's model can be chosen"
    # The drop-down as a list (a real popup asks the offscreen platform for a keyboard grab).
    listing = QListView()
    qtbot.addWidget(listing)
    listing.setModel(picker.combo.model())
    listing.resize(520, 22 * len(rows) + 8)
    listing.grab().save(str(tmp_path / "picker_grouped.png"))
    picker.grab().save(str(tmp_path / "picker_bar.png"))

    # Pick it: the engine switches to the server, no restart.
    picker.combo.activated.emit(remote_row)
    qtbot.waitUntil(
        lambda: session.engine.loaded is not None and session.engine.loaded.get("remote") is True,
        timeout=30_000,
    )
    assert session.models.remote == RemoteChoice("gpu-box", "smollm2", None)
    assert picker.details.text().endswith("llama-cpp-python")

    chunks = _send(session, qtbot, "Tell me a long story about a parrot.")
    qtbot.waitUntil(lambda: len(chunks) >= 3, timeout=60_000)
    session.window.composer.send_button.click()  # Stop
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=5_000)
    chat_id = session.chats.chat_id
    assert chat_id is not None
    # What was on screen is saved at once; the server's confirmation closes the reply.
    shown = session.store.get_chat_tail(chat_id, 10).messages[-1]
    assert shown.content.strip() and shown.content in "".join(chunks)
    qtbot.waitUntil(
        lambda: session.store.get_chat_tail(chat_id, 10).messages[-1].status != "streaming",
        timeout=10_000,
    )
    reply = session.store.get_chat_tail(chat_id, 10).messages[-1]
    assert reply.model == "smollm2 on gpu-box" and reply.status == "complete"
    assert reply.content.strip() and reply.content in "".join(chunks)
    session.window.grab().save(str(tmp_path / "window_remote_reply.png"))

    # Back to the local starter: its engine kept the model loaded, so no reload is needed.
    local_row = next(i for i, (t, _) in enumerate(picker.entries()) if local.display_name in t)
    picker.combo.activated.emit(local_row)
    qtbot.waitUntil(
        lambda: session.engine.loaded is not None and not session.engine.loaded.get("remote"),
        timeout=60_000,
    )
    assert session.models.remote is None and session.models.current == local
    assert session.engine.server is None
    chunks = _send(session, qtbot, "Say hello.")
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)
    assert "".join(chunks).strip()
    reply = session.store.get_chat_tail(chat_id, 10).messages[-1]
    assert reply.model == local.display_name and reply.status == "complete"


def test_a_server_that_does_not_answer_is_one_grey_line(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    from llama_cpp_server import free_port

    session = make_window()
    assert session.models.servers is not None
    from parrotchat.core.servers import ServerConfig

    session.models.servers.save(ServerConfig("down-box", f"http://127.0.0.1:{free_port()}"))
    session.models.list_servers()
    picker = session.window.model_picker
    qtbot.waitUntil(lambda: ("On down-box", False) in picker.entries(), timeout=30_000)
    line = next(t for t, _ in picker.entries() if "Not available" in t)
    assert "refused the connection" in line
    assert not any(ok for t, ok in picker.entries() if "Not available" in t)
    # The local models are still there and still chosen.
    assert session.models.current is not None
    assert any(session.models.current.display_name in t and ok for t, ok in picker.entries())


def test_servers_tab_speaks_korean(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from parrotchat.core.servers import ServerConfig, ServerStore
    from parrotchat.gui.i18n import install_translators

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    translators = install_translators(app, "ko")
    try:
        store = ServerStore(tmp_path / "servers.json")
        store.save(ServerConfig("gpu-box", "http://gpu-box:8080"), "secret")
        tab = ServersTab(store)
        qtbot.addWidget(tab)
        tab.resize(760, 420)
        assert tab.test_button.text() == "연결 테스트"
        assert "본인만 읽기 가능" in tab.list.item(0).text()
        tab.grab().save(str(tmp_path / "servers_tab_ko.png"))
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
