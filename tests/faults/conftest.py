"""The fault campaign (issue #7): kills, crashes, bad files, hostile input, broken storage.

Every test here runs in CI with the rest of the suite. Figures for docs/reliability.md
are printed by the tests themselves (run with `-s`) and by tests/faults/campaign.py.
"""

from gui_fixtures import _no_qt_warnings, _working_binding, make_window

__all__ = ["_no_qt_warnings", "_working_binding", "make_window"]
