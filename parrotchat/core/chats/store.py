"""Chats and their messages in one SQLite file: what you can do with them.

The records it returns are in chat_records.py, opening the file (damage check,
WAL, migrations) in chat_store_file.py, the tables in chat_store_schema.py.
Every change is one short transaction, so a killed app leaves each chat as it was
after its last completed change. One ChatStore (one connection) per thread; the
window and the CLI may have the file open at once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from parrotchat.core.chats import branches
from parrotchat.core.chats.records import (
    Chat,
    ChatSummary,
    Message,
    SearchHit,
    dumps,
    loads,
    utc_now,
)
from parrotchat.core.chats.reply_recorder import ReplyRecorder
from parrotchat.core.chats.schema import ROLES, STATUSES, MigrationError
from parrotchat.core.chats.search import like_pattern, needs_casefold, search
from parrotchat.core.chats.store_file import (
    full_disk_reason,
    open_database,
    open_memory_copy,
    sqlite_reason,
    unwritable_reason,
)
from parrotchat.core.errors import StorageError

__all__ = [
    "Chat",
    "ChatStore",
    "ChatSummary",
    "Message",
    "ReplyRecorder",
    "SearchHit",
    "utc_now",
]

# A message and where it sits among its siblings (same chat, same parent; by id).
_MESSAGE_COLUMNS = (
    "id, chat_id, role, content, created_at, model, sampling_json, stats_json, status, "
    "parent_id, (SELECT count(*) FROM messages s WHERE s.chat_id = m.chat_id "
    "AND s.parent_id IS m.parent_id AND s.id < m.id), (SELECT count(*) FROM messages s "
    "WHERE s.chat_id = m.chat_id AND s.parent_id IS m.parent_id)"
)


class ChatStore:
    """The chat database. Use `with ChatStore(path) as store:` or open()/close().

    `warnings` lists what the user should hear about from opening (a damaged file
    moved aside, a folder that cannot do WAL, a read-only folder). With
    `memory_fallback` (the window) a file that cannot be written (a read-only or a
    full disk) is read into memory instead, and `memory_only` says so: the user can
    still read and chat, and nothing new is kept.
    """

    def __init__(self, path: str | os.PathLike[str], *, memory_fallback: bool = False) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        self.memory_only = False
        self._memory_fallback = memory_fallback
        self._conn: sqlite3.Connection | None = None

    def open(self) -> ChatStore:
        if self._conn is None:
            if self._memory_fallback:
                conn = self._open_or_copy()
            else:
                conn = open_database(self.path, self.warnings)
            conn.create_function("parrot_fold", 1, str.casefold, deterministic=True)
            self._conn = conn
        return self

    def _open_or_copy(self) -> sqlite3.Connection:
        reason = unwritable_reason(self.path)
        fix = ""
        if reason is None:
            try:
                return open_database(self.path, self.warnings)
            except MigrationError as exc:
                # The file is as it was; the upgraded copy in memory lets the user read.
                reason = (
                    f"{self.path} could not be upgraded to this version's format "
                    f"({exc.reason}); the file is unchanged"
                )
            except StorageError:
                reason = full_disk_reason(self.path)
                if reason is None:
                    raise
                fix = "; free some space and start ParrotChat again to save"
        self.memory_only = True
        return open_memory_copy(self.path, self.warnings, reason, fix)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> ChatStore:
        return self.open()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("ChatStore is not open")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._db()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                reason = sqlite_reason(exc, self.path)
                raise StorageError(f"Cannot save to {self.path}: {reason}") from exc
            raise

    def _read(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        try:
            return self._db().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot read {self.path}: {sqlite_reason(exc, self.path)}") from exc

    @staticmethod
    def _touch(conn: sqlite3.Connection, chat_id: int) -> None:
        cur = conn.execute("UPDATE chats SET updated_at = ? WHERE id = ?", (utc_now(), chat_id))
        if cur.rowcount == 0:
            raise StorageError(f"chat {chat_id} does not exist")

    def _update_chat(self, chat_id: int, column: str, value: Any) -> None:
        with self._transaction() as conn:
            cur = conn.execute(f"UPDATE chats SET {column} = ? WHERE id = ?", (value, chat_id))
            if cur.rowcount == 0:
                raise StorageError(f"chat {chat_id} does not exist")

    # --- chats ------------------------------------------------------------------

    def create_chat(
        self, title: str, model: str | None = None, settings: dict[str, Any] | None = None
    ) -> int:
        now = utc_now()
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO chats (title, created_at, updated_at, model, settings_json) "
                "VALUES (?, ?, ?, ?, ?)",
                (title, now, now, model, dumps(settings or {})),
            )
            return int(cur.lastrowid or 0)

    def list_chats(self, query: str | None = None) -> list[ChatSummary]:
        """Pinned first, then newest first; `query` finds chats whose title or any
        message (on any branch) contains it."""
        sql = (
            "SELECT c.id, c.title, c.created_at, c.updated_at, c.model, "
            "(SELECT count(*) FROM messages m WHERE m.chat_id = c.id AND m.shown = 1), "
            "c.pinned FROM chats c "
        )
        query = (query or "").strip()
        params: dict[str, Any] = {}
        if query:
            if needs_casefold(query):
                match = "instr(parrot_fold({}), :q) > 0"
                params["q"] = query.casefold()
            else:
                match = "{} LIKE :q ESCAPE '\\'"
                params["q"] = like_pattern(query)
            sql += (
                f"WHERE {match.format('c.title')} OR EXISTS (SELECT 1 FROM messages m "
                f"WHERE m.chat_id = c.id AND {match.format('m.content')}) "
            )
        rows = self._read(sql + "ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC", params)
        return [
            ChatSummary(cid, title, created, updated, model, int(count), bool(pinned))
            for cid, title, created, updated, model, count, pinned in rows
        ]

    def search_messages(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages in every chat and branch containing `query` (any case), newest
        first; a hit on a branch not shown has shown=False."""
        try:
            return search(self._db(), query, limit)
        except sqlite3.Error as exc:
            raise StorageError(
                f"Cannot search {self.path}: {sqlite_reason(exc, self.path)}"
            ) from exc

    def get_chat(self, chat_id: int) -> Chat:
        rows = self._read(
            "SELECT id, title, created_at, updated_at, model, settings_json FROM chats "
            "WHERE id = ?",
            (chat_id,),
        )
        if not rows:
            raise StorageError(f"chat {chat_id} does not exist")
        cid, title, created, updated, model, settings_json = rows[0]
        messages = self._messages_where("chat_id = ? AND shown = 1 ORDER BY position", (chat_id,))
        return Chat(cid, title, created, updated, model, loads(settings_json) or {}, messages)

    # --- a long chat, page by page ---------------------------------------------

    def get_chat_tail(self, chat_id: int, count: int) -> Chat:
        """The branch shown, only its newest `count` messages; `Chat.older` counts the rest.

        What the window opens with: a 100,000-message chat then costs a page of rows,
        not 100,000 (the messages are read newest first through the position index).
        """
        rows = self._read(
            "SELECT id, title, created_at, updated_at, model, settings_json, "
            "(SELECT count(*) FROM messages m WHERE m.chat_id = c.id AND m.shown = 1) "
            "FROM chats c WHERE id = ?",
            (chat_id,),
        )
        if not rows:
            raise StorageError(f"chat {chat_id} does not exist")
        cid, title, created, updated, model, settings_json, total = rows[0]
        messages = self._messages_where(
            "chat_id = ? AND shown = 1 ORDER BY position DESC LIMIT ?", (chat_id, max(0, count))
        )
        messages.reverse()
        settings = loads(settings_json) or {}
        older = max(0, int(total) - len(messages))
        return Chat(cid, title, created, updated, model, settings, messages, older)

    def messages_before(self, chat_id: int, message_id: int, count: int) -> list[Message]:
        """Up to `count` shown messages just before this one, oldest first (scrolling up)."""
        messages = self._messages_where(
            "chat_id = ? AND shown = 1 AND position < (SELECT position FROM messages WHERE id = ?) "
            "ORDER BY position DESC LIMIT ?",
            (chat_id, message_id, max(0, count)),
        )
        messages.reverse()
        return messages

    def _messages_where(self, where: str, params: tuple[Any, ...]) -> list[Message]:
        return [
            Message(mid, chat, role, text, at, model, loads(samp), loads(stats), *rest)
            for mid, chat, role, text, at, model, samp, stats, *rest in self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m WHERE {where}", params
            )
        ]

    def all_messages(self, chat_id: int) -> list[Message]:
        """Every message of every branch, by depth then id (export --all-branches)."""
        return self._messages_where("chat_id = ? ORDER BY position, id", (chat_id,))

    def rename_chat(self, chat_id: int, title: str) -> None:
        self._update_chat(chat_id, "title", title)

    def update_chat_settings(self, chat_id: int, settings: dict[str, Any]) -> None:
        self._update_chat(chat_id, "settings_json", dumps(settings))

    def set_chat_model(self, chat_id: int, model: str | None) -> None:
        self._update_chat(chat_id, "model", model)

    def set_pinned(self, chat_id: int, pinned: bool) -> None:
        """A pinned chat is listed before the others."""
        self._update_chat(chat_id, "pinned", int(pinned))

    def delete_chat(self, chat_id: int) -> None:
        with self._transaction() as conn:  # messages go with it (ON DELETE CASCADE)
            if conn.execute("DELETE FROM chats WHERE id = ?", (chat_id,)).rowcount == 0:
                raise StorageError(f"chat {chat_id} does not exist")

    # --- messages ---------------------------------------------------------------

    def add_message(
        self,
        chat_id: int,
        role: str,
        content: str,
        *,
        model: str | None = None,
        sampling: dict[str, Any] | None = None,
        stats: dict[str, Any] | None = None,
        status: str = "complete",
    ) -> int:
        if role not in ROLES or status not in STATUSES:
            raise ValueError(f"bad role {role!r} or status {status!r}")
        with self._transaction() as conn:
            self._touch(conn, chat_id)
            # Appended to the branch shown: after a branch_before, a sibling of the
            # messages hidden; chosen first when its parent's subtree is switched to.
            last = conn.execute(
                "SELECT id, position FROM messages WHERE chat_id = ? AND shown = 1 "
                "ORDER BY position DESC LIMIT 1",
                (chat_id,),
            ).fetchone()
            parent_id, position = (last[0], last[1] + 1) if last else (None, 0)
            values = (role, content, utc_now(), model, dumps(sampling), dumps(stats), status)
            cur = conn.execute(
                "INSERT INTO messages (chat_id, parent_id, position, role, content, created_at, "
                "model, sampling_json, stats_json, status, shown, chosen_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (
                    chat_id,
                    parent_id,
                    position,
                    *values,
                    branches.next_seq(conn, chat_id, parent_id),
                ),
            )
            return int(cur.lastrowid or 0)

    def update_message(
        self,
        message_id: int,
        content: str | None = None,
        stats: dict[str, Any] | None = None,
        status: str | None = None,
    ) -> None:
        """Change what is given; None leaves a field as it is."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"bad status {status!r}")
        changes = {"content": content, "stats_json": dumps(stats), "status": status}
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return
        with self._transaction() as conn:
            row = conn.execute("SELECT chat_id FROM messages WHERE id = ?", (message_id,))
            found = row.fetchone()
            if found is None:
                raise StorageError(f"message {message_id} does not exist")
            assignments = ", ".join(f"{k} = ?" for k in changes)
            conn.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", (*changes.values(), message_id)
            )
            self._touch(conn, found[0])

    # --- branches ---------------------------------------------------------------

    def branch_before(self, chat_id: int, message_id: int) -> int:
        """Hide a shown message and every shown message after it (edit-and-resend,
        regenerate): the next add_message becomes its sibling, and the old version
        stays reachable with switch_branch. Returns how many were hidden."""
        with self._transaction() as conn:
            found = conn.execute(
                "SELECT position FROM messages WHERE id = ? AND chat_id = ? AND shown = 1",
                (message_id, chat_id),
            ).fetchone()
            if found is None:
                raise StorageError(f"message {message_id} is not shown in chat {chat_id}")
            cur = conn.execute(
                "UPDATE messages SET shown = 0 WHERE chat_id = ? AND shown = 1 AND position >= ?",
                (chat_id, found[0]),
            )
            self._touch(conn, chat_id)
            return cur.rowcount

    def switch_branch(self, message_id: int) -> None:
        """Show the branch through this message: its ancestors, itself, and below it
        the child last chosen at each step. Everything else in the chat is hidden."""
        with self._transaction() as conn:
            chat_id = branches.show_path_through(conn, message_id)
            self._touch(conn, chat_id)

    def sibling(self, message_id: int, step: int) -> int | None:
        """The id of the previous (step -1) or next (+1) sibling; None past either end."""
        rows = self._read(
            "SELECT s.id FROM messages m JOIN messages s ON s.chat_id = m.chat_id "
            "AND s.parent_id IS m.parent_id WHERE m.id = ? ORDER BY s.id",
            (message_id,),
        )
        ids = [row[0] for row in rows]
        if message_id not in ids:
            raise StorageError(f"message {message_id} does not exist")
        index = ids.index(message_id) + step
        return ids[index] if 0 <= index < len(ids) else None

    def recover_interrupted(self) -> int:
        """At startup: replies still 'streaming' were cut off by a crash or kill."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT id, stats_json FROM messages WHERE status = 'streaming'"
            ).fetchall()
            for message_id, stats_json in rows:
                stats = loads(stats_json)
                stats = stats if isinstance(stats, dict) else {}
                stats.setdefault("reason", "ParrotChat closed before the reply finished")
                conn.execute(
                    "UPDATE messages SET status = 'interrupted', stats_json = ? WHERE id = ?",
                    (dumps(stats), message_id),
                )
            return len(rows)
