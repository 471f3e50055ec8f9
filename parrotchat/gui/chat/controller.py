"""One conversation at a time in the window: send, stream, stop, regenerate, edit.

A thin adapter over the chat service (parrotchat/service), which builds, counts and
saves every turn as it does for the CLI: the service's steps become Qt signals, and
the engine's signals drive the steps. The user's message is saved before the engine
hears of it; the reply is saved as it grows (a `Turn`, fed from the token signal on
the GUI thread: a list append, and a store write at most once a second); whatever
the engine does, what was written stays. When the disk refuses (full, removed), what
is on screen stays: a reply that could not be saved is kept in memory and saved
again every few seconds until it works, and a message that could not be saved goes
back to the composer (reply_saver.py). Widgets never come here: the view listens to
the signals.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from parrotchat.core.chats.records import Chat, SearchHit
from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import EngineError, ParrotError, StorageError
from parrotchat.core.settings import Settings
from parrotchat.engine.protocol import ChatRequest
from parrotchat.gui.chat.reply_saver import ReplySaver
from parrotchat.gui.docs.source_fitting import SourceFitting
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.models.controller import ModelController
from parrotchat.service.chat_service import ChatService
from parrotchat.service.doc_answers import DocumentQuery, SourcedPrompt, SourceFit, search_sources
from parrotchat.service.turn import Turn

if TYPE_CHECKING:
    from parrotchat.gui.docs.embedding import QueryEmbedder
    from parrotchat.gui.docs.library import DocumentLibrary

OPEN_MESSAGES = 100  # a chat opens with its newest messages; the view reads older ones
BIG_MESSAGE = 256 * 1024  # characters: a message this long is handed on over a few turns
USAGE_INTERVAL_S = 0.2  # while a reply streams, its context count changes this often at most


@dataclass
class _Reply:
    """A turn as the window drives it: the engine's request id, and whether Stop was hit."""

    turn: Turn
    req_id: int | None = None  # None: waiting for the model to load
    stopped: bool = False
    prompt_tokens: int | None = None  # the whole prompt, once the engine says (local only)
    reply_tokens: int = 0  # so far
    usage_shown_at: float = 0.0  # time.monotonic() of the last context count it sent

    @property
    def chat_id(self) -> int:
        return self.turn.chat_id


