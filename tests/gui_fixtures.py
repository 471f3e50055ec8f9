"""Fixtures for tests with windows: real widgets offscreen, the real engine on the starter.

One engine process is shared by the whole test session (a window asks for the
model that is already loaded, and gets it without a reload); each test has its
own data folder. tests/gui and tests/faults import these into their conftest.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import WindowFactory, fast_settings
from PySide6.QtCore import QtMsgType
from pytestqt.qtbot import QtBot

from parrotchat.core.paths import AppPaths
from parrotchat.core.settings import Settings
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.main import WindowSession
from parrotchat.gui.platform_check import binding_problem

# Qt messages that say nothing about our code.
IGNORED_QT_MESSAGES = ("propagateSizeHints", "QFont::setPointSize", "does not support raise()")

_BINDING_PROBLEM = binding_problem()


@pytest.fixture(autouse=True)
def _working_binding() -> None:
    if _BINDING_PROBLEM:
        pytest.fail(_BINDING_PROBLEM)


@pytest.fixture(autouse=True)
def _no_qt_warnings(qtlog: object) -> Iterator[None]:
    """Like qt_log_level_fail = WARNING, minus the offscreen platform's own notes."""
    yield
    records = getattr(qtlog, "records", [])
    bad = [
        r.message
        for r in records
        if r.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        and not any(ignored in r.message for ignored in IGNORED_QT_MESSAGES)
    ]
    assert not bad, f"Qt warnings: {bad}"


@pytest.fixture
def make_window(
    qtbot: QtBot, tmp_path: Path, shared_engine: EngineController
) -> Iterator[WindowFactory]:
    """Open a window on a data folder (default: this test's), with the model loaded."""
    sessions: list[WindowSession] = []

    def make(
        data_dir: Path | None = None,
        settings: Settings | None = None,
        wait_model: bool = True,
        ui_lang: str = "en",
    ) -> WindowSession:
        session = WindowSession.create(
            AppPaths.portable(data_dir or tmp_path),
            settings or fast_settings(),
            engine=shared_engine,
            ui_lang=ui_lang,
        )
        sessions.append(session)
        session.show()
        session.start()
        if wait_model:
            qtbot.waitUntil(
                lambda: session.engine.loaded is not None and session.models.current is not None,
                timeout=60_000,
            )
        return session

    yield make
    for session in sessions:
        if session.chats.busy:
            session.chats.stop()
        session.close()
    qtbot.wait(10)
