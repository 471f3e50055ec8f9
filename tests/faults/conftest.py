"""The fault campaign (issue #7): kills, crashes, bad files, hostile input, broken storage.

Every test here runs with the rest of the suite; the kill loops and abort cycles run
a few rounds there and their full counts with `-m campaign` (tests/campaign.py), which
CI also runs. Figures for docs/reliability.md are printed by the tests (run with `-s`).
"""

from gui_fixtures import _no_qt_warnings, _working_binding, make_window

__all__ = ["_no_qt_warnings", "_working_binding", "make_window"]
