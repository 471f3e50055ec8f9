"""Files the window ships with: the app icon and the compiled translations.

They live in the top-level `resources/` folder, installed as `parrotchat.resources`,
so a source checkout, an installed wheel and a frozen build find them the same way.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from PySide6.QtGui import QIcon

_PACKAGE = "parrotchat.resources"


def resource_dir(name: str) -> Path:
    """A folder inside parrotchat.resources (icons, translations, templates)."""
    return Path(str(importlib.resources.files(_PACKAGE) / name))


def app_icon() -> QIcon:
    icons = resource_dir("icons")
    icon = QIcon()
    for file in ("parrotchat.svg", "parrotchat.png"):
        path = icons / file
        if path.is_file():
            icon.addFile(str(path))
    return icon
