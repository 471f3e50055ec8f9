"""‹ 2/3 ›: which version of a message is shown, and the way to the others.

Editing a sent message or regenerating a reply keeps the old version as a sibling
in the chat's tree; a message with siblings shows this switcher in its header.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


class BranchSwitcher(QWidget):
    """Previous / next version of one message.

    Signals:
        stepRequested(int): -1 for the previous version, +1 for the next.
    """

    stepRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("branchSwitcher")
        self.prev_button = self._button("‹", self.tr("Previous version"))
        self.next_button = self._button("›", self.tr("Next version"))
        self.label = QLabel()
        self.label.setObjectName("branchLabel")
        self.label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.prev_button)
        layout.addWidget(self.label)
        layout.addWidget(self.next_button)
        self.prev_button.clicked.connect(lambda: self.stepRequested.emit(-1))
        self.next_button.clicked.connect(lambda: self.stepRequested.emit(1))
        self._index = 0
        self._count = 1
        self._busy = False

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def set_branch(self, index: int, count: int) -> None:
        """`index` is 0-based among `count` versions; hidden when there is only one."""
        self._index, self._count = index, count
        self.label.setText(f"{index + 1}/{count}")
        self.label.setToolTip(
            self.tr("Version %1 of %2").replace("%1", str(index + 1)).replace("%2", str(count))
        )
        self.setVisible(count > 1)
        self._update_buttons()

    def set_busy(self, busy: bool) -> None:
        """While a reply streams the chat's branch cannot change."""
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.prev_button.setEnabled(not self._busy and self._index > 0)
        self.next_button.setEnabled(not self._busy and self._index < self._count - 1)

    @property
    def index(self) -> int:
        return self._index

    @property
    def count(self) -> int:
        return self._count
