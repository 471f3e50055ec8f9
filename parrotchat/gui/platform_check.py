"""Before Qt starts: can this machine open a window at all?

When Qt's window-system plugin cannot load, Qt prints a page of advice and aborts
the process. We look first and say in one line what is missing, e.g. the
libxcb-cursor0 package that Qt 6.5+ needs on Linux.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
from pathlib import Path

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def debian_package(soname: str) -> str:
    """A good guess at a library's Debian package: libxcb-cursor.so.0 -> libxcb-cursor0."""
    name, _, version = soname.partition(".so.")
    if not version:
        return name
    return f"{name}-{version}" if name[-1:].isdigit() else f"{name}{version}"


def _missing_libraries(plugin: Path) -> list[str]:
    try:
        out = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(_NOT_FOUND.findall(out)))


def platform_problem() -> str | None:
    """One line saying why no window can open here, or None if nothing looks wrong."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, eglfs...: Qt reports its own problems
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return (
            "Cannot open a window: no display (DISPLAY is not set). Run ParrotChat in a "
            "desktop session, or use its commands (parrotchat --help)"
        )
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        missing = _missing_libraries(plugin) or [str(exc).split(":")[0]]
        packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
        return (
            f"Cannot open a window: Qt's X11 plugin needs {', '.join(missing)} "
            f"(Debian/Ubuntu: sudo apt-get install {packages})"
        )
    return None


def binding_problem() -> str | None:
    """One line if this PySide6 build corrupts Python's reference counts, else None.

    PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call (and
    to True on every signal emit); after a few thousand calls the process aborts
    with "deallocating None". Python 3.12+ is immune (None and True are immortal).
    """
    if sys.version_info >= (3, 12):
        return None
    from PySide6 import __version__ as version
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")
    if sys.getrefcount(None) <= before - 8:
        return (
            f"PySide6 {version} is broken on Python {sys.version_info.major}."
            f"{sys.version_info.minor} (it corrupts reference counts and crashes); "
            "install another version: pip install 'PySide6-Essentials<6.12'"
        )
    return None
