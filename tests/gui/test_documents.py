"""Documents in the window: the Documents dialog over a real index, indexing with
progress and Cancel, a chat answering from a collection, and its citations opening
the cited file at the page (the system's opener is intercepted, nothing is launched)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from doc_factory import make_pdf
from gui_helpers import WindowFactory
from PySide6.QtCore import (
    QCoreApplication,
    QMimeData,
    QObject,
    QPoint,
    QPointF,
    Qt,
    QTimer,
    QUrl,
    Slot,
)
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QTextBrowser
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.core.chats.records import Message
from parrotchat.core.docs.index import DocumentIndex, index_collection
from parrotchat.gui.chat.message_widget import MessageWidget
from parrotchat.gui.docs.dialog import DocumentsDialog
from parrotchat.gui.docs.library import DocumentLibrary
from parrotchat.gui.i18n import install_translators
from parrotchat.service.doc_answers import sources_of

KAKAPO_PAGE = "The kakapo sleeps during the day and feeds at night on ferns and seeds."


def write_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parrots.txt").write_text(
        "Parrots eat seeds, nuts and fruit. The kakapo is a flightless parrot.", encoding="utf-8"
    )
    (folder / "예산.md").write_text("# 예산\n\n2025년 예산은 3억 원이다.\n", encoding="utf-8")
    make_pdf(folder / "manual.pdf", ["How to clean the cage every week.", KAKAPO_PAGE])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    return folder


class UrlCatcher(QObject):
    """Stands in for the system's opener of file: URLs, as the test's witness."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[UrlCatcher]:
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def drop_paths(widget: DocumentsDialog, paths: list[Path]) -> None:
    """Drag in and drop, as the window system delivers them (Qt drops only onto a
    widget that accepted the drag's entry)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the dialog refused the drag"
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, drop)


def click_link(view: QTextBrowser, href_part: str) -> None:
    """Click the first link whose address contains `href_part`, where it is drawn."""
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if href_part in fragment.charFormat().anchorHref():
                cursor = QTextCursor(view.document())
                cursor.setPosition(fragment.position() + min(1, fragment.length() - 1))
                point: QPoint = view.cursorRect(cursor).center()
                QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
                return
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {href_part} in {view.toMarkdown()!r}")


def status_of(dialog: DocumentsDialog) -> dict[str, tuple[str, str]]:
    table = dialog.files
    return {
        Path(table.item(r, 0).text()).name: (table.item(r, 1).text(), table.item(r, 3).text())
        for r in range(table.rowCount())
    }


def test_a_dropped_folder_is_indexed_with_progress_and_failed_files_say_why(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    session = make_window(wait_model=False)
    window = session.window
    dialog = window.open_documents()
    assert dialog is not None and dialog.isVisible()
    folder = write_folder(tmp_path / "files")
    library = dialog.library
    progress: list[object] = []
    library.indexProgress.connect(progress.append)
    with qtbot.waitSignal(library.indexFinished, timeout=60_000) as finished:
        drop_paths(dialog, [folder])
        assert dialog.cancel_button.isVisible() and dialog.progress.isVisible()
        assert not dialog.add_folder_button.isEnabled()  # one run at a time
    report = finished.args[0]
    assert not report.cancelled and report.indexed == 3 and len(report.failed) == 1
    last = progress[-1]
    assert last.files_done == last.files_total == 4  # type: ignore[attr-defined]
    assert not dialog.progress.isVisible() and not dialog.cancel_button.isVisible()
    assert "3 indexed" in dialog.status.text()

    assert dialog.current == "Documents"  # nothing was selected: a new collection
    rows = status_of(dialog)
    assert rows["manual.pdf"][0] == rows["예산.md"][0] == rows["parrots.txt"][0] == "Indexed"
    state, reason = rows["broken.pdf"]
    assert state == "Failed" and "damaged" in reason
    assert "4 files" in dialog.collections.currentItem().text()
    assert "1 failed" in dialog.collections.currentItem().text()
    # The chat's Documents button offers the new collection.
    assert window.documents_picker.action_for("Documents") is not None
    save_shot(dialog, "documents_dialog_en.png")

    # Remove asks first; the files stay on disk, the collection and its passages go.
    QTimer.singleShot(0, answer_yes)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.collections.count() == 0 and dialog.files.rowCount() == 0
    assert library.names() == [] and (folder / "manual.pdf").is_file()
    window.documents_picker.menuOpening.emit()
    assert window.documents_picker.action_for("Documents") is None


def answer_yes() -> None:
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox), box
    box.button(QMessageBox.StandardButton.Yes).click()


def test_cancel_stops_a_long_run_and_rescan_finishes_it_with_every_chunk_once(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(400):
        (folder / f"note{n:03}.txt").write_text(
            f"Note {n}. " + "Parrots keep notes about seeds and nuts. " * 400, encoding="utf-8"
        )
    session = make_window(wait_model=False)
    dialog = session.window.open_documents()
    assert dialog is not None
    library = dialog.library
    with qtbot.waitSignal(library.indexFinished, timeout=120_000) as finished:
        with qtbot.waitSignal(library.indexProgress, timeout=60_000):
            dialog.add_paths([folder], "notes")
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    report = finished.args[0]
    assert report.cancelled and report.indexed < 400
    assert "Cancelled" in dialog.status.text()

    # The database is whole: each file is indexed with its chunks, or waits with none.
    files = library.files("notes")
    assert len(files) == 400 and {f.status for f in files} <= {"indexed", "pending"}
    assert all(f.chunks == 0 for f in files if f.status == "pending")
    info = next(c for c in library.collections() if c.name == "notes")
    assert info.chunks == sum(f.chunks for f in files)

    with qtbot.waitSignal(library.indexFinished, timeout=300_000) as again:
        qtbot.mouseClick(dialog.rescan_button, Qt.MouseButton.LeftButton)
    assert not again.args[0].cancelled and again.args[0].unchanged == report.indexed
    files = library.files("notes")
    assert {f.status for f in files} == {"indexed"}
    # Every chunk once: the same count as a run that was never interrupted.
    fresh = DocumentIndex(tmp_path / "fresh.sqlite3")
    try:
        fresh.add_paths("notes", [folder])
        index_collection(fresh, "notes")
        expected = next(c for c in fresh.collections() if c.name == "notes").chunks
    finally:
        fresh.close()
    assert next(c for c in library.collections() if c.name == "notes").chunks == expected


def test_a_chat_answers_from_a_collection_and_its_sources_open_the_file_at_the_page(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path, opened: UrlCatcher
) -> None:
    session = make_window()
    window = session.window
    library = window.documents
    assert library is not None
    folder = write_folder(tmp_path / "files")
    with qtbot.waitSignal(library.indexFinished, timeout=60_000):
        library.add(folder.name, [folder])
    action = window.documents_picker.action_for("files")
    assert action is not None
    action.trigger()  # ticked in the Documents menu
    assert session.chats.chat_settings.documents == ("files",)
    assert "files" in window.documents_picker.text()

    session.chats.send("When does the kakapo sleep?")
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=90_000)
    reply = window.chat_view.message_widgets[-1]
    assert reply.role == "assistant" and reply.sources_view is not None
    saved = session.store.get_chat(session.chats.chat_id or 0)
    assert saved.settings["documents"] == ["files"]  # the chat keeps its choice
    stats = saved.messages[-1].stats or {}
    sources = sources_of(stats)
    pdf = next(s for s in sources if s.file.endswith("manual.pdf"))
    assert pdf.page == 2 and stats["sources_left_out"] == 0
    assert "sources used:" in reply.stats_label.text()
    listed = reply.sources_view.toPlainText()
    assert "Sources" in listed and "manual.pdf, p. 2" in listed

    click_link(reply.sources_view, "manual.pdf")
    qtbot.waitUntil(lambda: bool(opened.urls), timeout=5_000)
    url = opened.urls[-1]
    assert url.toLocalFile() == str(folder / "manual.pdf") and url.fragment() == "page=2"
    save_shot(window, "reply_with_sources_en.png")

    # A reply's own [n] is a link too: the saved reply, reopened, as the model might write it.
    cited = Message(
        saved.messages[-1].id, saved.id, "assistant",
        f"By day, it sleeps [{pdf.number}].", saved.messages[-1].created_at,
        "starter", None, stats, "complete",
    )  # fmt: skip
    widget = MessageWidget(cited)
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    body = widget.findChildren(QTextBrowser)[0]
    click_link(body, "manual.pdf")
    qtbot.waitUntil(lambda: len(opened.urls) == 2, timeout=5_000)
    assert opened.urls[-1].fragment() == "page=2"

    # Reopened, the chat still shows the sources under the reply.
    session.chats.open_chat(None)
    session.chats.open_chat(saved.id)
    reopened = window.chat_view.message_widgets[-1]
    assert reopened.sources_view is not None
    assert "manual.pdf, p. 2" in reopened.sources_view.toPlainText()


def test_the_documents_dialog_and_sources_speak_korean(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    translators = install_translators(qapp, "ko")
    library = DocumentLibrary(tmp_path / "documents.sqlite3")
    try:
        folder = write_folder(tmp_path / "자료")
        dialog = DocumentsDialog(library)
        qtbot.addWidget(dialog)
        dialog.show()
        with qtbot.waitSignal(library.indexFinished, timeout=60_000):
            dialog.add_paths([folder], "연구 자료")
        assert dialog.windowTitle() == "문서"
        assert dialog.add_folder_button.text() == "폴더 추가…"
        assert status_of(dialog)["broken.pdf"][0] == "실패"
        save_shot(dialog, "documents_dialog_ko.png")

        stats = {
            "reply_tokens": 12, "stop_reason": "finished", "sources_used": 2,
            "sources_left_out": 1,
            "sources": [
                {"n": 1, "file": str(folder / "manual.pdf"), "page": 2, "section": None,
                 "text": KAKAPO_PAGE},
                {"n": 2, "file": str(folder / "예산.md"), "page": None, "section": "예산",
                 "text": "2025년 예산은 3억 원이다."},
            ],
        }  # fmt: skip
        message = Message(
            1, 1, "assistant", "예산은 3억 원입니다 [2]. 카카포는 낮에 잡니다 [1].",
            "2026-01-01T00:00:00.000Z", "SmolLM2", None, stats, "complete",
        )  # fmt: skip
        widget = MessageWidget(message)
        qtbot.addWidget(widget)
        widget.resize(640, 320)
        widget.show()
        assert widget.sources_view is not None
        text = widget.sources_view.toPlainText()
        assert "출처" in text and "manual.pdf, 2쪽" in text and "예산.md, 예산" in text
        assert "1개" in text  # one passage left out, said in Korean
        assert "출처 2개" in widget.stats_label.text()
        save_shot(widget, "reply_with_sources_ko.png")
    finally:
        library.close()
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
