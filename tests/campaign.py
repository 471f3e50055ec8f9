"""How long the fault campaigns run: a few rounds in every test run, the full count
under the `campaign` marker.

`python -m pytest` (the README's test command) leaves the full counts out, so that it
stays minutes long on a busy 2-core machine; `python -m pytest -m campaign` runs only
them (CI does, after the README's command; see .ci/run). A marker expression that does
not name `campaign` leaves them out too (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest


def rounds(quick: int, full: int, what: str = "rounds") -> list[Any]:
    """Parameters for a campaign test: `quick` rounds always, `full` under the marker."""
    return [
        pytest.param(quick, id=f"{quick}-{what}"),
        pytest.param(full, id=f"{full}-{what}", marks=pytest.mark.campaign),
    ]
