"""The Korean translation: it loads, it is complete, and the .qm matches the .ts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from parrotchat.gui.app_resources import resource_dir
from parrotchat.gui.chat.composer import Composer
from parrotchat.gui.chat.stats_line import format_stats
from parrotchat.gui.i18n import install_translators

TRANSLATIONS = resource_dir("translations")


def test_korean_translation_loads(qtbot: QtBot, qapp: QApplication) -> None:
    translators = install_translators(qapp, "ko")
    try:
        assert translators, "parrotchat_ko.qm was not found or did not load"
        composer = Composer()
        qtbot.addWidget(composer)
        assert composer.send_button.text() == "보내기"
        stats = format_stats({"reply_tokens": 12, "stop_reason": "cancelled"}, "complete")
        assert stats == "토큰 12개 · 사용자가 멈춤"
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
    assert Composer().send_button.text() == "Send"


def test_every_string_is_translated() -> None:
    root = ET.parse(TRANSLATIONS / "parrotchat_ko.ts").getroot()
    messages = root.findall(".//message")
    assert len(messages) > 120
    unfinished = []
    for m in messages:
        translation = m.find("translation")
        kind = translation.get("type") if translation is not None else "missing"
        empty = not (m.findtext("translation") or "").strip()
        if empty or kind in ("missing", "unfinished", "obsolete", "vanished"):
            unfinished.append(m.findtext("source"))
    assert unfinished == []


def test_compiled_translation_is_up_to_date(tmp_path: Path) -> None:
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    if lrelease is None:
        pytest.skip("pyside6-lrelease is not installed")
    out = tmp_path / "ko.qm"
    subprocess.run(
        [lrelease, "-silent", str(TRANSLATIONS / "parrotchat_ko.ts"), "-qm", str(out)], check=True
    )
    assert out.read_bytes() == (TRANSLATIONS / "parrotchat_ko.qm").read_bytes(), (
        "run: python -m parrotchat.gui.build_translations"
    )
