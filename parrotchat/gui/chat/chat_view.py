"""The open chat: its messages, the reply streaming in, lazily built and throttled.

- Lazy: opening a chat builds widgets for its last PAGE messages only; scrolling
  to the top builds the page before, keeping what the user looks at in place. A
  long chat arrives as its newest messages only (`Chat.older` counts the rest);
  the rest is read from `history` LOAD_PAGE messages at a time as it is reached.
- Windowed: a message opened from a search, or a switched branch, builds a page
  from there down only; scrolling to the bottom builds the page after. Sending
  goes back to the newest messages first.
- Branches: a message with siblings shows ‹ 2/3 ›; switching replaces the messages
  from that one down and leaves those above (and the scroll position) as they were.
- Streaming: until the first text, the reply says how far the engine got reading
  the prompt; then tokens are buffered and appended to the reply at most REFRESH_HZ
  times a second (one insert per frame, never a re-render of the message).
- Auto-scroll follows the reply unless the user has scrolled up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from parrotchat.core.chats.records import Chat, Message, utc_now
from parrotchat.core.errors import StorageError
from parrotchat.gui.chat.message_widget import MessageWidget

PAGE = 15
LOAD_PAGE = 100  # older messages read from the store at a time
REFRESH_HZ = 30
LOAD_MORE_PX = 40  # this close to the top (bottom), the page before (after) is built
REVEAL_ABOVE = 2  # messages built above one opened from a search, for its context
REVEAL_MARGIN_PX = 24
FOLLOW_SLACK_PX = 8


class ChatView(QScrollArea):
    """Shows one chat.

    Signals:
        editRequested(int, str): edit this user message (id, text) and resend.
        regenerateRequested(): redo the last reply.
        branchRequested(int, int): message id, step: show its previous / next version.
        streamEnded(int): the streaming reply (message id) stopped changing on screen.
    """

    editRequested = Signal(int, str)
    regenerateRequested = Signal()
    branchRequested = Signal(int, int)
    streamEnded = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self._container = QWidget()
        self._container.setObjectName("chatContainer")
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(16, 12, 16, 12)
        self._layout.setSpacing(10)
        self._older_hint = QLabel()
        self._older_hint.setObjectName("olderHint")
        self._older_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._older_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._older_hint)
        self._empty = self._build_empty_state()
        self._layout.addWidget(self._empty)
        self._newer_hint = QLabel()
        self._newer_hint.setObjectName("newerHint")
        self._newer_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._newer_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._newer_hint.setVisible(False)
        self._layout.addWidget(self._newer_hint)
        self._layout.addStretch(1)
        self.setWidget(self._container)

        # Where older messages come from: (chat id, before message id, count) -> oldest first.
        self.history: Callable[[int, int, int], list[Message]] | None = None
        self._chat_id: int | None = None
        self._messages: list[Message] = []
        self._unloaded = 0  # messages before _messages[0], still in the store
        self._history_error: str | None = None
        self._first_built = 0  # index in _messages of the first message with a widget
        self._end_built = 0  # just after the last one with a widget (< len: newer unbuilt)
        self._widgets: list[MessageWidget] = []
        self._streaming: MessageWidget | None = None
        self._pending: list[str] = []
        self._busy = False
        self._follow = True
        self._keep_from_bottom: int | None = None
        self._anchor: MessageWidget | None = None  # a message to keep at the top (search)
        self._adjusting = False
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(1000 // REFRESH_HZ)
        self.show_chat(None)
        self._connect_signals()

    def _build_empty_state(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 60, 0, 0)
        title = QLabel(self.tr("Start a conversation"))
        title.setObjectName("emptyTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            self.tr(
                "Type a message below and press Enter. Shift+Enter starts a new line.\n"
                "Translate and Summarize are one click away under the message box."
            )
        )
        hint.setObjectName("emptyHint")
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(hint)
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        return box

    def _connect_signals(self) -> None:
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)
        self._flush_timer.timeout.connect(self._flush)

    # --- whole chats ---------------------------------------------------------------------

    def show_chat(self, chat: Chat | None) -> None:
        self._flush_timer.stop()
        self._pending.clear()
        self._streaming = None
        self._clear_widgets()
        self._chat_id = chat.id if chat is not None else None
        self._messages = list(chat.messages) if chat is not None else []
        self._unloaded = chat.older if chat is not None else 0
        self._history_error = None
        self._first_built = self._end_built = len(self._messages)
        self._empty.setVisible(not self._messages)
        self._follow = True
        self._keep_from_bottom = None
        self._anchor = None
        self._build_earlier(PAGE)
        self._update_newer_hint()
        self._update_last_actions()
        self._scroll_to_bottom()

    def _clear_widgets(self) -> None:
        self._anchor = None
        for widget in self._widgets:
            self._drop(widget)
        self._widgets = []

    def _drop(self, widget: MessageWidget) -> None:
        # Hidden at once: deleteLater waits for the event loop, and until then a widget
        # out of the layout would still paint where it was.
        self._layout.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    @property
    def message_widgets(self) -> list[MessageWidget]:
        return list(self._widgets)

    @property
    def hidden_older(self) -> int:
        """Messages above the built ones (built when scrolled to)."""
        return self._unloaded + self._first_built

    @property
    def hidden_newer(self) -> int:
        """Messages below the built ones (a search opened the chat further up)."""
        return len(self._messages) - self._end_built

    @property
    def messages(self) -> list[Message]:
        """The messages loaded (built or not), oldest first: the branch shown."""
        return list(self._messages)

    def _load_earlier(self, count: int) -> None:
        """Read older messages from the store until `count` are loaded but not built."""
        if self._first_built >= count or not self._unloaded or not self._messages:
            return
        if self.history is None or self._chat_id is None:
            return
        try:
            older = self.history(self._chat_id, self._messages[0].id, max(count, LOAD_PAGE))
        except StorageError as exc:
            self._history_error = str(exc)
            return
        self._history_error = None
        self._messages[0:0] = older
        self._first_built += len(older)
        self._end_built += len(older)
        self._unloaded = max(0, self._unloaded - len(older)) if older else 0

    def _build_earlier(self, count: int) -> None:
        self._load_earlier(count)
        start = max(0, self._first_built - count)
        new = [self._make_widget(m) for m in self._messages[start : self._first_built]]
        for offset, widget in enumerate(new):
            self._layout.insertWidget(self._message_index(offset), widget)
        self._widgets[0:0] = new
        self._first_built = start
        hidden = self.hidden_older
        more = self.tr("Scroll up for %1 earlier messages").replace("%1", f"{hidden:,}")
        self._older_hint.setText((self._history_error or more) if hidden else "")
        self._older_hint.setVisible(hidden > 0)

    def _message_index(self, offset: int) -> int:
        # Layout: older hint, empty state, messages..., newer hint, stretch.
        return 2 + offset

    def _build_later(self, count: int) -> None:
        end = min(len(self._messages), self._end_built + count)
        for message in self._messages[self._end_built : end]:
            widget = self._make_widget(message)
            self._layout.insertWidget(self._message_index(len(self._widgets)), widget)
            self._widgets.append(widget)
        self._end_built = end
        self._update_newer_hint()

    def _update_newer_hint(self) -> None:
        newer = self.hidden_newer
        self._newer_hint.setText(
            self.tr("Scroll down for %1 newer messages").replace("%1", f"{newer:,}")
        )
        self._newer_hint.setVisible(newer > 0)

    def _make_widget(self, message: Message) -> MessageWidget:
        widget = MessageWidget(message)
        widget.editRequested.connect(self.editRequested)
        widget.regenerateRequested.connect(self.regenerateRequested)
        widget.branchRequested.connect(self.branchRequested)
        return widget

    def _show_newest(self) -> None:
        """Back to the newest messages (a search or a switch left the view further up)."""
        if self.hidden_newer == 0:
            return
        self._clear_widgets()
        self._first_built = self._end_built = len(self._messages)
        self._build_earlier(PAGE)
        self._update_newer_hint()

    def _add_widget(self, message: Message) -> MessageWidget:
        self._show_newest()
        self._messages.append(message)
        self._end_built = len(self._messages)
        widget = self._make_widget(message)
        self._layout.insertWidget(self._message_index(len(self._widgets)), widget)
        self._widgets.append(widget)
        self._empty.setVisible(False)
        return widget

    def add_message(self, message: Message) -> None:
        self._add_widget(message)
        self._anchor = None
        self._follow = True
        self._update_last_actions()
        self._scroll_to_bottom()

    def remove_from(self, message_id: int) -> None:
        """Drop the message with this id and every message after it."""
        index = next((i for i, m in enumerate(self._messages) if m.id == message_id), None)
        if index is None:
            return
        self._anchor = None
        built_from = max(0, index - self._first_built)
        for widget in self._widgets[built_from:]:
            self._drop(widget)
        del self._widgets[built_from:]
        del self._messages[index:]
        self._first_built = min(self._first_built, len(self._messages))
        self._end_built = min(self._end_built, len(self._messages))
        self._empty.setVisible(not self._messages)
        self._update_newer_hint()
        self._update_last_actions()

    # --- branches and search hits ------------------------------------------------------

    def switch_branch(self, old_id: int, new_id: int, chat: Chat) -> None:
        """`old_id` gave way to its sibling `new_id`; `chat` is the chat's new tail.

        The messages above stay as they are (widgets and scroll position); from the
        switched message down, the new branch is shown, a page at a time.
        """
        index = next((i for i, m in enumerate(self._messages) if m.id == old_id), None)
        if index is None or index < self._first_built or chat.id != self._chat_id:
            self.show_chat(chat)
            return
        newer = self._read_back_to(new_id, chat)
        if newer is None:
            self.show_chat(chat)
            return
        for widget in self._widgets[index - self._first_built :]:
            self._drop(widget)
        del self._widgets[index - self._first_built :]
        self._messages[index:] = newer
        self._end_built = index
        self._follow = False
        self._keep_from_bottom = None
        self._anchor = None
        self._build_later(PAGE)
        self._update_last_actions()

    def _read_back_to(self, message_id: int, chat: Chat) -> list[Message] | None:
        """The new tail's messages from `message_id` on, read further back if needed."""
        messages = list(chat.messages)
        older = chat.older
        while True:
            found = next((i for i, m in enumerate(messages) if m.id == message_id), None)
            if found is not None:
                return messages[found:]
            if not older or not messages or self.history is None:
                return None
            try:
                page = self.history(chat.id, messages[0].id, LOAD_PAGE)
            except StorageError:
                return None
            if not page:
                return None
            messages[0:0] = page
            older = max(0, older - len(page))

    def reveal(self, message_id: int) -> MessageWidget | None:
        """Build the page around this message, scroll it into view and outline it."""
        index = self._load_back_to(message_id)
        if index is None:
            return None
        if not self._first_built <= index < self._end_built:
            self._clear_widgets()
            self._first_built = max(0, index - REVEAL_ABOVE)
            self._end_built = self._first_built
            self._build_later(PAGE)
            self._build_earlier(0)  # the hint above
        widget = self._widgets[index - self._first_built]
        self._follow = False
        self._keep_from_bottom = None
        self._update_last_actions()
        self._scroll_to(widget)
        widget.flash()
        return widget

    def _load_back_to(self, message_id: int) -> int | None:
        page = LOAD_PAGE
        while True:
            found = next((i for i, m in enumerate(self._messages) if m.id == message_id), None)
            if found is not None or not self._unloaded or self.history is None:
                return found
            if self._chat_id is None or not self._messages:
                return None
            try:
                older = self.history(self._chat_id, self._messages[0].id, page)
            except StorageError as exc:
                self._history_error = str(exc)
                return None
            if not older:
                self._unloaded = 0
                return None
            self._messages[0:0] = older
            self._first_built += len(older)
            self._end_built += len(older)
            self._unloaded = max(0, self._unloaded - len(older))
            page *= 2  # a hit far back in a long chat: fewer, bigger reads

    def _scroll_to(self, widget: MessageWidget) -> None:
        """Put the widget near the top of the view, and keep it there while the layout
        settles (every range change re-anchors it) until the user scrolls."""
        self._anchor = widget
        self._set_value(max(0, widget.y() - REVEAL_MARGIN_PX))

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self._widgets if w.message_id == message_id), None)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_last_actions()

    def _update_last_actions(self) -> None:
        # The last reply's Regenerate is only shown when the newest message is built.
        last = len(self._widgets) - 1 if self.hidden_newer == 0 else -1
        for i, widget in enumerate(self._widgets):
            widget.set_last_reply(i == last, self._busy)

    # --- streaming -------------------------------------------------------------------------

    def start_reply(
        self, message_id: int, model: str | None, branch_index: int = 0, branch_count: int = 1
    ) -> None:
        message = Message(
            message_id, self._chat_id or 0, "assistant", "", utc_now(), model, None, None,
            "streaming", branch_index=branch_index, branch_count=branch_count,
        )  # fmt: skip
        self._streaming = self._add_widget(message)
        self._anchor = None
        self._follow = True
        self._update_last_actions()
        self._scroll_to_bottom()

    def show_prompt_progress(self, done: int, total: int) -> None:
        """The engine is reading the prompt: say how far, until the first text comes."""
        if self._streaming is not None and not self._pending:
            self._streaming.set_prompt_progress(done, total)

    def append_reply(self, text: str) -> None:
        """O(1): buffer the text; the flush timer puts it on screen ~REFRESH_HZ times a second."""
        if self._streaming is None:
            return
        self._pending.append(text)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    @Slot()
    def _flush(self) -> None:
        if self._streaming is not None and self._pending:
            self._streaming.append_text("".join(self._pending))
        self._pending.clear()

    def end_reply(self, message_id: int, status: str, stats: dict[str, Any]) -> None:
        widget = self._streaming
        if widget is None or widget.message_id != message_id:
            self.update_stats(message_id, stats, status)
            return
        self._flush_timer.stop()
        self._flush()
        self._streaming = None
        widget.finish(status, stats)
        self._replace_message(widget, status, stats)
        self.streamEnded.emit(message_id)

    def _replace_message(self, widget: MessageWidget, status: str, stats: dict[str, Any]) -> None:
        for i, m in enumerate(self._messages):
            if m.id == widget.message_id:
                self._messages[i] = dataclasses.replace(
                    m, content=widget.text, stats=stats, status=status
                )

    def update_stats(
        self, message_id: int, stats: dict[str, Any], status: str = "complete"
    ) -> None:
        for widget in self._widgets:
            if widget.message_id == message_id:
                widget.set_stats(stats, widget.status if status == "complete" else status)

    @property
    def streaming_widget(self) -> MessageWidget | None:
        return self._streaming

    # --- scrolling ---------------------------------------------------------------------------

    def _scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        self._set_value(bar.maximum())

    def _set_value(self, value: int) -> None:
        self._adjusting = True
        try:
            self.verticalScrollBar().setValue(value)
        finally:
            self._adjusting = False

    @Slot(int, int)
    def _on_range_changed(self, _low: int, high: int) -> None:
        if self.hidden_newer:  # a page too short to scroll down: build on (not in here)
            QTimer.singleShot(0, self._fill_below)
        if self._anchor is not None:
            self._set_value(max(0, self._anchor.y() - REVEAL_MARGIN_PX))
        elif self._keep_from_bottom is not None:
            self._set_value(high - self._keep_from_bottom)
        elif self._follow:
            self._set_value(high)

    @Slot()
    def _fill_below(self) -> None:
        bar = self.verticalScrollBar()
        if self.hidden_newer and bar.value() >= bar.maximum() - LOAD_MORE_PX:
            self._build_later(PAGE)
            self._update_last_actions()

    @Slot(int)
    def _on_scrolled(self, value: int) -> None:
        if self._adjusting:
            return
        bar = self.verticalScrollBar()
        self._keep_from_bottom = None
        self._anchor = None
        # Following the bottom only makes sense when the newest message is there.
        self._follow = value >= bar.maximum() - FOLLOW_SLACK_PX and self.hidden_newer == 0
        if value <= LOAD_MORE_PX and self.hidden_older > 0:
            self._keep_from_bottom = bar.maximum() - value
            self._build_earlier(PAGE)
            self._update_last_actions()
        elif value >= bar.maximum() - LOAD_MORE_PX and self.hidden_newer > 0:
            self._build_later(PAGE)  # below what is on screen: nothing moves
            self._update_last_actions()
