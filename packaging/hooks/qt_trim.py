"""Which Qt files the app ships: used by our PySide6 hooks and again by the spec.

Trimming inside the hooks (before PyInstaller's dependency analysis) also keeps out the
system libraries that only a dropped plugin needs: the GTK3 platform theme alone would
pull in half a GTK stack (glib, cairo, pango, atk, gdk-pixbuf) from the build machine,
which then clashes with the target's own GTK.
"""

from __future__ import annotations

import sys
from pathlib import PurePath

IS_MAC = sys.platform == "darwin"

# Plugin kinds dropped whole, and plugins dropped by name within the kinds we keep.
PLUGIN_KINDS_DROP = frozenset(
    {"egldeviceintegrations", "networkinformation", "tls", "sqldrivers", "multimedia"}
)
PLUGINS_DROP: dict[str, tuple[str, ...]] = {
    "platforms": ("eglfs", "linuxfb", "vnc", "vkkhrdisplay", "minimalegl"),
    "platformthemes": ("gtk3",),
    "imageformats": ("tiff", "webp", "tga", "wbmp", "pdf", "jp2") + (() if IS_MAC else ("icns",)),
    "generic": ("tuiotouch", "evdev", "libinput"),
}
# Qt libraries that only dropped plugins need.
LIBS_DROP = ("libQt6Network", "libQt6EglFSDeviceIntegration", "libQt6EglFsKmsSupport")
# Qt's own translations: only the languages our UI offers (gui/i18n.py UI_LANGUAGES).
LANGS = ("ko",)


def keep(dest: str) -> bool:
    """Keep the file collected at `dest` (a path inside the bundle)?"""
    parts = PurePath(dest).parts
    name = parts[-1] if parts else ""
    if name.startswith(LIBS_DROP):
        return False
    if "Qt" not in parts or parts[0] != "PySide6":
        return True
    rest = parts[parts.index("Qt") + 1 :]
    if rest[:1] == ("translations",):
        return name.startswith("qtbase_") and name[len("qtbase_") :].split(".")[0] in LANGS
    if rest[:1] == ("plugins",) and len(rest) >= 3:
        kind = rest[1]
        if kind in PLUGIN_KINDS_DROP:
            return False
        return not any(d in name.lower() for d in PLUGINS_DROP.get(kind, ()))
    return True


def trim(entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Filter a hook's (source, destination folder) pairs."""
    return [(src, dest) for src, dest in entries if keep(str(PurePath(dest) / PurePath(src).name))]
