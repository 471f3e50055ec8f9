"""What a chat is, as the rest of the app sees it: plain frozen records.

The store returns these; export, the CLI and the window read them without
touching SQLite. JSON columns (settings, sampling, stats) are decoded here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    """The store's timestamp format: UTC, milliseconds, e.g. 2025-03-01T09:30:00.123Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ChatSummary:
    id: int
    title: str
    created_at: str
    updated_at: str  # the last change to the conversation (its messages)
    model: str | None
    message_count: int  # on the branch shown
    pinned: bool = False


@dataclass(frozen=True)
class Message:
    id: int
    chat_id: int
    role: str  # 'system' | 'user' | 'assistant'
    content: str
    created_at: str
    model: str | None
    sampling: dict[str, Any] | None
    stats: dict[str, Any] | None
    status: str  # 'complete' | 'streaming' | 'interrupted' | 'error'
    # A chat is a tree: regenerate and edit-and-resend add a sibling. parent_id is
    # None for a first message; branch_index (0-based, by id) and branch_count place
    # this message among its siblings (the "‹ 2/3 ›" switcher).
    parent_id: int | None = None
    branch_index: int = 0
    branch_count: int = 1


@dataclass(frozen=True)
class SearchHit:
    """A message found by ChatStore.search_messages."""

    chat_id: int
    message_id: int
    title: str
    role: str
    created_at: str
    # Plain text around the first match ("…" where cut, newlines as spaces), and the
    # (start, end) offsets of the matches within it, for marking them.
    snippet: str
    marks: tuple[tuple[int, int], ...]
    shown: bool  # False: the message is on a branch not shown


@dataclass(frozen=True)
class Chat:
    id: int
    title: str
    created_at: str
    updated_at: str
    model: str | None
    settings: dict[str, Any]
    messages: list[Message]
    # Messages before the first of `messages` that were not loaded: a long chat is
    # read from its newest end (ChatStore.get_chat_tail) and paged in as it is scrolled.
    older: int = 0


def dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def loads(text: str | None) -> Any:
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return None  # written by hand or by a bug: losing one detail beats losing the chat
