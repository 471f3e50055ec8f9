"""What a person would call cut off in a window: text that does not fit its widget, and
widgets that stick out of the window (or out of the panel that holds them).

`clipped(window)` lists each such widget with the reason, in words; [] is a clean
window. It looks at every visible label, button, combo box, spin box and group box:

- it must lie inside the window and inside every widget around it, left to right; top
  to bottom too, except inside a scroll area, where what is below is scrolled to;
- its text must fit its width, or (ElidedLabel, ElidingComboBox) be cut with "…" while
  the tooltip holds it whole; a word-wrapped label must be tall enough for its lines;
  a wrapping text view (a message) must not be laid out wider than it is.

`hidden_in_toolbar(window)` lists toolbar items pushed behind the toolbar's "»" button.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QMenuBar,
    QStyle,
    QStyleOptionComboBox,
    QTextEdit,
    QToolBar,
    QWidget,
)

SLACK_PX = 1  # rounding at fractional scale factors


def _name(widget: QWidget) -> str:
    text = ""
    for attr in ("text", "currentText", "title"):
        getter = getattr(widget, attr, None)
        if callable(getter):
            try:
                value = getter()
            except TypeError:
                continue
            if isinstance(value, str) and value:
                text = value
                break
    kind = type(widget).__name__
    label = widget.objectName() or kind
    return f"{label} {text[:40]!r}" if text else label


def _outside(widget: QWidget, window: QWidget) -> str | None:
    """Why `widget` sticks out of something around it, or None."""
    rect = QRect(QPoint(0, 0), widget.size())
    child: QWidget = widget
    parent = widget.parentWidget()
    scrolled = False
    while parent is not None:
        rect.translate(child.pos())
        area = parent.parentWidget()
        is_viewport = isinstance(area, QAbstractScrollArea) and area.viewport() is parent
        bounds = parent.rect()
        if rect.left() < bounds.left() - SLACK_PX or rect.right() > bounds.right() + SLACK_PX:
            return f"sticks out of {_name(parent)} on the side ({rect} in {bounds})"
        if is_viewport:
            if rect.bottom() < bounds.top() or rect.top() > bounds.bottom():
                return None  # scrolled away: not on screen
            scrolled = True
            rect = rect.intersected(QRect(rect.left(), 0, rect.width(), bounds.height()))
        elif not scrolled and (
            rect.top() < bounds.top() - SLACK_PX or rect.bottom() > bounds.bottom() + SLACK_PX
        ):
            return f"sticks out of {_name(parent)} at the top or bottom ({rect} in {bounds})"
        if parent is window:
            return None
        child, parent = parent, parent.parentWidget()
    return None


def _elided_ok(widget: QWidget, full: str) -> str | None:
    shown = widget.shown_text()  # type: ignore[attr-defined]
    if shown == full:
        return None
    if not shown.endswith("…"):
        return f"shows {shown!r} of {full!r} without a '…'"
    if full not in widget.toolTip():
        return f"is cut to {shown!r} but its tooltip does not hold {full!r}"
    return None


def _text_problem(widget: QWidget) -> str | None:
    fm = widget.fontMetrics()
    if isinstance(widget, QLabel):
        text = widget.text()
        if not text or not widget.pixmap().isNull():
            return None
        if hasattr(widget, "shown_text"):
            return _elided_ok(widget, text)
        room = widget.contentsRect().width() - 2 * widget.margin() - max(0, widget.indent())
        if widget.wordWrap():
            need = widget.heightForWidth(widget.width())
            if need > widget.height() + SLACK_PX:
                return f"wraps to {need} px but is {widget.height()} px tall"
            return None
        if widget.textFormat() != widget.textFormat().PlainText and "<" in text:
            need = widget.sizeHint().width()
            if need > widget.width() + SLACK_PX:
                return f"needs {need} px, has {widget.width()}"
            return None
        need = max(fm.horizontalAdvance(line) for line in text.split("\n"))
        if need > room + SLACK_PX:
            return f"text needs {need} px, has {room}"
        return None
    if isinstance(widget, QAbstractButton):
        if not widget.text():
            return None
        need = widget.sizeHint().width()
        if need > widget.width() + SLACK_PX:
            return f"needs {need} px for its text, has {widget.width()}"
        return None
    if isinstance(widget, QComboBox):
        full = widget.currentText() or widget.placeholderText()
        if not full:
            return None
        if hasattr(widget, "shown_text"):
            return _elided_ok(widget, full)
        opt = QStyleOptionComboBox()
        widget.initStyleOption(opt)
        field = widget.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, widget
        )
        need = fm.horizontalAdvance(full)
        if need > field.width() + SLACK_PX:
            return f"choice needs {need} px, has {field.width()}"
        return None
    if isinstance(widget, QAbstractSpinBox):
        edit = widget.lineEdit()
        need = edit.fontMetrics().horizontalAdvance(widget.text())
        room = edit.contentsRect().width() - 4  # the line edit's own text margins
        if need > room + SLACK_PX:
            return f"value needs {need} px, has {room}"
        return None
    if isinstance(widget, QTextEdit):
        if widget.lineWrapMode() == QTextEdit.LineWrapMode.NoWrap:
            return None  # code: it scrolls sideways on purpose
        need = widget.document().idealWidth()
        room = widget.viewport().width()
        if need > room + SLACK_PX:
            return f"text runs {need:.0f} px wide in a {room} px view"
        return None
    if isinstance(widget, QGroupBox):
        need = fm.horizontalAdvance(widget.title())
        if need > widget.width() - 8:
            return f"title needs {need} px, has {widget.width() - 8}"
    return None


CHECKED = (QLabel, QAbstractButton, QComboBox, QAbstractSpinBox, QGroupBox, QTextEdit)


def clipped(window: QWidget) -> list[str]:
    """Every visible text widget of `window` that is cut off, with why; [] when none is."""
    problems = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CHECKED) or not widget.isVisible() or widget.isWindow():
            continue
        if widget.window() is not window:
            continue  # a popup or a dialog of its own
        if isinstance(widget.parentWidget(), (QMenuBar, QToolBar)) and widget.objectName() in (
            "qt_menubar_ext_button",
            "qt_toolbar_ext_button",
        ):
            continue
        where = _outside(widget, window)
        if where is None:
            what = _text_problem(widget)
            if what is not None:
                problems.append(f"{_name(widget)}: {what}")
        else:
            problems.append(f"{_name(widget)}: {where}")
    return problems


def hidden_in_toolbar(window: QWidget) -> list[str]:
    """Toolbar items pushed into the toolbar's "»" menu for lack of room."""
    hidden = []
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            item = bar.widgetForAction(action)
            if item is not None and not item.isVisible() and action.isVisible():
                hidden.append(f"{_name(item)} in toolbar {bar.objectName()}")
    return hidden