class ChatController(QObject):
    """The open chat and its reply in flight.

    Signals:
        chatOpened(object): a Chat was opened (or None: no chat open).
        chatsChanged(): the chat list changed (new, renamed, reordered).
        messageAdded(object): a user Message was saved and belongs on screen.
        messagesRemoved(int): the message with this id and all after it left the branch
            shown (regenerate, edit-and-resend: they stay reachable as a sibling branch).
        branchSwitched(int, int, object): message id, the sibling shown in its place, and
            the chat's new tail (a Chat): the view re-shows the chat from there down.
        revealRequested(int): scroll to this message of the open chat and outline it.
        replyStarted(int): an assistant message (its id) starts streaming; `reply_branch`
            says which version of the reply it is.
        replyProgress(int, int): prompt tokens read, of how many, before the reply's first
            text (from an engine that says; a remote server may not).
        replyChunk(str): more text of the streaming reply.
        replyEnded(int, str, dict): message id, status, stats; the stream ended on screen.
        replyStatsUpdated(int, dict): final stats for a reply that was already ended (stopped).
        busyChanged(bool): a reply is streaming (Send becomes Stop).
        errorOccurred(str, str): what failed, and why; the banner offers Retry.
        contextUsage(int, int): tokens used by this chat, and the context size.
        settingsChanged(object): the open chat's ChatSettings.
        noticePosted(str): a short note for the status bar.
        unsentText(str): a message the user sent that could not be saved; it goes back
            to the composer so that nothing typed is lost.
        storageRecovered(str): saving works again; the error shown under this title
            (a storage failure) can go.
    """

    chatOpened = Signal(object)
    chatsChanged = Signal()
    messageAdded = Signal(object)
    messagesRemoved = Signal(int)
    branchSwitched = Signal(int, int, object)
    revealRequested = Signal(int)
    replyStarted = Signal(int)
    replyProgress = Signal(int, int)
    replyChunk = Signal(str)
    replyEnded = Signal(int, str, dict)
    replyStatsUpdated = Signal(int, dict)
    busyChanged = Signal(bool)
    errorOccurred = Signal(str, str)
    contextUsage = Signal(int, int)
    settingsChanged = Signal(object)
    noticePosted = Signal(str)
    unsentText = Signal(str)
    storageRecovered = Signal(str)

    def __init__(
        self,
        store: ChatStore,
        engine: EngineController,
        models: ModelController,
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.service = ChatService(store, settings)
        self.engine = engine
        self.models = models
        self.settings = settings
        self.chat_id: int | None = None
        self.chat_settings = self.service.settings_of(None)
        self.ignore_eos = False  # benchmarks: replies run to max_tokens
        self._template_text: str | None = None  # what a template was filled in with
        self._replies: dict[int, _Reply] = {}  # by request id
        self._current: _Reply | None = None
        self._waiting: _Reply | None = None  # reply waiting for the model to load
        self._retry: str | None = None  # "reply" or "load"
        self._count_id: int | None = None
        self.documents: DocumentLibrary | None = None  # set by the composition root
        self._fitting: tuple[_Reply, SourceFitting] | None = None  # sources being fitted
        self.query_embedder: QueryEmbedder | None = None  # see use_query_embedder
        # (request id, reply, its request) while the question's vector is computed
        self._embedding: tuple[int, _Reply, ChatRequest] | None = None
        # The streaming reply's version among its siblings (0-based index, count).
        self.reply_branch: tuple[int, int] = (0, 1)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(1000)
        self.saver = ReplySaver(lambda: self._current.turn if self._current else None, self)
        self._connect_signals()

    def _engine_links(self) -> list[tuple[Any, Any]]:
        e = self.engine
        return [
            (e.promptProgress, self._on_prompt_progress),
            (e.tokenReceived, self._on_token),
            (e.replyFinished, self._on_finished),
            (e.replyFailed, self._on_failed),
            (e.modelLoaded, self._on_model_loaded),
            (e.loadFailed, self._on_load_failed),
            (e.loadCancelled, self._on_load_cancelled),
            (e.tokensCounted, self._on_counted),
        ]

    def _connect_signals(self) -> None:
        for signal, slot in self._engine_links():
            signal.connect(slot)
        self._flush_timer.timeout.connect(self._flush_reply)
        self.saver.failed.connect(self._save_failed)
        self.saver.recovered.connect(self._save_recovered)

    def use_query_embedder(self, embedder: QueryEmbedder) -> None:
        """Search documents by meaning too, with the vectors this gives (the composition
        root sets it; it lives, and its engine with it, until detach)."""
        self.query_embedder = embedder
        embedder.vectorReady.connect(self._query_embedded)
        embedder.unavailable.connect(self._embedder_unavailable)

    def detach(self) -> None:
        """Stop listening to the engine (the window closes; the engine may live on).

        Replies still open are saved whole now: a stopped one as stopped, one still
        streaming as interrupted by the close.
        """
        self._flush_timer.stop()
        for signal, slot in self._engine_links():
            signal.disconnect(slot)
        if self.query_embedder is not None:
            self.query_embedder.close()
        self.saver.stop()
        open_replies = list(self._replies.values())
        if self._current is not None and self._current not in open_replies:
            open_replies.append(self._current)
        for reply in open_replies:
            with contextlib.suppress(StorageError, RuntimeError):
                if reply.stopped:
                    reply.turn.close("complete", {"stop_reason": "cancelled"})
                else:
                    reply.turn.fail(
                        "ParrotChat closed before the reply finished", status="interrupted"
                    )
        self._replies.clear()
        self._current = self._waiting = None

    # --- state -----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def can_retry(self) -> bool:
        return self._retry is not None

    # --- chats -----------------------------------------------------------------------------

    def open_chat(self, chat_id: int | None) -> None:
        """Show a chat (None: an empty new-chat page). A reply in flight is stopped first."""
        if self._current is not None and self._current.chat_id != chat_id:
            self.stop()
        self._template_text = None
        if chat_id is None:
            self.chat_id = None
            self.chat_settings = self.service.settings_of(None)
            self.settings.last_chat_id = None
            self.chatOpened.emit(None)
            self.settingsChanged.emit(self.chat_settings)
            self.contextUsage.emit(0, self._n_ctx())
            return
        try:
            chat = self.store.get_chat_tail(chat_id, OPEN_MESSAGES)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The chat could not be opened"), str(exc))
            return
        self.chat_id = chat.id
        self.settings.last_chat_id = chat.id
        self.chat_settings = self.service.settings_of(chat)
        self.chatOpened.emit(chat)
        self.settingsChanged.emit(self.chat_settings)
        self._count_context(chat)

    def new_chat(self) -> None:
        self.open_chat(None)

    def note_template_text(self, user_text: str) -> None:
        """A template was filled in with what the user wrote: a new chat is named after
        that, not after the template's instruction."""
        self._template_text = user_text

    def _ensure_chat(self, first_text: str) -> int:
        if self.chat_id is None:
            model = self.models.current_name
            self.chat_id = self.service.create_chat(
                first_text, model, self.chat_settings, user_text=self._template_text
            )
            self._template_text = None
            self.settings.last_chat_id = self.chat_id
            self.chatsChanged.emit()
        return self.chat_id

    def open_at(self, chat_id: int, message_id: int, shown: bool = True) -> None:
        """Open a chat at one of its messages (a search result), on that message's branch."""
        if not shown:
            if self._current is not None and self._current.chat_id == chat_id:
                self.stop()  # the branch under a streaming reply cannot change
            try:
                self.store.switch_branch(message_id)
            except StorageError as exc:
                self.errorOccurred.emit(self.tr("The chat could not be opened"), str(exc))
                return
        if shown and self.chat_id == chat_id:
            self.revealRequested.emit(message_id)  # already on screen: no re-read
            return
        self.open_chat(chat_id)
        if self.chat_id == chat_id:
            self.revealRequested.emit(message_id)

    def search(self, query: str) -> list[SearchHit]:
        """Messages of every chat (every branch) that contain `query`, newest first."""
        try:
            return self.store.search_messages(query)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The chats could not be searched"), str(exc))
            return []

    def switch_branch(self, message_id: int, step: int) -> None:
        """‹ ›: show the previous (-1) or next (+1) version of a message of the open chat."""
        if self._current is not None or self.chat_id is None:
            return
        try:
            new_id = self.service.switch_branch(self.chat_id, message_id, step)
            if new_id is None:
                return
            chat = self.store.get_chat_tail(self.chat_id, OPEN_MESSAGES)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The other version could not be shown"), str(exc))
            return
        self.branchSwitched.emit(message_id, new_id, chat)
        self._count_context(chat)

    def set_pinned(self, chat_id: int, pinned: bool) -> None:
        try:
            self.store.set_pinned(chat_id, pinned)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The chat could not be pinned"), str(exc))
        self.chatsChanged.emit()

    def rename_chat(self, chat_id: int, title: str) -> None:
        try:
            self.store.rename_chat(chat_id, title.strip() or self.tr("New chat"))
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The chat could not be renamed"), str(exc))
        self.chatsChanged.emit()

    def delete_chat(self, chat_id: int) -> None:
        if self._current is not None and self._current.chat_id == chat_id:
            self.stop()
        try:
            self.store.delete_chat(chat_id)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The chat could not be deleted"), str(exc))
        if self.chat_id == chat_id:
            self.open_chat(None)
        self.chatsChanged.emit()

    def update_chat_settings(self, chat_settings: ChatSettings) -> None:
        # The controls panel does not know the chat's documents: set_documents does.
        chat_settings = replace(chat_settings, documents=self.chat_settings.documents)
        self._save_chat_settings(chat_settings)

    def set_documents(self, names: list[str]) -> None:
        """The collections the open chat answers from (none: an ordinary chat)."""
        self._save_chat_settings(replace(self.chat_settings, documents=tuple(names)))

    def _save_chat_settings(self, chat_settings: ChatSettings) -> None:
        self.chat_settings = chat_settings
        if self.chat_id is not None:
            try:
                self.service.save_settings(self.chat_id, chat_settings)
            except StorageError as exc:
                self.errorOccurred.emit(self.tr("The chat settings could not be saved"), str(exc))

    def save_settings_as_defaults(self) -> None:
        self.chat_settings.apply_to_defaults(self.settings)
        self.noticePosted.emit(self.tr("These settings are now the defaults for new chats."))

    # --- sending ----------------------------------------------------------------------------

    def send(self, text: str, branched: bool = False) -> bool:
        """Save the user's message and start the reply; False if nothing was sent.

        `branched`: the message is a new version of one sent before (edit-and-resend);
        it is read back so that the view shows its ‹ 2/2 ›.
        """
        if self._current is not None or not text or text.isspace():  # strip() copies 5 MB
            return False
        try:
            chat_id = self._ensure_chat(text)
            message = self.service.add_user_message(chat_id, text)
            if branched:
                saved = self.store.get_chat_tail(chat_id, 1).messages
                message = saved[-1] if saved and saved[-1].id == message.id else message
        except StorageError as exc:
            title = self.tr("Your message could not be saved")
            self.saver.note_shown(title)
            self.errorOccurred.emit(
                title, self.tr("%1. Your text is back in the box below.").replace("%1", str(exc))
            )
            self.unsentText.emit(text)
            return False
        self.saver.went_through()
        self.messageAdded.emit(message)
        if len(text) > BIG_MESSAGE:
            # Saving and showing a big message took this turn of the event loop; the
            # reply starts in the next, its prompt goes out in the one after (reading
            # 5 MB back and sending it to the engine): the window repaints in between.
            QTimer.singleShot(1, lambda: self._start_reply_if_idle(chat_id))
        else:
            self._start_reply()
        return True

    def _start_reply_if_idle(self, chat_id: int) -> None:
        if self._current is None and self.chat_id == chat_id:
            self._start_reply(defer_prompt=True)

    def regenerate(self) -> None:
        """A new version of the last reply; the old one stays behind ‹ ›."""
        if self._current is not None or self.chat_id is None:
            return
        try:
            hidden = self.service.branch_last_reply(self.chat_id)
        except ParrotError as exc:
            self.errorOccurred.emit(self.tr("The reply could not be regenerated"), str(exc))
            return
        if hidden is not None:
            self.messagesRemoved.emit(hidden)
        self._start_reply()

    def edit_and_resend(self, message_id: int, text: str) -> bool:
        """Send `text` as a new version of a sent message and reply to it; the original
        and the messages after it stay behind ‹ ›."""
        if self._current is not None or self.chat_id is None or not text.strip():
            return False
        try:
            self.service.branch_from(self.chat_id, message_id)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The message could not be changed"), str(exc))
            self.unsentText.emit(text)
            return False
        self.messagesRemoved.emit(message_id)
        return self.send(text, branched=True)

    def retry(self) -> None:
        """What the error banner's Retry does: load the model again, or redo the reply."""
        action, self._retry = self._retry, None
        if action == "load":
            self.engine.reload()
        elif action == "reply":
            self.regenerate()
        elif action == "save":
            self.saver.note_shown(None)  # the banner is gone: a new failure shows it again
            self.saver.retry()

    def stop(self) -> None:
        """Stop the reply at once on screen; the engine confirms with its final stats."""
        reply = self._current
        if reply is None:
            return
        reply.stopped = True
        if reply.req_id is not None:
            # What is on screen is saved now; the engine's confirmation (a server may take
            # a round trip) only closes the reply with its stats.
            self.saver.write(reply.turn.flush)
            self.engine.stop(reply.req_id)
            self._end_current("complete", {"stop_reason": "cancelled"}, awaiting_engine=True)
        else:  # still waiting for the model: nothing was generated
            self._waiting = None
            self.saver.finish(reply.turn, "complete", {"stop_reason": "cancelled"})
            self._end_current("complete", {"stop_reason": "cancelled"})

    def _start_reply(self, defer_prompt: bool = False) -> None:
        assert self.chat_id is not None
        model = self.models.current_name  # "<model> on <server>" for a server's model
        if model is None or (self.engine.loaded is None and not self.engine.is_loading):
            self._retry = "load" if model is not None else None
            self.errorOccurred.emit(
                self.tr("No model is loaded"),
                self.tr("Choose a model at the top of the window, then send again."),
            )
            return
        try:
            turn = self.service.begin_turn(self.chat_id, self.chat_settings, model)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The reply could not be saved"), str(exc))
            return
        self.reply_branch = self._branch_of(turn.message_id)
        reply = _Reply(turn)
        self._current = reply
        self._retry = None
        # The window clears the last error for a new reply: a new failure is shown anew.
        self.saver.note_shown(None)
        self.replyStarted.emit(turn.message_id)
        self.busyChanged.emit(True)
        self._flush_timer.start()
        if self.engine.loaded is None:
            self._waiting = reply  # sent when the model is loaded
            return
        if defer_prompt:
            QTimer.singleShot(1, lambda: self._send_prompt(reply))
        else:
            self._send_prompt(reply)

    def _branch_of(self, message_id: int) -> tuple[int, int]:
        """(index, count) of a new reply among its siblings: one small read."""
        if self.chat_id is None:
            return (0, 1)
        try:
            last = self.store.get_chat_tail(self.chat_id, 1).messages
        except StorageError:
            return (0, 1)  # only the ‹ › would show it; the reply goes on
        if last and last[-1].id == message_id:
            return (last[-1].branch_index, last[-1].branch_count)
        return (0, 1)

    def _send_prompt(self, reply: _Reply) -> None:
        if reply is not self._current or reply.req_id is not None:
            return  # stopped, or another chat opened, in between
        try:
            request = reply.turn.build_request(
                self._n_ctx() or self.settings.context_length,
                chat_format=self.models.chat_format,
                ignore_eos=self.ignore_eos,
            )
            if reply.turn.chat_settings.documents and self.documents is not None:
                self._fit_sources(reply, request)
                return
            reply.req_id = self.engine.chat(request)
        except (StorageError, EngineError) as exc:
            self._fail_current(reply, str(exc))
            return
        self._replies[reply.req_id] = reply

    # --- answers from documents -------------------------------------------------------------

    def _fit_sources(self, reply: _Reply, request: ChatRequest) -> None:
        """Embed the question when the collections have vectors (on the embedder's
        thread), then search and fit the sources."""
        assert self.documents is not None
        embedder = self.query_embedder
        try:
            known = set(self.documents.names())
            asked = any(n in known for n in reply.turn.chat_settings.documents)
            if asked and embedder is not None and embedder.wanted(self.documents.index):
                if not embedder.loaded:
                    self.noticePosted.emit(self.tr("Loading the embedding model…"))
                self._embedding = (embedder.request(self._question(request)), reply, request)
                return
        except ParrotError as exc:
            self._fail_current(reply, str(exc))
            return
        self._search_and_fit(reply, request, None, None)

    @staticmethod
    def _question(request: ChatRequest) -> str:
        return request.messages[-1]["content"] if request.messages else ""

    @Slot(int, object)
    def _query_embedded(self, req_id: int, answer: tuple[list[float] | None, str | None]) -> None:
        if self._embedding is None or self._embedding[0] != req_id:
            return  # an older question's, answered late
        _, reply, request = self._embedding
        self._embedding = None
        if reply is not self._current or reply.req_id is not None or reply.stopped:
            return  # stopped, or another chat opened, meanwhile
        self._search_and_fit(reply, request, *answer)

    @Slot(str)
    def _embedder_unavailable(self, reason: str) -> None:
        self.noticePosted.emit(
            self.tr(
                "The embedding model could not be loaded (%1): documents are searched "
                "by their words alone."
            ).replace("%1", reason)
        )

    def _search_and_fit(
        self,
        reply: _Reply,
        request: ChatRequest,
        vector: list[float] | None,
        embedder: str | None,
    ) -> None:
        """Search the chat's collections (by meaning too, given the question's vector),
        then fit the best passages with the engine's counts (SourceFitting); the reply
        goes out when they are settled."""
        assert self.documents is not None
        wanted = reply.turn.chat_settings.documents
        try:
            known = set(self.documents.names())
            names = [n for n in wanted if n in known]
            query = DocumentQuery(
                self.documents.index, names, query_vector=vector, embedder=embedder
            )
            hits = search_sources(query, self._question(request)) if names else []
            fit = SourceFit(
                request.messages,
                hits,
                self._n_ctx() or self.settings.context_length,
                reply.turn.chat_settings.sampling.max_tokens,
            )
        except ParrotError as exc:
            self._fail_current(reply, str(exc))
            return
        missing = [n for n in wanted if n not in known]
        if missing:
            self.noticePosted.emit(
                self.tr("No document collection named %1: answering from the others.").replace(
                    "%1", ", ".join(missing)
                )
            )
        fitting = SourceFitting(self.engine, self.models.chat_format, fit, self)
        self._fitting = (reply, fitting)
        fitting.finished.connect(self._sources_fitted)
        fitting.failed.connect(self._sources_failed)
        fitting.start()

    def _take_fitting(self) -> _Reply | None:
        """The reply whose sources were being fitted, if it still waits for them."""
        fitting, self._fitting = self._fitting, None
        if fitting is None:
            return None
        fitting[1].deleteLater()
        reply = fitting[0]
        return (
            reply if reply is self._current and reply.req_id is None and not reply.stopped else None
        )

    @Slot(object)
    def _sources_fitted(self, prompt: SourcedPrompt) -> None:
        reply = self._take_fitting()
        if reply is None:
            return  # stopped, or another chat opened, meanwhile
        try:
            reply.req_id = self.engine.chat(reply.turn.use_sources(prompt))
        except EngineError as exc:
            self._fail_current(reply, str(exc))
            return
        self._replies[reply.req_id] = reply

    @Slot(str)
    def _sources_failed(self, message: str) -> None:
        reply = self._take_fitting()
        if reply is not None:
            self._fail_current(reply, message)

    # --- engine events -----------------------------------------------------------------------

    @Slot(int, int, int, int)
    def _on_prompt_progress(self, req_id: int, done: int, total: int, prompt_tokens: int) -> None:
        reply = self._replies.get(req_id)
        if reply is None or reply.stopped:
            return
        reply.prompt_tokens = prompt_tokens
        if reply.chat_id == self.chat_id:
            self.replyProgress.emit(done, total)
            self._show_usage(reply, at_once=True)

    @Slot(int, str, int)
    def _on_token(self, req_id: int, text: str, tokens: int) -> None:
        reply = self._replies.get(req_id)
        if reply is None or reply.stopped:
            return  # after Stop the screen and the store keep what was shown
        self.saver.write(reply.turn.on_text, text)
        reply.reply_tokens += tokens
        if reply.chat_id == self.chat_id:
            self.replyChunk.emit(text)
            self._show_usage(reply)

    def _show_usage(self, reply: _Reply, at_once: bool = False) -> None:
        """The context in use while the reply streams: its prompt and its tokens so far."""
        if reply.prompt_tokens is None:
            return  # a remote server does not say: the count stays until the reply ends
        now = time.monotonic()
        if not at_once and now - reply.usage_shown_at < USAGE_INTERVAL_S:
            return
        reply.usage_shown_at = now
        self.contextUsage.emit(reply.prompt_tokens + reply.reply_tokens, self._n_ctx())

    @Slot(int, dict)
    def _on_finished(self, req_id: int, stats: dict[str, Any]) -> None:
        reply = self._replies.pop(req_id, None)
        if reply is None:
            return
        stats = reply.turn.final_stats(stats)
        self.saver.finish(reply.turn, "complete", dict(stats))
        if reply is self._current:
            self._end_current("complete", stats)
        else:
            self.replyStatsUpdated.emit(reply.turn.message_id, stats)
        self.chatsChanged.emit()
        if reply.chat_id == self.chat_id:
            used = int(stats.get("prompt_tokens", 0)) + int(stats.get("reply_tokens", 0))
            self.contextUsage.emit(used, int(stats.get("n_ctx") or self._n_ctx()))

    @Slot(int, str, str)
    def _on_failed(self, req_id: int, kind: str, message: str) -> None:
        reply = self._replies.pop(req_id, None)
        if reply is None:
            return
        if kind == "cancelled":
            self._on_finished_cancelled(reply)
            return
        self._fail_current(reply, message, crashed=kind == "crashed")

    def _on_finished_cancelled(self, reply: _Reply) -> None:
        stats = {"stop_reason": "cancelled"}
        self.saver.finish(reply.turn, "complete", dict(stats))
        if reply is self._current:
            self._end_current("complete", stats)

    def _fail_current(self, reply: _Reply, message: str, crashed: bool = False) -> None:
        status = "interrupted" if crashed else "error"
        self.saver.finish(reply.turn, status, {"reason": message})
        if reply is self._current:
            self._end_current(status, {"reason": message})
        elif reply.stopped:
            return  # the user had stopped it: the screen already shows the end
        self._retry = "reply"
        what = (
            self.tr("The engine stopped while writing the reply")
            if crashed
            else self.tr("The reply failed")
        )
        self.errorOccurred.emit(what, message)

    def _end_current(
        self, status: str, stats: dict[str, Any], awaiting_engine: bool = False
    ) -> None:
        reply = self._current
        if reply is None:
            return
        self._current = None
        self._flush_timer.stop()
        if not awaiting_engine:  # the engine has said its last word about it
            self._replies.pop(reply.req_id or -1, None)
        self.replyEnded.emit(reply.turn.message_id, status, stats)
        self.busyChanged.emit(False)

    @Slot()
    def _flush_reply(self) -> None:
        if self._current is not None:
            self.saver.write(self._current.turn.flush_if_due)

    # --- when the disk refuses ---------------------------------------------------------------

    @Slot(str, str)
    def _save_failed(self, title: str, detail: str) -> None:
        self._retry = "save"
        self.errorOccurred.emit(title, detail)

    @Slot(str)
    def _save_recovered(self, title: str) -> None:
        if self._retry == "save":
            self._retry = None
        self.storageRecovered.emit(title)
        self.noticePosted.emit(self.tr("Saving works again; what was on screen is saved."))

    @Slot(dict)
    def _on_model_loaded(self, _info: dict[str, Any]) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting is self._current:
            self._send_prompt(waiting)
        elif self.chat_id is not None:
            with contextlib.suppress(StorageError):  # only the context meter would show it
                self._count_context(self.service.prompt_chat(self.chat_id, self._n_ctx()))
        else:
            self.contextUsage.emit(0, self._n_ctx())

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._retry = "load"
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting is self._current:
            self.saver.finish(waiting.turn, "error", {"reason": message})
            self._end_current("error", {"reason": message})
        self.errorOccurred.emit(self.tr("The model could not be loaded"), message)

    @Slot()
    def _on_load_cancelled(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting is self._current:
            self.saver.finish(waiting.turn, "complete", {"stop_reason": "cancelled"})
            self._end_current("complete", {"stop_reason": "cancelled"})

    # --- context usage -------------------------------------------------------------------------

    def _n_ctx(self) -> int:
        loaded = self.engine.loaded
        return int(loaded["n_ctx"]) if loaded else 0

    def _count_context(self, chat: Chat) -> None:
        if self.engine.loaded is None:
            self.contextUsage.emit(0, 0)
            return
        messages = self.service.context_messages(chat, self.chat_settings, self._n_ctx())
        if not messages:
            self.contextUsage.emit(0, self._n_ctx())
            return
        self._count_id = self.engine.count(messages, self.models.chat_format)

    @Slot(int, int)
    def _on_counted(self, req_id: int, tokens: int) -> None:
        if req_id == self._count_id:
            self._count_id = None
            self.contextUsage.emit(tokens, self._n_ctx())
