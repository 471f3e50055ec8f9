"""The window's colours: the system's scheme, or light or dark as the user chose.

Every colour in the window comes from the application palette, so one switch here
recolours all of it. Qt 6.8's `QStyleHints.setColorScheme` asks the platform for the
scheme; where the platform cannot switch (a Linux desktop without a dark theme, the
offscreen platform of the tests), the palette below stands in. Accents that have no
palette role (the error and notice bands) are the palette's window colour tinted
with a hue, never a fixed background: the text on them keeps the palette's text
colour and so its contrast.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from parrotchat.core.settings_checks import THEMES

__all__ = ["THEMES", "apply_theme", "is_dark", "mix", "tint"]

ERROR_HUE = QColor(214, 48, 49)  # the error band's tint
NOTICE_HUE = QColor(230, 160, 0)  # the notice band's tint (offline, warnings)
TINT_AMOUNT = 0.16  # light enough that the palette's text keeps its contrast

_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` (0..1) of the way towards `b`."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * amount),
        round(a.green() + (b.green() - a.green()) * amount),
        round(a.blue() + (b.blue() - a.blue()) * amount),
    )


def tint(palette: QPalette, hue: QColor, amount: float = TINT_AMOUNT) -> QColor:
    """A band's background: the palette's window colour with a touch of `hue`."""
    return mix(palette.color(QPalette.ColorRole.Window), hue, amount)


def _palette(dark: bool) -> QPalette:
    if dark:
        window, text, base, button = "#202326", "#eff0f1", "#17191b", "#2a2e32"
        highlight, link, visited = "#3d8fd1", "#5caeff", "#b48ae0"
    else:
        window, text, base, button = "#eff0f1", "#1f2225", "#ffffff", "#e6e8ea"
        highlight, link, visited = "#3d8fd1", "#1a64b4", "#7b3fb0"
    w, t, b = QColor(window), QColor(text), QColor(base)
    palette = QPalette(QColor(button), w)
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, w),
        (roles.WindowText, t),
        (roles.Base, b),
        (roles.AlternateBase, mix(w, t, 0.07)),
        (roles.Text, t),
        (roles.Button, QColor(button)),
        (roles.ButtonText, t),
        (roles.BrightText, QColor("#ffffff")),
        (roles.Highlight, QColor(highlight)),
        (roles.HighlightedText, QColor("#ffffff")),
        (roles.Link, QColor(link)),
        (roles.LinkVisited, QColor(visited)),
        (roles.ToolTipBase, b),
        (roles.ToolTipText, t),
        (roles.PlaceholderText, mix(t, w, 0.4)),
        (roles.Light, mix(w, t, 0.18) if dark else QColor("#ffffff")),
        (roles.Midlight, mix(w, t, 0.12)),
        (roles.Mid, mix(w, t, 0.3)),
        (roles.Dark, mix(w, QColor("#000000"), 0.5)),
        (roles.Shadow, QColor("#000000")),
    ):
        palette.setColor(role, color)
    faded = mix(t, w, 0.55)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, faded)
    return palette


def apply_theme(app: QGuiApplication, theme: str) -> None:
    """Colour the whole application: "system", "light" or "dark"."""
    hints = app.styleHints()
    scheme = _SCHEMES.get(theme)
    if scheme is None:
        hints.unsetColorScheme()
        app.setPalette(QPalette())  # no palette of ours: the platform's, live
        return
    hints.setColorScheme(scheme)
    app.setPalette(QPalette())  # the platform's palette, if it switched
    want_dark = scheme == Qt.ColorScheme.Dark
    if is_dark(app.palette()) != want_dark:
        app.setPalette(_palette(want_dark))
