"""The sidebar: chats (pinned first, then newest), search, new, rename, pin, delete.

Deleting hides the chat at once and offers Undo for UNDO_MS; only then is it
removed from the store (or when the window closes), so a crash or a kill in the
meantime loses nothing. Typing in the search box searches every message of every
chat: the results (search_results.py) take the list's place until the box is
cleared (or Esc).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.chats.records import ChatSummary, SearchHit
from parrotchat.gui.chat.search_results import SearchResults
from parrotchat.gui.theme import ERROR_HUE

UNDO_MS = 10_000
SEARCH_DELAY_MS = 150
PINNED_ROLE = Qt.ItemDataRole.UserRole + 1


def pin_icon(needle: QColor, size: int = 16) -> QIcon:
    """A small drawn pushpin (no emoji font needed): the mark of a pinned chat.

    `needle`: the needle's colour, from the palette (a fixed grey vanishes on a dark one).
    """
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 16, size / 16)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(ERROR_HUE)
    painter.drawEllipse(QPointF(9.5, 5.5), 4.2, 4.2)  # the head
    body = QPainterPath()
    body.moveTo(6.2, 6.0)
    body.lineTo(10.0, 9.8)
    body.lineTo(8.6, 11.2)
    body.lineTo(4.8, 7.4)
    body.closeSubpath()
    painter.drawPath(body)
    painter.setPen(needle)
    painter.drawLine(QPointF(6.7, 9.3), QPointF(2.0, 14.0))  # the needle
    painter.end()
    return QIcon(pixmap)


class ChatListPanel(QWidget):
    """Chats, pinned first, then newest first; or what the search box found.

    Signals:
        chatSelected(int): open this chat.
        newChatRequested(): start a new chat.
        renameRequested(int, str): chat id, new title.
        pinRequested(int, bool): chat id, pin (True) or unpin it.
        deleteStarted(int): the chat is hidden and will be deleted unless undone.
        deleteConfirmed(int): the Undo time passed: delete this chat for good.
        searchChanged(str): search the messages for this text ("": back to the list).
        resultActivated(int, int, bool): open chat id at message id (0: its end);
            whether that message is on the branch shown.
    """

    chatSelected = Signal(int)
    newChatRequested = Signal()
    renameRequested = Signal(int, str)
    pinRequested = Signal(int, bool)
    deleteStarted = Signal(int)
    deleteConfirmed = Signal(int)
    searchChanged = Signal(str)
    resultActivated = Signal(int, int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new_button = QPushButton(self.tr("New chat"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search all messages"))
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(False)
        self.results = SearchResults()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.list)
        self.pages.addWidget(self.results)
        self.undo_bar = QWidget()
        self.undo_label = QLabel()
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Undo"))
        undo_layout = QHBoxLayout(self.undo_bar)
        undo_layout.setContentsMargins(0, 0, 0, 0)
        undo_layout.addWidget(self.undo_label, 1)
        undo_layout.addWidget(self.undo_button)
        self.undo_bar.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.undo_bar)
        self._pending_delete: int | None = None
        self._current: int | None = None
        self._pinned: set[int] = set()
        self._pin_icon = pin_icon(self.palette().color(QPalette.ColorRole.PlaceholderText))
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_MS)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.new_button.clicked.connect(self.newChatRequested)
        self.list.itemClicked.connect(self._item_clicked)
        self.list.itemActivated.connect(self._item_clicked)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.results.resultActivated.connect(self.resultActivated)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._emit_search)
        self._search_timer.timeout.connect(self._emit_search)
        self.undo_button.clicked.connect(self.undo_delete)
        self._undo_timer.timeout.connect(self.commit_delete)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # A new theme: the pin's needle too (not while __init__ still builds the panel).
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_pin_icon"):
            self._pin_icon = pin_icon(self.palette().color(QPalette.ColorRole.PlaceholderText))
            for row in range(self.list.count()):
                item = self.list.item(row)
                if item.data(PINNED_ROLE):
                    item.setIcon(self._pin_icon)

    # --- contents ----------------------------------------------------------------------

    def set_chats(self, chats: list[ChatSummary]) -> None:
        self.list.clear()
        self._pinned = set()
        for chat in chats:
            if chat.id == self._pending_delete:
                continue
            item = QListWidgetItem(chat.title)
            item.setData(Qt.ItemDataRole.UserRole, chat.id)
            item.setData(PINNED_ROLE, chat.pinned)
            if chat.pinned:
                self._pinned.add(chat.id)
                item.setIcon(self._pin_icon)
                item.setToolTip(self.tr("%1 (pinned)").replace("%1", chat.title))
            else:
                item.setToolTip(chat.title)
            self.list.addItem(item)
        self.set_current(self._current)

    def show_results(self, query: str, chats: list[ChatSummary], hits: list[SearchHit]) -> None:
        """What the search box found, in the list's place."""
        shown = [c for c in chats if c.id != self._pending_delete]
        kept = [h for h in hits if h.chat_id != self._pending_delete]
        self.results.show_results(query, shown, kept)
        self.pages.setCurrentWidget(self.results)

    def show_list(self) -> None:
        self.pages.setCurrentWidget(self.list)

    @property
    def showing_results(self) -> bool:
        return self.pages.currentWidget() is self.results

    def is_pinned(self, chat_id: int) -> bool:
        return chat_id in self._pinned

    def set_current(self, chat_id: int | None) -> None:
        self._current = chat_id
        self.list.blockSignals(True)
        self.list.clearSelection()
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == chat_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def chat_ids(self) -> list[int]:
        return [
            int(self.list.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(self.list.count())
        ]

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    @Slot()
    def _emit_search(self) -> None:
        self._search_timer.stop()
        self.searchChanged.emit(self.search.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # In the search box: Esc clears it (back to the list), Down goes to the results.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                self._emit_search()
                return True
            if event.key() == Qt.Key.Key_Down and self.showing_results and self.results.count():
                self.results.setFocus()
                return True
        return super().eventFilter(watched, event)

    @Slot(QListWidgetItem)
    def _item_clicked(self, item: QListWidgetItem) -> None:
        self.chatSelected.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(QPoint)
    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.menu_for(item).exec(self.list.viewport().mapToGlobal(pos))

    def menu_for(self, item: QListWidgetItem) -> QMenu:
        """The chat's context menu: Rename…, Pin to top / Unpin, Delete."""
        chat_id = int(item.data(Qt.ItemDataRole.UserRole))
        title = item.text()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rename = menu.addAction(self.tr("Rename…"))
        rename.setObjectName("renameAction")
        rename.triggered.connect(lambda: self.ask_rename(chat_id, title))
        pinned = self.is_pinned(chat_id)
        pin = menu.addAction(self.tr("Unpin") if pinned else self.tr("Pin to top"))
        pin.setObjectName("pinAction")
        pin.triggered.connect(lambda: self.pinRequested.emit(chat_id, not pinned))
        menu.addSeparator()
        delete = menu.addAction(self.tr("Delete"))
        delete.setObjectName("deleteAction")
        delete.triggered.connect(lambda: self.request_delete(chat_id, title))
        return menu

    def item_for(self, chat_id: int) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == chat_id:
                return item
        return None

    # --- rename and delete ---------------------------------------------------------------

    def ask_rename(self, chat_id: int, title: str) -> None:
        new, ok = QInputDialog.getText(self, self.tr("Rename chat"), self.tr("Title:"), text=title)
        if ok and new.strip():
            self.renameRequested.emit(chat_id, new.strip())

    def request_delete(self, chat_id: int, title: str) -> None:
        """Hide the chat now; delete it for good when the Undo time has passed."""
        self.commit_delete()
        self._pending_delete = chat_id
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == chat_id:
                self.list.takeItem(row)
                break
        self.results.remove_chat(chat_id)
        self.undo_label.setText(self.tr("Deleted “%1”").replace("%1", title))
        self.undo_bar.setVisible(True)
        self._undo_timer.start()
        self.deleteStarted.emit(chat_id)

    @property
    def pending_delete(self) -> int | None:
        return self._pending_delete

    @Slot()
    def undo_delete(self) -> None:
        self._undo_timer.stop()
        self._pending_delete = None
        self.undo_bar.setVisible(False)
        self.searchChanged.emit(self.search.text())  # show it again

    @Slot()
    def commit_delete(self) -> None:
        self._undo_timer.stop()
        chat_id, self._pending_delete = self._pending_delete, None
        self.undo_bar.setVisible(False)
        if chat_id is not None:
            self.deleteConfirmed.emit(chat_id)
