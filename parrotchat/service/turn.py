"""One reply in the making: its stored message, the request that asks for it, and
how much of the chat could not be sent.

The steps, the same for the window (driven by engine signals) and the CLI (driven
by a blocking loop, `run_turn`):

    ChatService.begin_turn()   the empty reply is saved first, status "streaming"
    build_request(n_ctx)       the chat's tail that can reach the model, as a ChatRequest
    on_text(piece)             each piece; the reply is saved at least once a second
    finish(stats) | fail(..)   the whole reply saved with its stats and final status

A StorageError from any step leaves the text in memory; the same step (or `flush`)
tries again, so a front end can keep a reply while the disk refuses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from parrotchat.core.chats.reply_recorder import ReplyRecorder
from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.chats.store import ChatStore
from parrotchat.engine.protocol import ChatRequest
from parrotchat.service.doc_answers import SourcedPrompt
from parrotchat.service.prompt import engine_messages, prompt_chat


class Turn:
    def __init__(
        self, store: ChatStore, chat_id: int, message_id: int, chat_settings: ChatSettings
    ) -> None:
        self._store = store
        self.chat_id = chat_id
        self.message_id = message_id
        self.chat_settings = chat_settings
        self.recorder = ReplyRecorder(store, message_id)
        self.request: ChatRequest | None = None
        self.left_out = 0  # older messages not even sent: they could not have fitted
        self.sources: SourcedPrompt | None = None  # an answer from documents (doc_answers.py)

    @property
    def text(self) -> str:
        return self.recorder.text

    def build_request(
        self, n_ctx: int, *, chat_format: str | None = None, ignore_eos: bool = False
    ) -> ChatRequest:
        """Read the chat's newest messages and ask for a reply to them under its settings."""
        chat = prompt_chat(self._store, self.chat_id, n_ctx)
        self.left_out = chat.older
        settings = self.chat_settings
        # The empty streaming message itself is not part of the prompt (engine_messages).
        self.request = ChatRequest(
            messages=engine_messages(chat, settings.system_prompt),
            sampling=settings.sampling.to_dict(),
            overflow=settings.overflow_policy,
            chat_format=chat_format,
            ignore_eos=ignore_eos,
        )
        return self.request

    def use_sources(self, prompt: SourcedPrompt) -> ChatRequest:
        """Send these messages (the question with its sources) instead; the reply's stats
        will name the sources. Call after build_request."""
        if self.request is None:
            raise RuntimeError("use_sources before build_request")
        self.sources = prompt
        self.request = replace(self.request, messages=prompt.messages)
        return self.request

    def on_text(self, piece: str) -> bool:
        """Add a piece of the reply; True if this wrote the reply so far to the store."""
        return self.recorder.append(piece)

    def flush_if_due(self) -> bool:
        """Save unsaved text if a second has passed (a slow model sits idle mid-reply)."""
        return self.recorder.flush_if_due()

    def flush(self) -> bool:
        """Save unsaved text now (a retry after the disk refused)."""
        return self.recorder.flush()

    def final_stats(self, stats: dict[str, Any]) -> dict[str, Any]:
        """The engine's stats, with the messages never sent counted among those left out,
        and the sources the reply was written from.

        The engine only knows what it dropped from what it was sent; the user's "N
        oldest messages left out" is both.
        """
        final = dict(stats)
        if self.sources is not None:
            final.update(self.sources.stats())
        if self.left_out:
            final["dropped_messages"] = int(stats.get("dropped_messages") or 0) + self.left_out
        return final

    def close(self, status: str, stats: dict[str, Any]) -> None:
        """Save the whole reply with this status and these stats, as given (a stopped
        reply keeps its sources).

        RuntimeError if it was closed already; StorageError leaves it open to retry.
        """
        if self.sources is not None and "sources" not in stats:
            stats = {**stats, **self.sources.stats()}
        self.recorder.finish(stats, status=status)

    def finish(self, stats: dict[str, Any]) -> dict[str, Any]:
        """The reply is complete: save it with its final stats, and return them."""
        final = self.final_stats(stats)
        self.close("complete", final)
        return final

    def fail(self, reason: str, status: str = "error") -> None:
        """Keep the partial reply, marked "error" (or "interrupted"), with the reason."""
        self.recorder.fail(reason, status=status)
