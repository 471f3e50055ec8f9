"""The "Documents" button by the composer: which collections the open chat answers from."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget


class DocumentsPicker(QToolButton):
    """A menu of the collections, each checkable, and "Manage documents…".

    Signals:
        selectionChanged(list): the names now chosen for the open chat.
        manageRequested(): open the Documents window.
        menuOpening(): the menu is about to show: the collections can be read now.
    """

    selectionChanged = Signal(list)
    manageRequested = Signal()
    menuOpening = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentsPicker")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setAutoRaise(True)
        self._menu = QMenu(self)
        self.setMenu(self._menu)
        self._menu.aboutToShow.connect(self.menuOpening)
        self._names: list[str] = []
        self._chosen: list[str] = []
        self._rebuild()

    @property
    def chosen(self) -> list[str]:
        return list(self._chosen)

    def set_collections(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._rebuild()

    def set_chosen(self, names: Sequence[str]) -> None:
        """The open chat's choice. A collection removed since stays chosen (the chat
        keeps it; a reply says it is missing) and is listed in the button's text."""
        self._chosen = list(names)
        self._rebuild()

    def _rebuild(self) -> None:
        self._menu.clear()
        for name in self._names:
            action = QAction(name, self._menu)
            action.setCheckable(True)
            action.setChecked(name in self._chosen)
            action.setData(name)
            action.toggled.connect(self._toggled)
            self._menu.addAction(action)
        if not self._names:
            empty = self._menu.addAction(self.tr("No collections yet"))
            empty.setEnabled(False)
        self._menu.addSeparator()
        manage = self._menu.addAction(self.tr("Manage documents…"))
        manage.triggered.connect(self.manageRequested)
        if self._chosen:
            self.setText(self.tr("Documents: %1").replace("%1", ", ".join(self._chosen)))
        else:
            self.setText(self.tr("Documents: none"))
        self.setToolTip(self.tr("Answer from these document collections, citing them as [1], [2]"))

    @Slot(bool)
    def _toggled(self, on: bool) -> None:
        action = self.sender()
        if not isinstance(action, QAction):
            return
        name = str(action.data())
        if on and name not in self._chosen:
            self._chosen.append(name)
        elif not on and name in self._chosen:
            self._chosen.remove(name)
        self.setText(
            self.tr("Documents: %1").replace("%1", ", ".join(self._chosen))
            if self._chosen
            else self.tr("Documents: none")
        )
        self.selectionChanged.emit(list(self._chosen))

    def action_for(self, name: str) -> QAction | None:
        """The menu's entry for a collection (tests tick it as a user would)."""
        for action in self._menu.actions():
            if action.data() == name:
                return action
        return None
