"""The Library tab's draft model row: a draft of another vocabulary is refused, with the
reason and nothing saved; a fitting one is saved and loaded with the chat model."""

from __future__ import annotations

from pathlib import Path

from gguf_factory import write_tiny_llama
from gui_helpers import WindowFactory
from PySide6.QtCore import QCoreApplication, Qt, QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from parrotchat.core.models.info import ModelInfo
from parrotchat.core.settings import load_settings
from parrotchat.gui.main import WindowSession
from parrotchat.gui.models.library_tab import LibraryTab

KO_QM = Path(__file__).resolve().parents[2] / "resources" / "translations" / "parrotchat_ko.qm"


def saved_drafts(path: Path) -> dict[str, str]:
    return load_settings(path)[0].draft_models if path.exists() else {}


def library_with_a_model(
    make_window: WindowFactory, qtbot: QtBot
) -> tuple[WindowSession, LibraryTab, ModelInfo]:
    """A window, its Library tab, and the first model there selected."""
    session = make_window()
    tab = session.window.open_models().library
    qtbot.waitUntil(lambda: tab.table.rowCount() >= 1, timeout=10_000)
    tab.table.selectRow(0)
    chat = tab.selected()
    assert chat is not None
    return session, tab, chat


def test_a_draft_of_another_vocabulary_is_refused_and_not_saved(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    session, tab, chat = library_with_a_model(make_window, qtbot)
    other = write_tiny_llama(tmp_path / "other-draft.gguf")
    tab.draft.pick = lambda: str(other)
    qtbot.mouseClick(tab.draft.choose_button, Qt.MouseButton.LeftButton)
    refusal = tab.draft.refusal.text()
    assert "other-draft.gguf" in refusal and "different vocabulary" in refusal
    assert "49,152" in refusal
    assert session.settings.draft_models == {}
    assert saved_drafts(session.paths.settings_file) == {}
    assert tab.draft.label.text() == "Draft model: none"

    # The chat model drafting for itself fits: kept, saved, and loaded beside it.
    tab.draft.pick = lambda: str(chat.path)
    qtbot.mouseClick(tab.draft.choose_button, Qt.MouseButton.LeftButton)
    assert tab.draft.refusal.text() == ""
    assert session.settings.draft_models == {str(chat.path): str(chat.path)}
    assert saved_drafts(session.paths.settings_file) == session.settings.draft_models
    assert tab.draft.label.text() == f"Draft model: {chat.path.name}"
    qtbot.waitUntil(
        lambda: (session.engine.loaded or {}).get("draft") == str(chat.path), timeout=60_000
    )
    qtbot.mouseClick(tab.draft.clear_button, Qt.MouseButton.LeftButton)
    assert session.settings.draft_models == {}
    qtbot.waitUntil(
        lambda: session.engine.loaded is not None and session.engine.loaded.get("draft") is None,
        timeout=60_000,
    )


def test_the_refusal_is_in_korean(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path, qapp: QApplication
) -> None:
    # This checkout's translation: an editable install may map parrotchat.resources
    # (what install_translators reads) to another checkout.
    translator = QTranslator()
    assert translator.load(str(KO_QM))
    qapp.installTranslator(translator)
    try:
        session, tab, chat = library_with_a_model(make_window, qtbot)
        other = write_tiny_llama(tmp_path / "other-draft.gguf")
        assert not tab.draft.use(chat, str(other))
        assert tab.draft.refusal.text() == (
            "초안 모델로 쓰지 않습니다: other-draft.gguf의 어휘가 다릅니다: "
            "토큰 266개, 대화 모델은 49,152개"
        )
        assert tab.draft.label.text() == "초안 모델: 없음"
        assert session.settings.draft_models == {}
    finally:
        QCoreApplication.removeTranslator(translator)
