"""Chats and their turns over one store, the same for every front end.

What a front end does with a chat goes through here: the title of a new chat, the
chat's own settings over the user's defaults, the user's message saved before the
engine hears of it, and the first step of regenerate and edit-and-resend. One
reply is a `Turn` (turn.py); `run_turn` (run_turn.py) drives one to its end.
"""

from __future__ import annotations

from parrotchat.core.chats.records import Chat, Message, utc_now
from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings
from parrotchat.service.prompt import engine_messages, prompt_chat
from parrotchat.service.turn import Turn

TITLE_LENGTH = 60


def title_for(text: str) -> str:
    """A new chat's title: the first words of its first message, on one line."""
    # Only the start is read: split() over a 5 MB paste alone would take ~70 ms.
    line = " ".join(text.lstrip()[: TITLE_LENGTH * 4].split())
    return (line[:TITLE_LENGTH] + ("…" if len(line) > TITLE_LENGTH else "")) or "New chat"


class ChatService:
    """One store's chats. `defaults` are the user's settings: each chat's own settings
    are read over them."""

    def __init__(self, store: ChatStore, defaults: Settings) -> None:
        self.store = store
        self.defaults = defaults

    # --- a chat and its settings -----------------------------------------------------

    def settings_of(self, chat: Chat | None) -> ChatSettings:
        """A chat's own settings over the defaults (None: a chat not yet created)."""
        if chat is None:
            return ChatSettings.defaults(self.defaults)
        return ChatSettings.from_dict(chat.settings, self.defaults)

    def create_chat(
        self,
        first_text: str,
        model_name: str | None,
        chat_settings: ChatSettings,
        *,
        user_text: str | None = None,
    ) -> int:
        """A new chat named after its first message, keeping the settings it starts with.

        `user_text`: what the user wrote when a template made the message around it
        ("Translate the following text into Korean: …"): the chat is named after that,
        so that chats from one template do not all look alike. It is used only while
        the message still holds it (the user may have rewritten the message since).
        """
        source = first_text
        if user_text is not None and user_text.strip() and user_text.strip() in first_text:
            source = user_text
        return self.store.create_chat(
            title_for(source), model=model_name, settings=chat_settings.to_dict()
        )

    def save_settings(self, chat_id: int, chat_settings: ChatSettings) -> None:
        self.store.update_chat_settings(chat_id, chat_settings.to_dict())

    # --- messages --------------------------------------------------------------------

    def add_user_message(self, chat_id: int, text: str) -> Message:
        """Save the user's message (before the engine hears of it); the saved Message."""
        message_id = self.store.add_message(chat_id, "user", text)
        return Message(message_id, chat_id, "user", text, utc_now(), None, None, None, "complete")

    def branch_last_reply(self, chat_id: int) -> int | None:
        """Regenerate's first step: hide the last reply so that the chat ends with the
        user's message again; the new reply becomes its sibling and the old one stays
        reachable (switch_branch). Returns the hidden reply's id (None: there was none)."""
        chat = self.store.get_chat_tail(chat_id, 1)
        if not chat.messages:
            raise ParrotError(f"Chat {chat_id} has no message to answer")
        last = chat.messages[-1]
        if last.role != "assistant":
            return None  # the last reply was never started (no model, say): answer again
        self.store.branch_before(chat_id, last.id)
        return last.id

    def branch_from(self, chat_id: int, message_id: int) -> None:
        """Edit-and-resend's first step: hide a sent message and everything after it;
        the edited text, sent next, becomes the original's sibling."""
        self.store.branch_before(chat_id, message_id)

    def switch_branch(self, chat_id: int, message_id: int, step: int) -> int | None:
        """‹ ›: show the previous (-1) or next (+1) sibling of a message and the branch
        below it. Returns the newly shown sibling's id; None when there is none that way."""
        target = self.store.sibling(message_id, step)
        if target is None:
            return None
        self.store.switch_branch(target)
        return target

    # --- turns -----------------------------------------------------------------------

    def begin_turn(self, chat_id: int, chat_settings: ChatSettings, model_name: str) -> Turn:
        """Save an empty reply (status "streaming") that the next steps fill in."""
        message_id = self.store.add_message(
            chat_id,
            "assistant",
            "",
            model=model_name,
            sampling=chat_settings.sampling.to_dict(),
            status="streaming",
        )
        return Turn(self.store, chat_id, message_id, chat_settings)

    def prompt_chat(self, chat_id: int, n_ctx: int | None) -> Chat:
        """The chat as far back as can reach a model with this context (None: the
        default context length)."""
        return prompt_chat(self.store, chat_id, n_ctx or self.defaults.context_length)

    def context_messages(
        self, chat: Chat, chat_settings: ChatSettings, n_ctx: int | None
    ) -> list[dict[str, str]]:
        """What a turn would send now, for counting the context in use.

        A chat opened with its newest messages only is read as far back as can be sent.
        """
        if chat.older:
            chat = self.prompt_chat(chat.id, n_ctx)
        return engine_messages(chat, chat_settings.system_prompt)
