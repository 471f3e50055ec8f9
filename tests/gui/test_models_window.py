"""The Models window: library, import, remove, hub search and download, offline.

Against the real loopback hub (tests/hub_server.py) serving the starter model, with
real widgets offscreen and the real engine. Screenshots go to tests/screenshots.py's folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gguf_factory import write_bad_magic, write_tiny_llama, write_truncated
from gui_helpers import WindowFactory, fast_settings
from hub_server import STARTER_NAME, STARTER_REPO, HubServer, add_starter_repo, socket_guard
from PySide6.QtCore import QCoreApplication, QMimeData, QObject, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from screenshots import shots_dir

from parrotchat.gui.i18n import install_translators

SHOTS = shots_dir()


def _shot(widget: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / name))  # type: ignore[attr-defined]


@pytest.fixture
def hub(starter_model: Path) -> Iterator[HubServer]:
    with HubServer() as server:
        add_starter_repo(server, starter_model)
        yield server


def test_library_lists_models_with_details(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window()
    dialog = session.window.open_models()
    tab = dialog.library
    qtbot.waitUntil(lambda: tab.table.rowCount() >= 1, timeout=10_000)
    row = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert row[1] == "llama" and row[3] == "Q4_1" and row[4] == "8,192"
    assert row[6] in ("fits", "partly on GPU", "too large")
    assert row[8] == "starter"
    tab.table.selectRow(0)
    assert not tab.remove_button.isEnabled(), "the starter model cannot be removed"
    tab.make_default()
    assert session.settings.default_model == session.models.models[0].name
    assert "(default)" in tab.table.item(0, 0).text()
    assert session.paths.settings_file.exists(), "set as default is saved at once"
    _shot(dialog, "library_tab.png")


def test_import_bad_file_names_it_and_adds_nothing(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    session = make_window()
    tab = session.window.open_models().library
    (tmp_path / "usb").mkdir()
    bad = write_bad_magic(tmp_path / "usb" / "broken-model.gguf")
    tab.ask_copy = lambda path: True
    before = sorted(session.paths.models_dir.rglob("*"))
    tab.import_path(str(bad))
    qtbot.waitUntil(lambda: tab.import_button.isEnabled(), timeout=10_000)
    assert "broken-model.gguf" in tab.message.text()
    assert "GGUF" in tab.message.text()  # the reason: not a GGUF file
    assert sorted(session.paths.models_dir.rglob("*")) == before
    assert all(m.path != bad for m in session.models.models)


def test_import_copy_then_remove(
    make_window: WindowFactory, qtbot: QtBot, tiny_model: Path
) -> None:
    session = make_window()
    tab = session.window.open_models().library
    tab.ask_copy = lambda path: True
    tab.import_path(str(tiny_model))
    qtbot.waitUntil(
        lambda: any(m.source == "library" for m in session.models.models), timeout=20_000
    )
    qtbot.waitUntil(lambda: tab.table.rowCount() == len(session.models.models), timeout=5_000)
    imported = next(m for m in session.models.models if m.source == "library")
    assert (session.paths.models_dir / tiny_model.name).exists()
    tab.select(imported.path.name)
    assert tab.remove_button.isEnabled()
    asked: list[str] = []
    tab.confirm = lambda title, text: asked.append(text) or True
    tab.remove_selected()
    qtbot.waitUntil(
        lambda: all(m.source != "library" for m in session.models.models), timeout=20_000
    )
    assert "frees" in asked[0] and imported.display_name in asked[0]
    assert not (session.paths.models_dir / tiny_model.name).exists()
    assert "freed" in tab.message.text()


def test_benchmark_button_shows_figures(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window()
    dialog = session.window.open_models()
    dialog.show_tab("library")  # Recommended comes first
    tab = dialog.library
    qtbot.waitUntil(lambda: tab.table.rowCount() >= 1, timeout=10_000)
    tab.table.selectRow(0)
    assert tab.bench_button.isVisible() and tab.bench_button.isEnabled()
    tab.bench_button.click()
    assert not tab.bench_button.isEnabled()
    qtbot.waitUntil(lambda: "peak memory" in tab.bench_result.text(), timeout=120_000)
    text = tab.bench_result.text()
    for words in ("loaded in", "prompt", "reply", "tokens/s", "first token", "MB"):
        assert words in text
    assert tab.bench_button.isEnabled()
    _shot(tab.window(), "library_benchmark.png")


def test_offline_makes_no_connection_and_says_why(make_window: WindowFactory, qtbot: QtBot) -> None:
    settings = fast_settings()
    settings.offline = True
    settings.hub_endpoint = "http://127.0.0.1:9"  # would be refused if ever tried
    session = make_window(settings=settings)
    with socket_guard() as attempts:
        dialog = session.window.open_models()
        tab = dialog.download
        dialog.tabs.setCurrentWidget(tab)
        tab.query.setText("qwen")
        tab.search()
        tab.search_button.click()
        qtbot.wait(200)
    assert attempts == []
    assert tab.offline_label.isVisible()
    assert "offline" in tab.offline_label.text()
    assert not tab.search_button.isEnabled()


def test_search_download_then_chat_with_it(
    make_window: WindowFactory, qtbot: QtBot, hub: HubServer
) -> None:
    settings = fast_settings()
    settings.hub_endpoint = hub.url
    session = make_window(settings=settings)
    dialog = session.window.open_models()
    tab = dialog.download
    dialog.tabs.setCurrentWidget(tab)
    assert not tab.offline_label.isVisible()
    tab.query.setText("SmolLM2")
    tab.search_button.click()
    qtbot.waitUntil(lambda: tab.results.count() == 1, timeout=20_000)
    tab.results.setCurrentRow(0)
    qtbot.waitUntil(lambda: tab.files.rowCount() == 1, timeout=20_000)
    fit = tab.chosen_fit()
    assert fit is not None and fit.choice.name == STARTER_NAME, "pre-selected"
    assert tab.files.item(0, 1).text() == "Q4_1"

    hub.rate = 40e6  # a real link's pace, so the screenshot catches it mid-way
    tab.download_selected()
    qtbot.waitUntil(lambda: "left" in tab.downloads.item(0, 2).text(), timeout=20_000)
    _shot(dialog, "download_tab_mid_download.png")
    qtbot.waitUntil(lambda: "library" in tab.downloads.item(0, 2).text(), timeout=60_000)
    hub.rate = None

    # The library and the model picker list it without a restart.
    downloaded = session.paths.models_dir / STARTER_NAME
    qtbot.waitUntil(
        lambda: any(m.path == downloaded for m in session.models.models), timeout=20_000
    )
    model = next(m for m in session.models.models if m.path == downloaded)
    picker = session.window.model_picker
    assert any(model.display_name in picker.combo.itemText(i) for i in range(picker.combo.count()))
    assert tab.status.text() == STARTER_REPO

    # Click it in the library → loaded → first token: the issue-4 figure.
    dialog.library.select(str(model.path))
    chunks: list[str] = []
    session.chats.replyChunk.connect(chunks.append)
    began = time.perf_counter()
    assert dialog.library.selected() == model
    dialog.library.use_button.click()
    qtbot.waitUntil(
        lambda: (
            session.engine.loaded is not None
            and session.models.current is not None
            and session.models.current.path == downloaded
        ),
        timeout=60_000,
    )
    loaded_s = time.perf_counter() - began
    session.window.composer.set_text("Say hello.")
    session.window.composer.send_button.click()
    qtbot.waitUntil(lambda: bool(chunks), timeout=60_000)
    first_token_s = time.perf_counter() - began
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)
    assert "".join(chunks).strip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "library_click_to_first_token.json").write_text(
        json.dumps({"loaded_s": loaded_s, "first_token_s": first_token_s})
    )


def test_download_paused_by_closing_resumes_in_the_next_window(
    make_window: WindowFactory, qtbot: QtBot, hub: HubServer, tmp_path: Path
) -> None:
    settings = fast_settings()
    settings.hub_endpoint = hub.url
    first = make_window(data_dir=tmp_path / "app", settings=settings)
    tab = first.window.open_models().download
    tab.query.setText("SmolLM2")
    tab.search()
    qtbot.waitUntil(lambda: tab.results.count() == 1, timeout=20_000)
    tab.results.setCurrentRow(0)
    qtbot.waitUntil(lambda: tab.chosen_fit() is not None, timeout=20_000)
    hub.rate = 20e6
    tab.download_selected()
    qtbot.waitUntil(lambda: "left" in tab.downloads.item(0, 2).text(), timeout=20_000)
    first.close()  # the app quits mid-download: the .part stays
    hub.rate = None
    assert not (first.paths.models_dir / STARTER_NAME).exists()

    second = make_window(data_dir=tmp_path / "app", settings=settings)
    again = second.window.open_models().download
    assert again.downloads.rowCount() == 1
    assert "earlier run" in again.downloads.item(0, 2).text()
    again.resume_button.click()
    qtbot.waitUntil(lambda: "library" in again.downloads.item(0, 2).text(), timeout=60_000)
    assert (second.paths.models_dir / STARTER_NAME).exists()
    sent = hub.bytes_sent[STARTER_NAME]
    assert sent < 1.1 * (second.paths.models_dir / STARTER_NAME).stat().st_size, "resumed"


def test_korean_models_window(
    make_window: WindowFactory, qtbot: QtBot, qapp: object, hub: HubServer
) -> None:
    translators = install_translators(qapp, "ko")  # type: ignore[arg-type]
    try:
        settings = fast_settings()
        settings.hub_endpoint = hub.url
        session = make_window(settings=settings)
        dialog = session.window.open_models()
        assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.library)) == "라이브러리"
        dialog.show_tab("library")
        qtbot.waitUntil(lambda: dialog.library.table.rowCount() >= 1, timeout=10_000)
        _shot(dialog, "korean_library_tab.png")
        dialog.tabs.setCurrentWidget(dialog.download)
        _shot(dialog, "korean_download_tab.png")
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)


def test_token_from_the_network_box_reaches_the_mirror_only(
    make_window: WindowFactory, qtbot: QtBot, hub: HubServer
) -> None:
    settings = fast_settings()
    settings.hub_endpoint = hub.url
    session = make_window(settings=settings)
    dialog = session.window.open_models()
    tab = dialog.download
    dialog.tabs.setCurrentWidget(tab)
    box = tab.network
    assert box.token.echoMode() == box.token.EchoMode.Password, "a token is never shown"
    box.token.setText("  hf_internal_mirror_token ")
    box.save_button.click()
    assert session.settings.hub_token == "hf_internal_mirror_token"
    tab.query.setText("SmolLM2")
    tab.search_button.click()
    qtbot.waitUntil(lambda: tab.results.count() == 1, timeout=20_000)
    sent = [r.headers.get("authorization") for r in hub.requests]
    assert sent and all(h == "Bearer hf_internal_mirror_token" for h in sent), sent

    box.token.clear()
    box.save_button.click()
    assert session.settings.hub_token is None
    before = len(hub.requests)
    tab.search_button.click()
    qtbot.waitUntil(lambda: len(hub.requests) > before, timeout=20_000)
    qtbot.waitUntil(lambda: tab.results.count() == 1, timeout=20_000)
    assert all("authorization" not in r.headers for r in hub.requests[before:])


def _drop(target: QWidget, files: list[Path]) -> tuple[bool, bool]:
    """Drag `files` over `target` and drop them, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    point = QPointF(target.rect().center())
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        point.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(
        point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_a_gguf_imports_it_in_place_and_other_files_are_refused(
    make_window: WindowFactory, qtbot: QtBot, tiny_model: Path, tmp_path: Path
) -> None:
    session = make_window()
    tab = session.window.open_models().library
    asked: list[str] = []
    tab.ask_copy = lambda path: asked.append(path) or False  # "Use in place"

    notes = tmp_path / "notes.txt"
    notes.write_text("not a model")
    entered, dropped = _drop(tab, [notes])
    assert not entered and not dropped and asked == []

    entered, dropped = _drop(tab, [tiny_model])
    assert entered and dropped and asked == [str(tiny_model)]
    qtbot.waitUntil(
        lambda: any(m.path == tiny_model for m in session.models.models), timeout=20_000
    )
    model = next(m for m in session.models.models if m.path == tiny_model)
    assert model.source == "external", "used where it is, not copied"
    assert not (session.paths.models_dir / tiny_model.name).exists()


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_show_in_folder_opens_the_models_folder(make_window: WindowFactory, qtbot: QtBot) -> None:
    session = make_window()
    tab = session.window.open_models().library
    catcher = _UrlCatcher()
    # The desktop's file manager is replaced by a handler for file: URLs.
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        model = session.models.current
        assert model is not None
        tab.select(model.path.name)
        assert tab.reveal_button.isEnabled()
        tab.reveal_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in catcher.urls] == [str(model.path.parent)]


