"""A chat as a Markdown document (to read or share) or as JSON (to keep everything).

Markdown is for people: the conversation with a short header, and a note where a
reply was cut off. JSON is for machines and bug reports: settings, sampling and
stats of every message included, so a reply can be reproduced.
"""

from __future__ import annotations

import json
from typing import Any

from parrotchat.core.chats.records import Chat, Message

EXPORT_FORMAT = "parrotchat-chat"
EXPORT_VERSION = 1

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


def export_markdown(chat: Chat) -> str:
    lines = [f"# {chat.title}", ""]
    if chat.model:
        lines.append(f"- Model: {chat.model}")
    lines += [f"- Created: {chat.created_at}", f"- Updated: {chat.updated_at}", ""]
    for message in chat.messages:
        lines += [_heading(message), "", message.content.rstrip("\n")]
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
    }


def export_json(chat: Chat) -> str:
    data = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "id": chat.id,
        "title": chat.title,
        "created_at": chat.created_at,
        "updated_at": chat.updated_at,
        "model": chat.model,
        "settings": chat.settings,
        "messages": [_message_dict(m) for m in chat.messages],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
