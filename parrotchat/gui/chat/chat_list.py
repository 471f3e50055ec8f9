"""The sidebar: chats newest first, search, new, rename, and delete with Undo.

Deleting hides the chat at once and offers Undo for a few seconds; only then is
it removed from the store (or when the window closes).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.chats.records import ChatSummary

UNDO_MS = 8000
SEARCH_DELAY_MS = 150


class ChatListPanel(QWidget):
    """Chats, newest first.

    Signals:
        chatSelected(int): open this chat.
        newChatRequested(): start a new chat.
        renameRequested(int, str): chat id, new title.
        deleteStarted(int): the chat is hidden and will be deleted unless undone.
        deleteConfirmed(int): the Undo time passed: delete this chat for good.
        searchChanged(str): list chats matching this text (title or messages).
    """

    chatSelected = Signal(int)
    newChatRequested = Signal()
    renameRequested = Signal(int, str)
    deleteStarted = Signal(int)
    deleteConfirmed = Signal(int)
    searchChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new_button = QPushButton(self.tr("New chat"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search chats"))
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(False)
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
        layout.addWidget(self.list, 1)
        layout.addWidget(self.undo_bar)
        self._pending_delete: int | None = None
        self._current: int | None = None
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
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._emit_search)
        self._search_timer.timeout.connect(self._emit_search)
        self.undo_button.clicked.connect(self.undo_delete)
        self._undo_timer.timeout.connect(self.commit_delete)

    # --- contents ----------------------------------------------------------------------

    def set_chats(self, chats: list[ChatSummary]) -> None:
        self.list.clear()
        for chat in chats:
            if chat.id == self._pending_delete:
                continue
            item = QListWidgetItem(chat.title)
            item.setData(Qt.ItemDataRole.UserRole, chat.id)
            item.setToolTip(chat.title)
            self.list.addItem(item)
        self.set_current(self._current)

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

    @Slot(QListWidgetItem)
    def _item_clicked(self, item: QListWidgetItem) -> None:
        self.chatSelected.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(QPoint)
    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        chat_id = int(item.data(Qt.ItemDataRole.UserRole))
        menu = QMenu(self)
        rename = menu.addAction(self.tr("Rename…"))
        delete = menu.addAction(self.tr("Delete"))
        chosen = menu.exec(self.list.viewport().mapToGlobal(pos))
        if chosen is rename:
            self.ask_rename(chat_id, item.text())
        elif chosen is delete:
            self.request_delete(chat_id, item.text())

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
