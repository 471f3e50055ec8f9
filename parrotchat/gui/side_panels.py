"""The chat list and the controls beside the chat: shown as the user chose, as room allows.

The chat column keeps at least CHAT_MIN_WIDTH pixels (logical, so at any scale
factor); when the window is narrower than the panels and that, the panels give way,
the controls first, and come back when the window widens. Each panel has a toggle
(View menu and toolbar). Turning one on in a narrow window makes room for it by
folding the other, and squeezes it to its narrowest if it must. The user's choice
(on or off) is kept in the settings; folding for lack of room leaves it unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter

from parrotchat.core.settings import Settings

CHAT_MIN_WIDTH = 440  # the chat column: a readable line of text and the message buttons
CHAT_SQUEEZED_WIDTH = 320  # the least it is left when the user asks for a panel anyway


class SidePanels(QObject):
    """Shows and folds the two side panels of `splitter` (chat list, center, controls).

    Signals:
        noticePosted(str): a panel asked for cannot fit; says so (status bar).
    """

    noticePosted = Signal(str)

    def __init__(
        self,
        splitter: QSplitter,
        actions: tuple[QAction, QAction],
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.splitter = splitter
        self.settings = settings
        self.actions = actions
        first, last = splitter.widget(0), splitter.widget(2)
        assert first is not None and last is not None
        self.panels = (first, last)
        for index in range(3):
            splitter.setCollapsible(index, False)  # hidden is a choice, not a drag to 0
        # The panels' own minimum widths must not hold the window wide: they fold instead.
        splitter.setMinimumWidth(CHAT_SQUEEZED_WIDTH)
        # Kept in the settings rather than read back from the splitter's saved state: a
        # splitter not yet on screen scales its sizes to a default width.
        self.widths = list(settings.panel_widths)
        self._first = 0  # the panel that keeps its place when only one fits
        self._fitting = False
        for index, action in enumerate(actions):
            action.setCheckable(True)
            action.triggered.connect(lambda on, i=index: self.set_wanted(i, on))
        splitter.splitterMoved.connect(self._moved)
        splitter.installEventFilter(self)

    def wanted(self, index: int) -> bool:
        """The user's choice for panel `index` (0: chat list, 1: controls)."""
        return self.settings.show_chat_list if index == 0 else self.settings.show_controls

    def shown(self, index: int) -> bool:
        return not self.panels[index].isHidden()

    @Slot(int, bool)
    def set_wanted(self, index: int, on: bool) -> None:
        """The user turned panel `index` on or off: remember it, and make room if needed."""
        if index == 0:
            self.settings.show_chat_list = on
        else:
            self.settings.show_controls = on
        if on:
            self._first = index
        self.fit(force=index if on else None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.splitter and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.fit()
        return False

    def fit(self, force: int | None = None) -> None:
        """Show the wanted panels that leave the chat its room; `force`: that one anyway."""
        if self._fitting or not self.splitter.isVisible():
            return
        self._fitting = True
        try:
            self._fit(force)
        finally:
            self._fitting = False

    def _fit(self, force: int | None) -> None:
        handle = self.splitter.handleWidth()
        total = self.splitter.width()
        room = total - CHAT_MIN_WIDTH
        show = [False, False]
        widths = list(self.widths)
        for index in (self._first, 1 - self._first):
            need = widths[index] + handle
            if self.wanted(index) and need <= room:
                show[index] = True
                room -= need
        if force is not None and not show[force]:
            # Asked for in a window too narrow for both: the other one folds, and this
            # one and the chat share what is left, down to their narrowest.
            narrowest = self.panels[force].minimumSizeHint().width()
            room = total - handle
            if room - narrowest >= CHAT_SQUEEZED_WIDTH:
                show = [index == force for index in range(2)]
                widths[force] = max(narrowest, min(widths[force], room - CHAT_MIN_WIDTH))
            else:
                self.noticePosted.emit(
                    self.tr("The window is too narrow for this panel: make it wider.")
                )
        for index, panel in enumerate(self.panels):
            panel.setVisible(show[index])
            self.actions[index].setChecked(show[index])
        center = total - sum(widths[i] + handle for i in range(2) if show[i])
        self.splitter.setSizes(
            [widths[0] if show[0] else 0, max(center, 0), widths[1] if show[1] else 0]
        )

    @Slot(int, int)
    def _moved(self, _pos: int, _index: int) -> None:
        self.remember()

    def remember(self) -> None:
        """Keep the widths of the panels on screen (dragged, or set) for the next start."""
        sizes = self.splitter.sizes()
        for index, size in ((0, sizes[0]), (1, sizes[2])):
            if self.shown(index) and size > 0:
                self.widths[index] = size
        self.settings.panel_widths = list(self.widths)
