"""The tested dependency set: pin builds and kits to what the running Python has installed.

pip would otherwise take the newest release each dependency's range allows, which is not
what the tests ran with (PySide6-Essentials 6.12.0, for one, is broken on Python 3.11).
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

SKIP = frozenset({"parrotchat", "pip", "setuptools", "wheel", "llama-cpp-python"})


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_pins() -> list[str]:
    """name==version for each distribution installed here, less ParrotChat and llama.cpp.

    llama-cpp-python is left out: the caller pins it to the wheel it built.
    """
    pins: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and normalize(name) not in SKIP:
            pins[normalize(name)] = f"{name}=={dist.version}"
    return sorted(pins.values(), key=str.lower)


def write_constraints(path: Path, llama_version: str | None, pin: bool = True) -> str:
    lines = installed_pins() if pin else []
    if llama_version:
        lines.append(f"llama-cpp-python=={llama_version}")
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text
