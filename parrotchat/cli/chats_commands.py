"""`parrotchat chats …`: list, show, search, export, rename, pin, unpin, delete."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from parrotchat.cli.context import CliContext
from parrotchat.core.atomic_file import write_atomic
from parrotchat.core.chats.export import export_json, export_markdown
from parrotchat.core.chats.records import Message
from parrotchat.core.chats.store import ChatStore
from parrotchat.core.chats.times import iso_utc, local_time
from parrotchat.core.errors import ParrotError


def run_chats(ctx: CliContext, args: argparse.Namespace) -> int:
    store = ctx.store()
    try:
        as_json = bool(args.sub_json or args.json) if "sub_json" in args else False
        command = args.chats_command
        if command == "list":
            _list(store, args.search, as_json)
        elif command == "show":
            _show(store, args.id, as_json)
        elif command == "search":
            _search(store, args.query, args.limit, as_json)
        elif command == "export":
            _export(store, args)
        else:
            _tidy(store, command, args)
        return 0
    finally:
        store.close()


def _list(store: ChatStore, query: str | None, as_json: bool) -> None:
    chats = store.list_chats(query)
    if as_json:
        rows = [
            {**asdict(c), "created_at": iso_utc(c.created_at), "updated_at": iso_utc(c.updated_at)}
            for c in chats
        ]
        print(json.dumps(rows, ensure_ascii=False, default=str))
        return
    for c in chats:
        pin = "(pinned) " if c.pinned else ""
        print(
            f"{c.id:>5}  {local_time(c.updated_at):<16} {c.message_count:>4} msgs  {pin}{c.title}"
        )


def _branch_mark(message: Message) -> str:
    if message.branch_count < 2:
        return ""
    return f" ‹{message.branch_index + 1}/{message.branch_count}›"


def _show(store: ChatStore, chat_id: int, as_json: bool) -> None:
    chat = store.get_chat(chat_id)
    if as_json:
        print(export_json(chat))
        return
    print(f"# {chat.title}")
    for m in chat.messages:
        print(f"\n[{m.role}]{_branch_mark(m)} {m.content}")


def _search(store: ChatStore, query: str, limit: int, as_json: bool) -> None:
    if not query.strip():
        raise ParrotError("Nothing to search for: the query is empty")
    if limit < 1:
        raise ParrotError(f"--limit must be at least 1 (got {limit})")
    hits = store.search_messages(query, limit)
    if as_json:
        print(json.dumps([asdict(h) for h in hits], ensure_ascii=False))
        return
    for h in hits:
        hidden = " (other branch)" if not h.shown else ""
        print(f"{h.chat_id:>5}  #{h.message_id:<7} {h.title}{hidden}: {h.snippet}")


def _export(store: ChatStore, args: argparse.Namespace) -> None:
    chat = store.get_chat(args.id)
    branches = store.all_messages(args.id) if args.all_branches else None
    export = export_json if args.format == "json" else export_markdown
    text = export(chat, branches)
    if args.output:
        write_atomic(args.output, text if text.endswith("\n") else text + "\n")
        print(f"Chat {chat.id} written to {args.output}", file=sys.stderr)
    else:
        print(text)


def _tidy(store: ChatStore, command: str, args: argparse.Namespace) -> None:
    if command == "rename":
        title = args.title.strip()
        if not title:
            raise ParrotError("A chat's title cannot be empty")
        store.rename_chat(args.id, title)
        done = f"renamed to {title}"
    elif command in ("pin", "unpin"):
        store.set_pinned(args.id, command == "pin")
        done = "pinned" if command == "pin" else "unpinned"
    else:
        store.delete_chat(args.id)
        done = "deleted"
    print(f"Chat {args.id} {done}", file=sys.stderr)
