"""A label and a combo box that shrink below their text: cut with "…", whole in the tooltip.

A plain QLabel or QComboBox either keeps the window from getting narrower or is cut
off mid-word at the edge. These show as much as fits, end with "…", and put the
whole text in the tooltip; `text()` / `currentText()` stay the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

MIN_CHARS = 4  # the narrowest they get: a few characters and the "…"


class ElidedLabel(QLabel):
    """One line of plain text, cut at the right with "…" when the label is too narrow."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._tip = ""  # a tooltip of its own, kept when the text is cut and restored
        self._shown = text
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._update_shown()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_shown()

    def setToolTip(self, tip: str) -> None:
        self._tip = tip
        self._update_shown()

    def shown_text(self) -> str:
        """What is on screen now (the text, or its start and "…")."""
        return self._shown

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        fm = self.fontMetrics()
        narrow = fm.horizontalAdvance(self.text()[:MIN_CHARS] + "…")
        margins = self.contentsMargins()
        return QSize(
            min(hint.width(), narrow + margins.left() + margins.right() + 2 * self.margin()),
            hint.height(),
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_shown()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        rect = self.contentsRect().adjusted(
            self.margin(), self.margin(), -self.margin(), -self.margin()
        )
        painter.drawItemText(
            rect, int(self.alignment()), self.palette(), self.isEnabled(), self._shown,
            self.foregroundRole(),
        )  # fmt: skip

    def _update_shown(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin()
        full = self.text()
        self._shown = self.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, width)
        cut = self._shown != full
        tip = full if cut and not self._tip else self._tip
        if cut and self._tip and full not in self._tip:
            tip = f"{full}\n{self._tip}"
        super().setToolTip(tip)
        self.update()


class ElidingComboBox(QComboBox):
    """A combo box as wide as its longest choice when there is room, narrower when not.

    The chosen text is then cut with "…" and the tooltip holds it whole.
    """

    def __init__(self, parent: QWidget | None = None, min_chars: int = 8) -> None:
        super().__init__(parent)
        self._tip = ""
        self._min_chars = min_chars
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(self._update_tip)

    def setToolTip(self, tip: str) -> None:
        self._tip = tip
        self._update_tip()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        chrome = max(0, self.width() - field.width()) if self.width() > 0 else 0
        chrome = chrome or self.fontMetrics().height() * 2  # the arrow and frame, before layout
        narrow = self.fontMetrics().horizontalAdvance("M" * self._min_chars) + chrome
        return QSize(min(hint.width(), narrow), hint.height())

    def text_room(self) -> int:
        """How wide the chosen text may be, in pixels."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return max(0, field.width() - 4)

    def shown_text(self) -> str:
        """What is on screen now (the choice, or its start and "…")."""
        full = self.currentText() or self.placeholderText()
        return self.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, self.text_room())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        opt.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)

    def _update_tip(self) -> None:
        full = self.currentText()
        cut = bool(full) and self.shown_text() != full
        tip = self._tip
        if cut:
            tip = f"{full}\n{self._tip}" if self._tip else full
        super().setToolTip(tip)
