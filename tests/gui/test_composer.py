"""The composer: Korean input-method composition, Enter/Shift+Enter, paste and drop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from parrotchat.gui.chat.composer import Composer


def _composer(qtbot: QtBot) -> tuple[Composer, list[str]]:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    composer.edit.setFocus()
    sent: list[str] = []
    composer.sendRequested.connect(sent.append)
    return composer, sent


def _preedit(text: str) -> QInputMethodEvent:
    return QInputMethodEvent(text, [])


def _commit(text: str) -> QInputMethodEvent:
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    return event


def test_enter_during_korean_composition_does_not_send(qtbot: QtBot) -> None:
    composer, sent = _composer(qtbot)
    QApplication.sendEvent(composer.edit, _commit("한"))
    QApplication.sendEvent(composer.edit, _preedit("그"))
    assert composer.edit.composing
    QTest.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == [], "Enter that confirms a syllable must not send"

    QApplication.sendEvent(composer.edit, _preedit("글"))
    QTest.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == []

    QApplication.sendEvent(composer.edit, _commit("글"))
    assert not composer.edit.composing
    QTest.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["한글"], "the committed text goes out complete"
    assert composer.text == ""


def test_preedit_then_commit_of_the_whole_word(qtbot: QtBot) -> None:
    composer, sent = _composer(qtbot)
    QApplication.sendEvent(composer.edit, _preedit("한"))
    QTest.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == [] and composer.text == ""
    QApplication.sendEvent(composer.edit, _commit("한글"))
    QTest.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["한글"]


def test_send_button_mid_syllable_commits_first(qtbot: QtBot) -> None:
    composer, sent = _composer(qtbot)
    QApplication.sendEvent(composer.edit, _commit("안녕"))
    QApplication.sendEvent(composer.edit, _preedit("하"))
    composer.send_button.click()
    assert sent == []  # not with the syllable missing
    QApplication.sendEvent(composer.edit, _commit("하"))
    qtbot.waitUntil(lambda: sent == ["안녕하"], timeout=10_000)


def test_shift_enter_is_a_new_line(qtbot: QtBot) -> None:
    composer, sent = _composer(qtbot)
    QTest.keyClicks(composer.edit, "line one")
    QTest.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(composer.edit, "line two")
    assert sent == []
    QTest.keyClick(composer.edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert sent == ["line one\nline two"]


def test_send_becomes_stop_and_escape_stops(qtbot: QtBot) -> None:
    composer, sent = _composer(qtbot)
    stops: list[bool] = []
    composer.stopRequested.connect(lambda: stops.append(True))
    composer.set_streaming(True)
    assert composer.send_button.text() == "Stop"
    QTest.keyClicks(composer.edit, "next")
    QTest.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == [] and composer.text == "next"  # kept for after the reply
    QTest.keyClick(composer.edit, Qt.Key.Key_Escape)
    composer.send_button.click()
    assert stops == [True, True]


def test_dropping_or_pasting_a_text_file_inserts_its_text(qtbot: QtBot, tmp_path: Path) -> None:
    composer, _ = _composer(qtbot)
    notes = tmp_path / "회의록.txt"
    notes.write_text("회의 내용: 다음 주 출시\n", encoding="utf-8")
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes)), QUrl.fromLocalFile(str(binary))])
    assert composer.edit.canInsertFromMimeData(mime)
    composer.edit.insertFromMimeData(mime)
    assert composer.text == "회의 내용: 다음 주 출시\n"

    plain = QMimeData()
    plain.setText(" and more")
    composer.edit.insertFromMimeData(plain)
    assert composer.text.endswith("출시\n and more")
