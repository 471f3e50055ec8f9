"""A chat as a Markdown document (to read or share) or as JSON (to keep everything).

Markdown is for people: the conversation with a short header, and a note where a
reply was cut off. JSON is for machines and bug reports: settings, sampling and
stats of every message included, so a reply can be reproduced.

Both write the branch shown, unless given every message of the chat (`branches`,
ChatStore.all_messages): then each version of a regenerated or edited message is
written, marked as such, with its parent.
"""

from __future__ import annotations

import json
from typing import Any

from parrotchat.core.chats.records import Chat, Message

EXPORT_FORMAT = "parrotchat-chat"
EXPORT_VERSION = 2  # 2: messages carry parent_id and branch

_ROLE_HEADINGS = {"system": "System", "user": "User", "assistant": "Assistant"}


def _heading(message: Message) -> str:
    heading = f"## {_ROLE_HEADINGS.get(message.role, message.role)}"
    if message.role == "assistant" and message.model:
        heading += f" ({message.model})"
    return heading


def _status_note(message: Message) -> str | None:
    if message.status == "complete":
        return None
    reason = (message.stats or {}).get("reason")
    note = {
        "streaming": "reply still being written",
        "interrupted": "reply interrupted",
        "error": "reply failed",
    }.get(message.status, message.status)
    return f"_({note}: {reason})_" if reason else f"_({note})_"


def _tree_order(messages: list[Message]) -> list[Message]:
    """Depth first, versions by id: each version is followed by what was said after it."""
    children: dict[int | None, list[Message]] = {}
    for message in sorted(messages, key=lambda m: m.id):
        children.setdefault(message.parent_id, []).append(message)
    ordered: list[Message] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        message = stack.pop()
        ordered.append(message)
        stack.extend(reversed(children.get(message.id, [])))
    return ordered


def export_markdown(chat: Chat, branches: list[Message] | None = None) -> str:
    """The branch shown; with `branches` (every message of the chat), every version."""
    lines = [f"# {chat.title}", ""]
    if chat.model:
        lines.append(f"- Model: {chat.model}")
    lines += [f"- Created: {chat.created_at}", f"- Updated: {chat.updated_at}", ""]
    messages = chat.messages if branches is None else _tree_order(branches)
    for message in messages:
        heading = _heading(message)
        if branches is not None:
            heading += f" · #{message.id}"
            if message.branch_count > 1:
                after = "" if message.parent_id is None else f", after #{message.parent_id}"
                heading += f" (version {message.branch_index + 1} of {message.branch_count}{after})"
        lines += [heading, "", message.content.rstrip("\n")]
        note = _status_note(message)
        if note:
            lines += ["", note]
        lines.append("")
    return "\n".join(lines)


def _message_dict(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "created_at": message.created_at,
        "model": message.model,
        "status": message.status,
        "sampling": message.sampling,
        "stats": message.stats,
        "parent_id": message.parent_id,
        "branch": {"index": message.branch_index + 1, "count": message.branch_count},
    }


def export_json(chat: Chat, branches: list[Message] | None = None) -> str:
    """The branch shown; with `branches` (every message of the chat), all of them in
    a flat list whose parent_id links make the tree."""
    data = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "id": chat.id,
        "title": chat.title,
        "created_at": chat.created_at,
        "updated_at": chat.updated_at,
        "model": chat.model,
        "settings": chat.settings,
        "branches": "shown" if branches is None else "all",
        "messages": [_message_dict(m) for m in (chat.messages if branches is None else branches)],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
