"""Screenshots that GUI tests save as artefacts of the run, for a person to look at.

They go to $PARROTCHAT_SHOTS when it is set (CI can collect that folder), else to
build/screenshots/ in the checkout (ignored by git). A test names its picture after what it
shows, with the language when text is involved: `small_window_800x600_ko.png`.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QWidget


def shots_dir() -> Path:
    default = Path(__file__).resolve().parents[1] / "build" / "screenshots"
    folder = Path(os.environ.get("PARROTCHAT_SHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_shot(widget: QWidget, name: str) -> Path:
    """Grab `widget` as it is drawn now and save it as PNG; returns the file."""
    path = shots_dir() / name
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not save the screenshot {path}")
    return path
