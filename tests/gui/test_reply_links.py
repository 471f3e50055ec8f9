"""Links in replies: a click asks first, shows the whole address, opens only on "Open link"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gui_helpers import WindowFactory
from PySide6.QtCore import QCoreApplication, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QTextCursor, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.core.chats.store import ChatStore
from parrotchat.gui.docs.citations import link_citations, open_sources_outside, source_url
from parrotchat.gui.fitted_text import FittedTextView
from parrotchat.gui.i18n import install_translators
from parrotchat.gui.link_guard import LinkDialog
from parrotchat.gui.main import WindowSession
from parrotchat.service.doc_answers import Source

# The link's text says one place, its target is another: the dialog must show the target.
TARGET = "http://update-server.example/download?file=parrot.exe&token=abc123"
REPLY = f"The new version is on [the official site]({TARGET}). Read the notes first."


class _Opened(QObject):
    """Stands in for the browser: records every URL QDesktopServices would open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def browser() -> Iterator[_Opened]:
    opened = _Opened()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, opened, "open")
    yield opened
    for scheme in ("http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


def _reply_with_link(store: ChatStore, chat_title: str) -> int:
    chat_id = store.create_chat(chat_title)
    store.add_message(chat_id, "user", "Where do I get the new version?")
    store.add_message(chat_id, "assistant", REPLY, model="test-model")
    return chat_id


def _link_point(view: FittedTextView, text: str) -> QPoint:
    """Where on screen (viewport coordinates) the link text `text` is drawn."""
    found = view.document().find(text, 0, QTextDocument.FindFlag(0))
    assert not found.isNull(), f"{text!r} is not in the reply"
    cursor = QTextCursor(view.document())
    cursor.setPosition(found.selectionStart() + 2)
    return view.cursorRect(cursor).center()


def _click_link(qtbot: QtBot, session: WindowSession) -> LinkDialog:
    reply = session.window.chat_view.message_widgets[-1]
    view = next(v for v in reply.findChildren(FittedTextView) if "official" in v.toPlainText())
    qtbot.waitUntil(view.isVisible)
    point = _link_point(view, "the official site")
    assert view.anchorAt(point) == TARGET  # the click lands on the link itself
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0), point)
    qtbot.waitUntil(lambda: _dialog() is not None, timeout=5000)
    dialog = _dialog()
    assert dialog is not None
    return dialog


def _dialog() -> LinkDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, LinkDialog) and widget.isVisible():
            return widget
    return None


def test_link_asks_before_opening(
    make_window: WindowFactory, qtbot: QtBot, browser: _Opened
) -> None:
    session = make_window(wait_model=False)
    session.chats.open_chat(_reply_with_link(session.store, "Links"))

    dialog = _click_link(qtbot, session)
    assert TARGET in dialog.text()  # the whole address, not the link's text
    assert browser.urls == []  # nothing opened before the answer
    save_shot(dialog, "link_confirm_en.png")

    dialog.cancel_button.click()  # "Cancel": nothing opens
    qtbot.waitUntil(lambda: _dialog() is None)
    qtbot.wait(50)
    assert browser.urls == []

    dialog = _click_link(qtbot, session)
    dialog.open_button.click()  # "Open link": the browser gets exactly that address
    qtbot.waitUntil(lambda: browser.urls == [TARGET], timeout=5000)
    assert _dialog() is None


def test_link_dialog_in_korean(
    make_window: WindowFactory, qtbot: QtBot, browser: _Opened, qapp: QApplication
) -> None:
    translators = install_translators(qapp, "ko")
    try:
        session = make_window(wait_model=False, ui_lang="ko")
        session.chats.open_chat(_reply_with_link(session.store, "링크"))
        dialog = _click_link(qtbot, session)
        assert dialog.open_button.text() == "링크 열기"
        assert dialog.text().startswith("이 주소를 브라우저에서 열까요?")
        assert TARGET in dialog.text()
        save_shot(dialog, "link_confirm_ko.png")
        dialog.cancel_button.click()
        qtbot.waitUntil(lambda: _dialog() is None)
        assert browser.urls == []
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)


def test_a_source_link_opens_at_once_but_a_model_link_beside_it_still_asks(
    qtbot: QtBot, browser: _Opened
) -> None:
    files = _Opened()
    QDesktopServices.setUrlHandler("file", files, "open")
    try:
        source = Source(number=1, file="/srv/docs/manual.pdf", page=2, section=None, text="x")
        view = FittedTextView()
        qtbot.addWidget(view)
        view.setMarkdown(link_citations(f"See [1] and [the site]({TARGET}).", [source]))
        open_sources_outside(view, [source])
        view.anchorClicked.emit(source_url(source))
        assert files.urls == [source_url(source).toString()]
        assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, LinkDialog)]
        view.anchorClicked.emit(QUrl(TARGET))
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, LinkDialog)]
        assert dialogs and browser.urls == []
        for dialog in dialogs:
            dialog.close()
    finally:
        QDesktopServices.unsetUrlHandler("file")
