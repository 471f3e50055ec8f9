"""Bands across the window (an error, the offline notice): tinted from the palette.

They are painted, not styled with a style sheet, so that a change of theme repaints
them in the new palette's colours with nothing to rebuild.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QLabel, QWidget

from parrotchat.gui.theme import NOTICE_HUE, mix, tint

RADIUS = 6


def paint_band(widget: QWidget, hue: QColor) -> None:
    """A rounded band in the palette's window colour tinted with `hue`, edged with it."""
    palette = widget.palette()
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(mix(palette.color(QPalette.ColorRole.Window), hue, 0.75), 1))
    painter.setBrush(tint(palette, hue))
    painter.drawRoundedRect(QRectF(widget.rect()).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
    painter.end()


class NoticeLabel(QLabel):
    """A word-wrapped label on a notice band (the Download tab's offline notice)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMargin(6)

    def paintEvent(self, event: QPaintEvent) -> None:
        paint_band(self, NOTICE_HUE)
        super().paintEvent(event)
