"""One message on screen: who said it, the text (Markdown), its actions and stats.

A finished message renders its Markdown once: prose through Qt's Markdown support,
each fenced code block as a `CodeBlock` with its own Copy button. A streaming reply
says how far the engine got reading the prompt until its first text comes; then it
shows plain text appended at the end, fenced code in code blocks as it is written
(stream_blocks.py), and is rendered as Markdown when it ends.

A message longer than FOLD_CHARS (a 5 MB paste) shows its first page, with
"Show more" (the next page) and "Show all" under it: all of it as Markdown at once
would freeze the window for seconds and make thousands of widgets. "Show all" adds
the rest as plain text, SHOW_ALL_CHUNK characters per turn of the event loop. Copy
and Edit always take the whole text. A reply that streamed in longer than
FOLD_CHARS stays as it streamed in (it is all on screen already): its first
FOLD_CHARS in prose and code blocks, the rest as plain text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from parrotchat.core.chats.records import Message
from parrotchat.gui.chat import line_breaks
from parrotchat.gui.chat.branch_switcher import BranchSwitcher
from parrotchat.gui.chat.code_block import CodeBlock
from parrotchat.gui.chat.markdown_blocks import FOLD_CHARS, PAGE_BLOCKS, page_end, split_page
from parrotchat.gui.chat.stats_line import format_stats
from parrotchat.gui.chat.stream_blocks import CloseCode, Code, OpenCode, Prose, Step, StreamSplitter
from parrotchat.gui.docs.citations import link_citations, open_sources_outside, sources_markdown
from parrotchat.gui.elided import ElidedLabel
from parrotchat.gui.fitted_text import FittedTextView
from parrotchat.service.doc_answers import Source, sources_of

SHOW_ALL_CHUNK = 32 * 1024  # characters of plain text added per event-loop turn (~15 ms)
FLASH_MS = 1800  # how long a message found by search stays outlined

_BOLD: dict[str, QFont] = {}


def _bold_font(base: QFont) -> QFont:
    key = base.key()
    if key not in _BOLD:
        bold = QFont(base)
        bold.setBold(True)
        _BOLD[key] = bold
    return _BOLD[key]


def prose_view(markdown: str) -> FittedTextView:
    view = FittedTextView(wrap=True)
    view.setMarkdown(line_breaks.mark(markdown))
    line_breaks.apply(view.document())
    return view


class MessageWidget(QFrame):
    """A user or assistant message.

    Signals:
        editRequested(int, str): message id and text (user messages).
        regenerateRequested(): redo this reply (the last one only).
        branchRequested(int, int): message id, step (-1 / +1): show a sibling version.
    """

    editRequested = Signal(int, str)
    regenerateRequested = Signal()
    branchRequested = Signal(int, int)

    def __init__(self, message: Message, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_id = message.id
        self.role = message.role
        self.status = message.status
        self._parts: list[str] = [message.content]
        self._splitter: StreamSplitter | None = None  # while streaming
        self._streamed = 0
        self._plain_rest = False
        self._stream_view: FittedTextView | None = None  # streaming: the prose shown last
        self._stream_code: CodeBlock | None = None  # streaming: an open code block
        self._stream_rest: FittedTextView | None = None  # streaming, past FOLD_CHARS: plain
        self._progress: QLabel | None = None  # streaming: "Reading your message… N%"
        self._shown = 0  # characters of the text rendered so far
        self._open_fence: str | None = None  # a code fence the last page left open
        self._fold: FoldBar | None = None  # made for long messages only
        self._rest_view: FittedTextView | None = None  # "Show all": the rest, plain
        self._flash_timer: QTimer | None = None  # made when a search outlines this message
        # An answer from documents: its sources, their [n] links and the list under it.
        self._sources: list[Source] = sources_of(message.stats)
        self.sources_view: FittedTextView | None = None
        self.setObjectName("userMessage" if message.role == "user" else "assistantMessage")

        # A long model name is cut with "…" (whole in the tooltip): the buttons beside
        # it must stay on screen however narrow the chat column gets.
        self.role_label = ElidedLabel(self._role_name(message))
        self.role_label.setObjectName("roleLabel")
        self.role_label.setFont(_bold_font(self.role_label.font()))
        self.copy_button = self._tool_button(self.tr("Copy"))
        self.edit_button = self._tool_button(self.tr("Edit"))
        self.edit_button.setVisible(message.role == "user")
        self.regenerate_button = self._tool_button(self.tr("Regenerate"))
        self.regenerate_button.setVisible(False)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.role_label)
        self.branch_switcher = BranchSwitcher(self)
        self.branch_switcher.set_branch(message.branch_index, message.branch_count)
        header.addWidget(self.branch_switcher)
        header.addStretch(1)
        for button in (self.edit_button, self.regenerate_button, self.copy_button):
            header.addWidget(button)

        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(4)
        self.stats_label = QLabel()
        self.stats_label.setObjectName("statsLine")
        self.stats_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.stats_label.setWordWrap(True)
        self.stats_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(self.body)
        self._layout = layout
        layout.addWidget(self.stats_label)

        if message.status == "streaming" and not message.content:
            self._start_stream()
        else:
            self._render(message.content)
            self.set_stats(message.stats, message.status)
        self._connect_signals()

    def paintEvent(self, event: QPaintEvent) -> None:
        # The user's messages sit on a soft bubble in the palette's alternate colour
        # (a style sheet would cost every child widget a re-polish); a message a search
        # pointed at is outlined in the highlight colour for a moment.
        if self.role == "user" or self.flashing:
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            if self.role == "user":
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.palette().alternateBase())
                painter.drawRoundedRect(self.rect(), 8, 8)
            if self.flashing:
                color = QColor(self.palette().highlight().color())
                painter.setPen(QPen(color, 2))
                color.setAlpha(40)
                painter.setBrush(color)
                painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 8, 8)
            painter.end()
        super().paintEvent(event)

    def flash(self) -> None:
        """Outline this message for a moment: it is the one a search result pointed at."""
        if self._flash_timer is None:
            self._flash_timer = QTimer(self)
            self._flash_timer.setSingleShot(True)
            self._flash_timer.setInterval(FLASH_MS)
            self._flash_timer.timeout.connect(self.update)
        self._flash_timer.start()
        self.update()

    @property
    def flashing(self) -> bool:
        return self._flash_timer is not None and self._flash_timer.isActive()

    def _tool_button(self, text: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _role_name(self, message: Message) -> str:
        if message.role == "user":
            return self.tr("You")
        if message.role == "system":
            return self.tr("System")
        return message.model or self.tr("Assistant")

    def _connect_signals(self) -> None:
        self.copy_button.clicked.connect(self._copy)
        self.edit_button.clicked.connect(self._edit)
        self.regenerate_button.clicked.connect(self.regenerateRequested)
        self.branch_switcher.stepRequested.connect(
            lambda step: self.branchRequested.emit(self.message_id, step)
        )

    # --- content ------------------------------------------------------------------------

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0]

    @property
    def is_streaming(self) -> bool:
        return self._splitter is not None

    def _clear_body(self) -> None:
        self._rest_view = None
        while self.body.count():
            item = self.body.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def _render(self, markdown: str) -> None:
        self._clear_body()
        self._shown = 0
        self._open_fence = None
        self._render_page(markdown)

    def _render_page(self, text: str) -> None:
        """Render the next page of `text` (all of it when it is short)."""
        if len(text) <= FOLD_CHARS:
            page = split_page(text)
        else:
            end = page_end(text, self._shown)
            page = split_page(text[self._shown : end], self._open_fence, PAGE_BLOCKS)
        for block in page.blocks:
            if block.kind == "code":
                self.body.addWidget(CodeBlock(block.text, block.language))
            elif self._sources:
                view = prose_view(link_citations(block.text, self._sources))
                open_sources_outside(view, self._sources)
                self.body.addWidget(view)
            else:
                self.body.addWidget(prose_view(block.text))
        self._open_fence = page.open_fence
        self._shown += page.length
        if self._shown < len(text) or self._fold is not None:
            self._update_fold(len(text))

    def _update_fold(self, total: int) -> None:
        if self._fold is None:
            self._fold = FoldBar()
            self._fold.more_button.clicked.connect(self.show_more)
            self._fold.all_button.clicked.connect(self.show_all)
            self._fold.timer.timeout.connect(self._show_next_chunk)
            self._layout.insertWidget(self._layout.indexOf(self.stats_label), self._fold)
        self._fold.update_counts(self._shown, total)

    @property
    def fold_bar(self) -> FoldBar | None:
        """Under a long message: what is shown of it, Show more, Show all (else None)."""
        return self._fold

    @property
    def folded(self) -> bool:
        """Part of the text is not on screen yet (Show more / Show all)."""
        return self._splitter is None and self._shown < len(self.text)

    @Slot()
    def show_more(self) -> None:
        """The next page, as Markdown."""
        if self.folded and self._rest_view is None:
            self._render_page(self.text)

    @Slot()
    def show_all(self) -> None:
        """The rest as plain text, a chunk per event-loop turn: the window keeps responding."""
        if self._fold is None or not self.folded:
            return
        if self._rest_view is None:
            self._rest_view = FittedTextView(wrap=True)
            self._rest_view.setObjectName("restOfMessage")
            self.body.addWidget(self._rest_view)
        self._fold.more_button.setEnabled(False)
        self._fold.all_button.setEnabled(False)
        self._fold.timer.start()

    @Slot()
    def _show_next_chunk(self) -> None:
        text = self.text
        if self._rest_view is None or self._fold is None or self._shown >= len(text):
            if self._fold is not None:
                self._fold.timer.stop()
            return
        end = min(len(text), self._shown + SHOW_ALL_CHUNK)
        self._rest_view.append_plain(text[self._shown : end])
        self._shown = end
        self._fold.update_counts(end, len(text))
        if end >= len(text):
            self._fold.timer.stop()

    def _start_stream(self) -> None:
        self._clear_body()
        if self._fold is not None:
            self._fold.hide()
            self._fold.timer.stop()
        self._splitter = StreamSplitter()
        self._streamed = 0  # characters of the reply passed through the splitter
        self._plain_rest = False  # the rest of the reply comes as plain text
        self._stream_view = None
        self._stream_code = None
        self._stream_rest = None
        # A sign of life until the first text: reading a long prompt can take a while.
        self._progress = QLabel(self.tr("Reading your message…"))
        self._progress.setObjectName("promptProgress")
        self._progress.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.body.addWidget(self._progress)
        self.copy_button.setEnabled(False)

    @property
    def progress_label(self) -> QLabel | None:
        """The line "Reading your message… N%" while the reply has no text (else None)."""
        return self._progress

    def set_prompt_progress(self, done: int, total: int) -> None:
        if self._progress is None:
            return
        percent = done * 100 // total if total > 0 else 100
        self._progress.setText(self.tr("Reading your message… %1%").replace("%1", str(percent)))

    def _drop_progress(self) -> None:
        if self._progress is not None:
            self.body.removeWidget(self._progress)
            self._progress.hide()
            self._progress.deleteLater()
            self._progress = None

    def append_text(self, text: str) -> None:
        """Streaming: add text at the end (O(len(text)))."""
        if self._splitter is None:
            self._start_stream()
        assert self._splitter is not None
        self._parts.append(text)
        self._drop_progress()
        if self._plain_rest:
            self._append_rest(text)
            return
        # Past FOLD_CHARS the reply stays as it streamed in, and more blocks would be
        # more widgets than the window can take (a 1 MB reply holds thousands of code
        # blocks); a burst of many blocks in one refresh (a model writes a few tokens
        # per refresh) would stall it. Either way the rest comes as plain text, in one
        # view; a reply of up to FOLD_CHARS is rendered whole when it ends.
        steps, taken = self._splitter.feed_some(text, PAGE_BLOCKS)
        self._streamed += taken
        if taken < len(text) or self._streamed > FOLD_CHARS:
            self._plain_rest = True
            steps += self._splitter.flush()
        self._show_steps(steps)
        if taken < len(text):
            self._append_rest(text[taken:])

    def _append_rest(self, text: str) -> None:
        if self._stream_rest is None:
            self._stream_rest = FittedTextView(wrap=True)
            self._stream_rest.setObjectName("streamingRest")
            self.body.addWidget(self._stream_rest)
        self._stream_rest.append_plain(text)

    def _show_steps(self, steps: list[Step]) -> None:
        for step in steps:
            match step:
                case Prose(text=text):
                    if self._stream_view is None:
                        self._stream_view = FittedTextView(wrap=True)
                        self._stream_view.setObjectName("streamingText")
                        self.body.addWidget(self._stream_view)
                    self._stream_view.append_plain(text)
                case Code(text=text):
                    if self._stream_code is not None:
                        self._stream_code.append_code(text)
                case OpenCode(language=language):
                    self._stream_view = None
                    self._stream_code = CodeBlock("", language)
                    self.body.addWidget(self._stream_code)
                case CloseCode():
                    self._stream_code = None

    def finish(self, status: str, stats: dict[str, Any]) -> None:
        """The stream ended: render the Markdown once and show the stats."""
        self.status = status
        self._sources = sources_of(stats)
        if self._splitter is not None:
            self._show_steps(self._splitter.flush())
            self._splitter = None
            self._stream_view = self._stream_code = self._stream_rest = None
            self._drop_progress()
            text = self.text
            if len(text) <= FOLD_CHARS:
                self._render(text)
            else:  # already on screen in full: rendering it again would freeze the window
                self._shown = len(text)
        self.copy_button.setEnabled(True)
        self.set_stats(stats, status)

    def set_stats(self, stats: dict[str, Any] | None, status: str) -> None:
        line = format_stats(stats, status) if self.role == "assistant" else ""
        self.stats_label.setText(line)
        self.stats_label.setVisible(bool(line))
        if self.role == "assistant" and stats and "sources_used" in stats:
            self._show_sources(int(stats.get("sources_left_out") or 0))

    def _show_sources(self, left_out: int) -> None:
        """The list of sources under an answer from documents, each a link to its file."""
        if self.sources_view is None:
            self.sources_view = FittedTextView(wrap=True)
            self.sources_view.setObjectName("sourcesList")
            self._layout.insertWidget(self._layout.indexOf(self.stats_label), self.sources_view)
        open_sources_outside(self.sources_view, self._sources)
        self.sources_view.setMarkdown(sources_markdown(self._sources, left_out))

    def set_last_reply(self, last: bool, busy: bool) -> None:
        self.regenerate_button.setVisible(last and self.role == "assistant")
        self.regenerate_button.setEnabled(not busy)
        self.edit_button.setEnabled(not busy)
        self.branch_switcher.set_busy(busy)

    # --- actions ------------------------------------------------------------------------

    @Slot()
    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    @Slot()
    def _edit(self) -> None:
        self.editRequested.emit(self.message_id, self.text)


class FoldBar(QWidget):
    """Under a long message: how much of it is shown, Show more, Show all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("foldBar")
        self.label = QLabel()
        self.label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.label.setWordWrap(True)
        self.more_button = QToolButton()
        self.more_button.setText(self.tr("Show more"))
        self.all_button = QToolButton()
        self.all_button.setText(self.tr("Show all"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.more_button)
        layout.addWidget(self.all_button)
        self.timer = QTimer(self)
        self.timer.setInterval(0)

    def update_counts(self, shown: int, total: int) -> None:
        self.label.setText(
            self.tr("Long message: showing %1 of %2 characters.")
            .replace("%1", f"{shown:,}")
            .replace("%2", f"{total:,}")
        )
        self.setVisible(shown < total)
