"""What the chat list's search box found: chats by title, then messages, matches marked.

Each message hit shows its chat's title over a snippet of the message with the
matching words marked (the store gives the snippet and the match offsets); a hit in a
version of a message not shown now says so. Activating a hit asks for the chat to be
opened at that message.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QKeyEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from parrotchat.core.chats.records import ChatSummary, SearchHit
from parrotchat.gui.theme import mix

CHAT_ROLE = Qt.ItemDataRole.UserRole
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1  # 0: the chat itself (a title match)
SHOWN_ROLE = Qt.ItemDataRole.UserRole + 2
HTML_ROLE = Qt.ItemDataRole.UserRole + 3
PADDING = 4
MAX_LINES = 6  # a snippet is ~80 characters: this is a guard, not a cut
# Marked text is a class; its colours come from the palette when the item is painted,
# so that they follow the theme.
MARK_OPEN = '<span class="mark">'


def mark_css(palette: QPalette) -> str:
    """Bold text on the base colour tinted with the highlight colour."""
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    back = mix(base, palette.color(QPalette.ColorRole.Highlight), 0.4)
    return f".mark {{ background-color: {back.name()}; color: {text.name()}; font-weight: bold }}"


def marked_html(text: str, marks: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """`text` as HTML, the (start, end) ranges in `marks` marked; overlaps merged."""
    out: list[str] = []
    at = 0
    for start, end in sorted(marks):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        out.append(html.escape(text[at:start]))
        out.append(f"{MARK_OPEN}{html.escape(text[start:end])}</span>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def title_marks(title: str, query: str) -> list[tuple[int, int]]:
    """Where `query` occurs in `title`, ignoring case (as the search does)."""
    folded, needle = title.casefold(), query.casefold()
    if not needle or len(folded) != len(title):  # casefold changed lengths: mark nothing
        return []
    marks, at = [], folded.find(needle)
    while at >= 0:
        marks.append((at, at + len(needle)))
        at = folded.find(needle, at + len(needle))
    return marks


class _HitDelegate(QStyledItemDelegate):
    """Paints an item's HTML (title over snippet) inside the usual item background."""

    def _document(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QTextDocument:
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(option.font)
        doc.setDefaultStyleSheet(mark_css(option.palette))
        doc.setHtml(str(index.data(HTML_ROLE)))
        doc.setTextWidth(max(40, self._width(option) - 2 * PADDING))
        return doc

    @staticmethod
    def _width(option: QStyleOptionViewItem) -> int:
        view = option.widget
        if isinstance(view, QListView):
            return int(view.viewport().width())
        return int(option.rect.width())

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if index.data(HTML_ROLE) is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        doc = self._document(opt, index)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.save()
        painter.translate(opt.rect.left() + PADDING, opt.rect.top() + PADDING)
        painter.setClipRect(0, 0, opt.rect.width() - 2 * PADDING, opt.rect.height() - PADDING)
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        if index.data(HTML_ROLE) is None:
            return super().sizeHint(option, index)
        doc = self._document(option, index)
        line = option.fontMetrics.lineSpacing()
        height = min(int(doc.size().height()), MAX_LINES * line)
        return QSize(self._width(option), height + 2 * PADDING)


class SearchResults(QListWidget):
    """Search hits, best first.

    Signals:
        resultActivated(int, int, bool): chat id, message id (0: the chat, found by its
            title), and whether that message is on the branch shown now.
    """

    resultActivated = Signal(int, int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchResults")
        self.setItemDelegate(_HitDelegate(self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)  # re-measure the HTML on resize
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(True)
        # Clicks and Enter only: itemActivated also fires on a click in some styles,
        # and a result opened twice would switch its branch twice.
        self.itemClicked.connect(self._activated)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem():
            self._activated(self.currentItem())
            return
        super().keyPressEvent(event)

    def show_results(self, query: str, chats: list[ChatSummary], hits: list[SearchHit]) -> None:
        """Chats whose title contains `query`, then the messages that do."""
        self.clear()
        for chat in chats:
            title = marked_html(chat.title, title_marks(chat.title, query))
            self._add(f"<b>{title}</b>", chat.id, 0, True, chat.title)
        for hit in hits:
            note = ""
            if not hit.shown:
                other = html.escape(self.tr("in another version"))
                note = f' <span style="font-weight:normal">· {other}</span>'
            text = (
                f"<b>{html.escape(hit.title)}</b>{note}<br>"
                f"<span>{marked_html(hit.snippet, hit.marks)}</span>"
            )
            self._add(text, hit.chat_id, hit.message_id, hit.shown, f"{hit.title}\n{hit.snippet}")
        if not chats and not hits:
            item = QListWidgetItem(self.tr("Nothing found for “%1”").replace("%1", query))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
        elif self.count():
            self.setCurrentRow(0)

    def _add(self, text: str, chat_id: int, message_id: int, shown: bool, tip: str) -> None:
        item = QListWidgetItem()
        item.setData(HTML_ROLE, text)
        item.setData(CHAT_ROLE, chat_id)
        item.setData(MESSAGE_ROLE, message_id)
        item.setData(SHOWN_ROLE, shown)
        item.setToolTip(tip)
        self.addItem(item)

    def results(self) -> list[tuple[int, int]]:
        """(chat id, message id) of each result, in order (tests, keyboard)."""
        rows = (self.item(r) for r in range(self.count()))
        return [
            (int(i.data(CHAT_ROLE)), int(i.data(MESSAGE_ROLE)))
            for i in rows
            if i.data(CHAT_ROLE) is not None
        ]

    def item_html(self, row: int) -> str:
        return str(self.item(row).data(HTML_ROLE) or "")

    def activate_row(self, row: int) -> None:
        item = self.item(row)
        if item is not None:
            self._activated(item)

    def remove_chat(self, chat_id: int) -> None:
        """A chat being deleted leaves the results at once."""
        for row in reversed(range(self.count())):
            if self.item(row).data(CHAT_ROLE) == chat_id:
                self.takeItem(row)

    @Slot(QListWidgetItem)
    def _activated(self, item: QListWidgetItem) -> None:
        chat_id = item.data(CHAT_ROLE)
        if chat_id is None:
            return
        self.resultActivated.emit(
            int(chat_id), int(item.data(MESSAGE_ROLE)), bool(item.data(SHOWN_ROLE))
        )
