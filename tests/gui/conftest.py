"""GUI tests: see tests/gui_fixtures.py for the shared window fixtures."""

from gui_fixtures import _no_qt_warnings, _working_binding, make_window

__all__ = ["_no_qt_warnings", "_working_binding", "make_window"]
