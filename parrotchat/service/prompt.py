"""What of a chat reaches the model: its newest messages, as the engine wants them."""

from __future__ import annotations

from parrotchat.core.chats.records import Chat
from parrotchat.core.chats.store import ChatStore


def engine_messages(chat: Chat, system_prompt: str) -> list[dict[str, str]]:
    """The conversation as the engine sees it: system prompt, then every kept message."""
    messages: list[dict[str, str]] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for m in chat.messages:
        if m.role == "system":
            continue
        if m.role == "assistant" and not m.content:
            continue  # a reply that failed before its first token, or the one in the making
        messages.append({"role": m.role, "content": m.content})
    return messages


def prompt_chat(store: ChatStore, chat_id: int, n_ctx: int) -> Chat:
    """The chat as far back as can reach the model; `Chat.older` counts the rest.

    A message takes at least one token, so no more than n_ctx of the newest can
    fit: a 100,000-message chat sends its last n_ctx, not 100,000 to fit in.
    """
    return store.get_chat_tail(chat_id, max(1, n_ctx))
