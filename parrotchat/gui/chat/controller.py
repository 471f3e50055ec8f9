"""One conversation at a time: send, stream, stop, regenerate, edit-and-resend.

The user's message is saved before the engine hears of it; the reply is saved as
it grows (a `ReplyRecorder`, fed from the token signal on the GUI thread: a list
append, and a store write at most once a second); whatever the engine does, what
was written stays. When the disk refuses (full, removed), what is on screen stays:
a reply that could not be saved is kept in memory and saved again every few
seconds until it works, and a message that could not be saved goes back to the
composer (reply_saver.py). Widgets never come here: the view listens to the signals.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from parrotchat.core.chats.records import Chat, Message, utc_now
from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.chats.store import ChatStore, ReplyRecorder
from parrotchat.core.errors import EngineError, StorageError
from parrotchat.core.settings import Settings
from parrotchat.gui.chat.reply_saver import ReplySaver
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.models.controller import ModelController

TITLE_LENGTH = 60
OPEN_MESSAGES = 100  # a chat opens with its newest messages; the view reads older ones
BIG_MESSAGE = 256 * 1024  # characters: a message this long is handed on over a few turns


def title_for(text: str) -> str:
    # Only the start is read: split() over a 5 MB paste alone would take ~70 ms.
    line = " ".join(text.lstrip()[: TITLE_LENGTH * 4].split())
    return (line[:TITLE_LENGTH] + ("…" if len(line) > TITLE_LENGTH else "")) or "New chat"


@dataclass
class _Reply:
    chat_id: int
    message_id: int
    recorder: ReplyRecorder
    req_id: int | None = None  # None: waiting for the model to load
    left_out: int = 0  # older messages not even sent: they could not have fitted
    stopped: bool = False


class ChatController(QObject):
    """The open chat and its reply in flight.

    Signals:
        chatOpened(object): a Chat was opened (or None: no chat open).
        chatsChanged(): the chat list changed (new, renamed, reordered).
        messageAdded(object): a user Message was saved and belongs on screen.
        messagesRemoved(int): the message with this id and all after it are gone.
        replyStarted(int): an assistant message (its id) starts streaming.
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
    replyStarted = Signal(int)
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
        self.engine = engine
        self.models = models
        self.settings = settings
        self.chat_id: int | None = None
        self.chat_settings = ChatSettings.defaults(settings)
        self.ignore_eos = False  # benchmarks: replies run to max_tokens
        self._replies: dict[int, _Reply] = {}  # by request id
        self._current: _Reply | None = None
        self._waiting: _Reply | None = None  # reply waiting for the model to load
        self._retry: str | None = None  # "reply" or "load"
        self._count_id: int | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(1000)
        self.saver = ReplySaver(lambda: self._current.recorder if self._current else None, self)
        self._connect_signals()

    def _engine_links(self) -> list[tuple[Any, Any]]:
        e = self.engine
        return [
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

    def detach(self) -> None:
        """Stop listening to the engine (the window closes; the engine may live on).

        Replies still open are saved whole now: a stopped one as stopped, one still
        streaming as interrupted by the close.
        """
        self._flush_timer.stop()
        for signal, slot in self._engine_links():
            signal.disconnect(slot)
        self.saver.stop()
        open_replies = list(self._replies.values())
        if self._current is not None and self._current not in open_replies:
            open_replies.append(self._current)
        for reply in open_replies:
            with contextlib.suppress(StorageError, RuntimeError):
                if reply.stopped:
                    reply.recorder.finish({"stop_reason": "cancelled"})
                else:
                    reply.recorder.fail(
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
        if chat_id is None:
            self.chat_id = None
            self.chat_settings = ChatSettings.defaults(self.settings)
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
        self.chat_settings = ChatSettings.from_dict(chat.settings, self.settings)
        self.chatOpened.emit(chat)
        self.settingsChanged.emit(self.chat_settings)
        self._count_context(chat)

    def new_chat(self) -> None:
        self.open_chat(None)

    def _ensure_chat(self, first_text: str) -> int:
        if self.chat_id is None:
            model = self.models.current.name if self.models.current else None
            self.chat_id = self.store.create_chat(
                title_for(first_text), model=model, settings=self.chat_settings.to_dict()
            )
            self.settings.last_chat_id = self.chat_id
            self.chatsChanged.emit()
        return self.chat_id

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
        self.chat_settings = chat_settings
        if self.chat_id is not None:
            try:
                self.store.update_chat_settings(self.chat_id, chat_settings.to_dict())
            except StorageError as exc:
                self.errorOccurred.emit(self.tr("The chat settings could not be saved"), str(exc))

    def save_settings_as_defaults(self) -> None:
        self.chat_settings.apply_to_defaults(self.settings)
        self.noticePosted.emit(self.tr("These settings are now the defaults for new chats."))

    # --- sending ----------------------------------------------------------------------------

    def send(self, text: str) -> bool:
        """Save the user's message and start the reply; False if nothing was sent."""
        if self._current is not None or not text or text.isspace():  # strip() copies 5 MB
            return False
        try:
            chat_id = self._ensure_chat(text)
            message_id = self.store.add_message(chat_id, "user", text)
        except StorageError as exc:
            title = self.tr("Your message could not be saved")
            self.saver.note_shown(title)
            self.errorOccurred.emit(
                title, self.tr("%1. Your text is back in the box below.").replace("%1", str(exc))
            )
            self.unsentText.emit(text)
            return False
        self.saver.went_through()
        self.messageAdded.emit(
            Message(message_id, chat_id, "user", text, utc_now(), None, None, None, "complete")
        )
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
        """Replace the last reply with a new one."""
        if self._current is not None or self.chat_id is None:
            return
        try:
            chat = self.store.get_chat_tail(self.chat_id, 1)
            if not chat.messages:
                return
            last = chat.messages[-1]
            if last.role == "assistant":
                self.store.delete_messages_from(chat.id, last.id)
                self.messagesRemoved.emit(last.id)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The reply could not be regenerated"), str(exc))
            return
        self._start_reply()

    def edit_and_resend(self, message_id: int, text: str) -> bool:
        """Replace a sent message (and every message after it) with `text`, then reply."""
        if self._current is not None or self.chat_id is None or not text.strip():
            return False
        try:
            self.store.delete_messages_from(self.chat_id, message_id)
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The message could not be changed"), str(exc))
            self.unsentText.emit(text)
            return False
        self.messagesRemoved.emit(message_id)
        return self.send(text)

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
            self.engine.stop(reply.req_id)
            self._end_current("complete", {"stop_reason": "cancelled"}, keep_recorder=True)
        else:  # still waiting for the model: nothing was generated
            self._waiting = None
            self.saver.finish(reply.recorder, "complete", {"stop_reason": "cancelled"})
            self._end_current("complete", {"stop_reason": "cancelled"})

    def _start_reply(self, defer_prompt: bool = False) -> None:
        assert self.chat_id is not None
        model = self.models.current
        if model is None or (self.engine.loaded is None and not self.engine.is_loading):
            self._retry = "load" if model is not None else None
            self.errorOccurred.emit(
                self.tr("No model is loaded"),
                self.tr("Choose a model at the top of the window, then send again."),
            )
            return
        sampling = self.chat_settings.sampling
        try:
            message_id = self.store.add_message(
                self.chat_id,
                "assistant",
                "",
                model=model.name,
                sampling=sampling.to_dict(),
                status="streaming",
            )
        except StorageError as exc:
            self.errorOccurred.emit(self.tr("The reply could not be saved"), str(exc))
            return
        reply = _Reply(self.chat_id, message_id, ReplyRecorder(self.store, message_id))
        self._current = reply
        self._retry = None
        # The window clears the last error for a new reply: a new failure is shown anew.
        self.saver.note_shown(None)
        self.replyStarted.emit(message_id)
        self.busyChanged.emit(True)
        self._flush_timer.start()
        if self.engine.loaded is None:
            self._waiting = reply  # sent when the model is loaded
            return
        if defer_prompt:
            QTimer.singleShot(1, lambda: self._send_prompt(reply))
        else:
            self._send_prompt(reply)

    def _send_prompt(self, reply: _Reply) -> None:
        from parrotchat.conversation import engine_messages  # after start-up: it imports gguf

        if reply is not self._current or reply.req_id is not None:
            return  # stopped, or another chat opened, in between
        try:
            chat = self._prompt_chat(reply.chat_id)
        except StorageError as exc:
            self._fail_current(reply, str(exc))
            return
        reply.left_out = chat.older
        self._submit(reply, engine_messages(chat, self.chat_settings.system_prompt))

    def _prompt_chat(self, chat_id: int) -> Chat:
        """The chat as far back as can reach the model.

        A message takes at least one token, so no more than n_ctx of the newest can
        fit: a 100,000-message chat sends its last n_ctx, not 100,000 to fit in.
        """
        n_ctx = self._n_ctx() or self.settings.context_length
        return self.store.get_chat_tail(chat_id, max(1, n_ctx))

    def _submit(self, reply: _Reply, messages: list[dict[str, str]]) -> None:
        from parrotchat.engine.protocol import ChatRequest

        # The empty streaming message itself is not part of the prompt.
        request = ChatRequest(
            messages=messages,
            sampling=self.chat_settings.sampling.to_dict(),
            overflow=self.chat_settings.overflow_policy,
            chat_format=self.models.chat_format,
            ignore_eos=self.ignore_eos,
        )
        try:
            reply.req_id = self.engine.chat(request)
        except EngineError as exc:
            self._fail_current(reply, str(exc))
            return
        self._replies[reply.req_id] = reply

    # --- engine events -----------------------------------------------------------------------

    @Slot(int, str)
    def _on_token(self, req_id: int, text: str) -> None:
        reply = self._replies.get(req_id)
        if reply is None or reply.stopped:
            return  # after Stop the screen and the store keep what was shown
        self.saver.write(reply.recorder.append, text)
        if reply.chat_id == self.chat_id:
            self.replyChunk.emit(text)

    @Slot(int, dict)
    def _on_finished(self, req_id: int, stats: dict[str, Any]) -> None:
        reply = self._replies.pop(req_id, None)
        if reply is None:
            return
        if reply.left_out:
            dropped = int(stats.get("dropped_messages") or 0) + reply.left_out
            stats = {**stats, "dropped_messages": dropped}
        self.saver.finish(reply.recorder, "complete", dict(stats))
        if reply is self._current:
            self._end_current("complete", stats)
        else:
            self.replyStatsUpdated.emit(reply.message_id, stats)
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
        self.saver.finish(reply.recorder, "complete", dict(stats))
        if reply is self._current:
            self._end_current("complete", stats)

    def _fail_current(self, reply: _Reply, message: str, crashed: bool = False) -> None:
        status = "interrupted" if crashed else "error"
        self.saver.finish(reply.recorder, status, {"reason": message})
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

    def _end_current(self, status: str, stats: dict[str, Any], keep_recorder: bool = False) -> None:
        reply = self._current
        if reply is None:
            return
        self._current = None
        self._flush_timer.stop()
        if not keep_recorder:
            self._replies.pop(reply.req_id or -1, None)
        self.replyEnded.emit(reply.message_id, status, stats)
        self.busyChanged.emit(False)

    @Slot()
    def _flush_reply(self) -> None:
        if self._current is not None:
            self.saver.write(self._current.recorder.flush_if_due)

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
                self._count_context(self._prompt_chat(self.chat_id))
        else:
            self.contextUsage.emit(0, self._n_ctx())

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._retry = "load"
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting is self._current:
            self.saver.finish(waiting.recorder, "error", {"reason": message})
            self._end_current("error", {"reason": message})
        self.errorOccurred.emit(self.tr("The model could not be loaded"), message)

    @Slot()
    def _on_load_cancelled(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting is self._current:
            self.saver.finish(waiting.recorder, "complete", {"stop_reason": "cancelled"})
            self._end_current("complete", {"stop_reason": "cancelled"})

    # --- context usage -------------------------------------------------------------------------

    def _n_ctx(self) -> int:
        loaded = self.engine.loaded
        return int(loaded["n_ctx"]) if loaded else 0

    def _count_context(self, chat: Chat) -> None:
        if self.engine.loaded is None:
            self.contextUsage.emit(0, 0)
            return
        from parrotchat.conversation import engine_messages

        if chat.older:  # opened with its newest messages only: count what can be sent
            chat = self._prompt_chat(chat.id)
        messages = engine_messages(chat, self.chat_settings.system_prompt)
        if not messages:
            self.contextUsage.emit(0, self._n_ctx())
            return
        self._count_id = self.engine.count(messages, self.models.chat_format)

    @Slot(int, int)
    def _on_counted(self, req_id: int, tokens: int) -> None:
        if req_id == self._count_id:
            self._count_id = None
            self.contextUsage.emit(tokens, self._n_ctx())
