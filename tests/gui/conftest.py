"""GUI tests: see tests/gui_fixtures.py for the shared window fixtures."""

from collections.abc import Iterator

import pytest
from gui_fixtures import _no_qt_warnings, _working_binding, make_window
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from parrotchat.gui.i18n import install_translators

__all__ = ["_no_qt_warnings", "_working_binding", "make_window"]


@pytest.fixture(params=["en", "ko"])
def ui_lang(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """Each test that takes it runs in English and again under the Korean translation."""
    translators = install_translators(qapp, request.param) if request.param == "ko" else []
    yield str(request.param)
    for translator in translators:
        QCoreApplication.removeTranslator(translator)
