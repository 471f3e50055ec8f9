"""The Korean window says everything in Korean, runtime messages included.

Messages from below the window (broken model files, the engine dying, the offline
switch, loading and streaming in the status bar) come in English from core and
engine; the window must show them in Korean, with only names left in Latin letters.
The real window is driven through each of them and every visible text is read.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from gguf_factory import write_tiny_llama, write_truncated
from gui_helpers import WindowFactory, fast_settings
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.core.hub.config import OFFLINE_MESSAGE
from parrotchat.core.paths import AppPaths
from parrotchat.core.settings import load_settings
from parrotchat.gui.chat.message_widget import MessageWidget
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.fitted_text import FittedTextView
from parrotchat.gui.i18n import install_translators
from parrotchat.gui.main import WindowSession
from parrotchat.gui.runtime_messages import Shown, localize

# Latin-letter words a Korean window may show: names, not English.
NAMES = {"ParrotChat", "English", "Markdown", "Python", "Top P", "Top K", "Min P"}
# Model families (search examples) and what a model file names itself (architecture,
# chat format): identifiers, not words.
MODEL_FAMILIES = {"qwen", "exaone", "gemma", "llama", "chatml"}
KEYS = {"Enter", "Shift", "Ctrl", "Esc"}  # key names, as printed on the keys
_TAG = re.compile(r"<[^>]+>")


def english_words(text: str) -> list[str]:
    """Words of two or more Latin letters that are not names. Kept: file and model
    names, paths and addresses (a dot, dash, slash, digit or underscore in the
    token), acronyms (GGUF, CPU, SIGKILL), a quoted key (a setting's name in its file),
    and the names above."""
    text = html.unescape(_TAG.sub(" ", text))
    text = re.sub(r"“[A-Za-z_]\w*”", " ", text)  # a quoted key: "설정 “threads”"
    for name in NAMES | KEYS | MODEL_FAMILIES:
        text = text.replace(name, " ")
    found = []
    for token in text.split():
        named = token.strip("()[]{}“”\"'‘’,;:!?…·—→")
        core = named.strip(".")
        if re.search(r"\w\.\w|^\.\w|[/\\\-_0-9@%+]", named) or core.isupper():
            continue
        if re.search(r"[A-Za-z]{2,}", core):
            found.append(core)
    return found


def visible_texts(root: QWidget, skip: tuple[type[QWidget], ...] = ()) -> list[tuple[str, str]]:
    """(what, text) for every text a person sees in `root` now."""
    texts: list[tuple[str, str]] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or isinstance(w, skip):
            continue
        name = type(w).__name__
        if isinstance(w, (QLabel, QAbstractButton)):
            texts.append((name, w.text()))
        elif isinstance(w, QGroupBox):
            texts.append((name, w.title()))
        elif isinstance(w, QComboBox):
            texts.append((name, w.currentText()))
        elif isinstance(w, QLineEdit):
            texts.append((name, w.text() or w.placeholderText()))
        elif isinstance(w, (QTextEdit, QPlainTextEdit)) and not isinstance(w, FittedTextView):
            texts.append((name, w.toPlainText() or w.placeholderText()))
        elif isinstance(w, QProgressBar) and w.isTextVisible():
            texts.append((name, w.text()))
        elif isinstance(w, QTabWidget):
            texts += [(name, w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            for column in range(w.columnCount()):
                item = w.horizontalHeaderItem(column)
                texts.append((name, item.text() if item else ""))
                for row in range(w.rowCount()):
                    cell = w.item(row, column)
                    texts.append((name, cell.text() if cell else ""))
        if isinstance(w, QMainWindow):
            texts.append(("status bar", w.statusBar().currentMessage()))
            for menu in w.menuBar().findChildren(QMenu):
                texts += [("menu", a.text()) for a in menu.actions()]
    return [(what, text) for what, text in texts if text]


def english_in(root: QWidget, skip: tuple[type[QWidget], ...] = ()) -> list[tuple[str, str]]:
    return [(what, text) for what, text in visible_texts(root, skip) if english_words(text)]


def test_english_words_finds_english_and_keeps_names() -> None:
    assert english_words("엔진 프로세스가 강제로 종료되었습니다(SIGKILL).") == []
    assert english_words("broken.gguf: GGUF 모델 파일이 아닙니다") == []
    assert english_words("SmolLM2-135M-Instruct — Q4_1, 98.4 MB") == []
    assert english_words("<b>ParrotChat</b>에서 Top P 값") == []
    assert english_words("Hub features are unavailable. 허브") == ["Hub", "features", "are",
                                                                  "unavailable"]  # fmt: skip
    assert english_words("⚠ 중단됨: The engine process was killed") != []


def test_english_window_keeps_the_engine_words_and_names_the_real_place(
    qapp: QApplication,
) -> None:
    crash = "The engine process exited with code 3."
    assert localize(crash) == Shown(crash, None)  # English UI: as the engine said it
    odd = "Something nobody foresaw happened to the disk"
    assert localize(odd) == Shown(odd, None)  # no note in English: the words are shown
    offline = localize(OFFLINE_MESSAGE)
    assert "Settings" not in offline.text and "Network" in offline.text
    assert offline.original == OFFLINE_MESSAGE
    broken = localize("/data/models/half.gguf: truncated: the file ended at byte 1,024")
    assert broken.text == "half.gguf: the file is damaged or incomplete; download it again."
    assert broken.original is not None and "/data/models/half.gguf" in broken.original


def test_korean_keeps_names_and_numbers_and_notes_unknown_english(korean: None) -> None:
    assert localize("The engine process exited with code 3.").text == (
        "엔진 프로세스가 코드 3(으)로 끝났습니다."
    )
    loaded = localize("Model big.gguf could not be loaded: failed to allocate buffer")
    assert loaded.text.startswith("모델 big.gguf을(를) 불러올 수 없습니다")
    assert "failed" not in loaded.text and "(자세한 내용은 영어로만" in loaded.text
    assert loaded.original is not None and "failed to allocate buffer" in loaded.original


class _Seen:
    """Every message the status bar showed, not only the last."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, text: str) -> None:
        if text:
            self.messages.append(text)


@pytest.fixture
def korean(qapp: QApplication) -> Iterator[None]:
    translators = install_translators(qapp, "ko")
    assert translators, "parrotchat_ko.qm did not load"
    yield
    for translator in translators:
        QCoreApplication.removeTranslator(translator)


CONTENT = (FittedTextView,)  # the chat's own text (the user's and the model's words)


def _no_english(where: str, root: QWidget, seen: _Seen) -> None:
    found = english_in(root, CONTENT)
    found += [("status bar (earlier)", m) for m in seen.messages if english_words(m)]
    assert found == [], f"English in the Korean window ({where}): {found}"


def _models_folder_with_broken_files(app_dir: Path, tmp_path: Path) -> None:
    models = app_dir / "data" / "models"
    models.mkdir(parents=True)
    (models / "not-a-model.gguf").write_bytes(b"PK\x03\x04" + bytes(4096))  # a ZIP, renamed
    write_truncated(write_tiny_llama(tmp_path / "whole.gguf"), models / "half.gguf", 0.5)


@pytest.mark.timeout(600)
def test_korean_window_has_no_english_at_runtime(
    korean: None, make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    app_dir = tmp_path / "app"
    _models_folder_with_broken_files(app_dir, tmp_path)
    settings = fast_settings(max_tokens=400)
    settings.context_length = 1536  # not what the shared engine holds: a real load
    settings.offline = True
    session = make_window(data_dir=app_dir, settings=settings, wait_model=False, ui_lang="ko")
    window = session.window
    seen = _Seen()
    window.statusBar().messageChanged.connect(seen.add)

    # Loading: the model picker's progress and the status bar, while the scan reports
    # the two broken files.
    picker = window.model_picker
    qtbot.waitUntil(picker.progress.isVisible, timeout=30_000)
    _no_english("loading", window, seen)
    qtbot.waitUntil(lambda: session.engine.loaded is not None, timeout=60_000)
    broken = [m for m in seen.messages if "not-a-model.gguf" in m or "half.gguf" in m]
    assert len(broken) == 2, seen.messages
    assert any("GGUF 모델 파일이 아닙니다" in m for m in broken), broken
    assert any("손상" in m for m in broken), broken  # the truncated one: damaged
    assert "SIGKILL" not in window.statusBar().toolTip()
    _no_english("after loading", window, seen)
    save_shot(window, "runtime_loaded_ko.png")

    # Streaming, then the engine dies mid-reply.
    session.chats.ignore_eos = True
    session.chats.send("Tell me a long story.")
    qtbot.waitUntil(
        lambda: (w := window.chat_view.streaming_widget) is not None and len(w.text) > 10,
        timeout=60_000,
    )
    _no_english("streaming", window, seen)
    with qtbot.waitSignal(session.engine.engineCrashed, timeout=10_000):
        session.engine.client.kill()
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    detail = window.banner.detail_label
    assert "강제로 종료" in detail.text() and "SIGKILL" in detail.text()
    assert "killed" in detail.toolTip()  # the engine's own words, for whoever debugs it
    partial = window.chat_view.message_widgets[-1]
    assert isinstance(partial, MessageWidget) and "강제로 종료" in partial.stats_label.text()
    _no_english("engine crash", window, seen)
    qtbot.wait(200)  # the reply's last layout pass, for the picture
    save_shot(window, "runtime_engine_crash_ko.png")

    # The offline notice names a place that exists: the Network box of this tab.
    dialog = window.open_models()
    dialog.show_tab("download")
    tab = dialog.download
    qtbot.waitUntil(tab.offline_label.isVisible)
    notice = tab.offline_label.text()
    assert tab.network.title() in notice and tab.network.offline.text().split(":")[0] in notice
    assert dialog.tabs.tabText(dialog.tabs.indexOf(tab)) in notice
    _no_english("offline notice", dialog, seen)
    save_shot(dialog, "runtime_offline_notice_ko.png")
    dialog.show_tab("library")
    qtbot.waitUntil(lambda: dialog.library.table.rowCount() >= 3, timeout=10_000)
    _no_english("library with broken files", dialog, seen)
    dialog.close()

    session.chats.ignore_eos = False
    qtbot.waitUntil(lambda: session.engine.is_ready, timeout=60_000)  # for the next test


def test_korean_start_up_banner_for_a_damaged_settings_file(
    korean: None, qtbot: QtBot, tmp_path: Path, shared_engine: EngineController
) -> None:
    paths = AppPaths.portable(tmp_path)
    paths.ensure()
    paths.settings_file.write_text('{"threads": "many", "colour": 1, "schema_version": 1}')
    settings, warnings = load_settings(paths.settings_file)
    assert len(warnings) == 2  # the core's English sentences
    session = WindowSession.create(
        paths, settings, engine=shared_engine, warnings=warnings, ui_lang="ko"
    )
    try:
        session.show()
        banner = session.window.banner
        qtbot.waitUntil(banner.isVisible)
        assert (
            "“threads”" in banner.detail_label.text() and "“colour”" in banner.detail_label.text()
        )
        assert "many" in banner.detail_label.toolTip()  # the core's words, whole
        _no_english("start-up banner", session.window, _Seen())
        save_shot(session.window, "runtime_settings_banner_ko.png")
    finally:
        session.close()