def test_a_truncated_file_in_the_models_folder_is_listed_greyed_with_its_reason(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    models_dir = tmp_path / "app" / "data" / "models"
    models_dir.mkdir(parents=True)
    write_truncated(write_tiny_llama(tmp_path / "whole.gguf"), models_dir / "half.gguf", 0.5)
    session = make_window(data_dir=tmp_path / "app")
    dialog = session.window.open_models()
    dialog.show_tab("library")
    tab = dialog.library
    qtbot.waitUntil(lambda: tab.table.rowCount() == len(session.models.models) + 1, timeout=10_000)
    last = tab.table.rowCount() - 1
    name, why = tab.table.item(last, 0), tab.table.item(last, 1)
    assert name.text() == "half.gguf" and "damaged or incomplete" in why.text()
    assert "truncated" in why.toolTip()  # the technical reason stays at hand
    assert not name.flags() & Qt.ItemFlag.ItemIsEnabled, "greyed"
    tab.table.selectRow(last)
    assert tab.selected() is None and not tab.use_button.isEnabled()
    _shot(dialog, "library_truncated_file.png")


def test_an_import_error_keeps_the_drop_hint_and_is_gone_after_reopening(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    session = make_window()
    dialog = session.window.open_models()
    dialog.show_tab("library")
    tab = dialog.library
    tab.ask_copy = lambda path: True
    tab.import_path(str(write_bad_magic(tmp_path / "broken.gguf")))
    qtbot.waitUntil(lambda: tab.import_button.isEnabled(), timeout=10_000)
    assert "broken.gguf" in tab.message.text() and "GGUF" in tab.message.text()
    assert tab.drop_hint.isVisible() and "Drop .gguf" in tab.drop_hint.text()
    dialog.close()
    session.window.open_models()
    assert tab.message.text() == "" and tab.drop_hint.isVisible()
