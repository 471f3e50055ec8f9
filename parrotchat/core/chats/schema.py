"""The chat database's tables, and the steps that bring an older file up to date.

`PRAGMA user_version` holds the schema version. A fresh file gets the current
tables in one go; an older file runs each migration in its own transaction, so a
failure (a full disk, say) leaves the file at the last version it fully reached.

Version 2 made the messages of a chat a tree (regenerate and edit-and-resend add a
sibling instead of replacing), added pinned chats and a full-text index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from parrotchat.core.errors import StorageError

SCHEMA_VERSION = 2

ROLES = ("system", "user", "assistant")
STATUSES = ("complete", "streaming", "interrupted", "error")

# Timestamps are UTC ISO-8601 text with milliseconds, e.g. 2025-03-01T09:30:00.123Z:
# readable in any SQLite browser, sortable as text, and what SQLite's own
# strftime('%Y-%m-%dT%H:%M:%fZ') writes, so migrations can produce them in SQL.
SQL_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%fZ"

_V1_TABLES = [
    """CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        model TEXT,
        settings_json TEXT NOT NULL DEFAULT '{}'
    )""",
    f"""CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN {ROLES!r}),
        content TEXT NOT NULL,
        created_at TEXT NOT NULL,
        model TEXT,
        sampling_json TEXT,
        stats_json TEXT,
        status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN {STATUSES!r}),
        UNIQUE (chat_id, position)
    )""",
    "CREATE INDEX chats_by_update ON chats (updated_at DESC, id DESC)",
    # Partial index: startup recovery finds the few unfinished replies without a scan.
    "CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming'",
]


# What the full-text index holds of a message: its first FTS_PREFIX characters, then
# two newlines. Streaming replies rewrite their content on every flush and each
# rewrite re-indexes it: bounding the indexed text keeps a pasted 5 MB document from
# costing seconds per change (search then finds text within the first FTS_PREFIX
# characters of a huge message). The newlines give every 1- and 2-character piece of
# a message a trigram starting with it, even at its end, so that short queries can be
# answered from the index's terms (search.py) instead of reading every message.
# The index is contentless (content=''): the text it holds is not a column, and
# nothing must rebuild it from the messages table but _v1_to_v2's INSERT.
FTS_PREFIX = 100_000
_FTS_TEXT = f"substr({{}}.content, 1, {FTS_PREFIX}) || char(10, 10)"

_V2_MESSAGES = f"""CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN {ROLES!r}),
        content TEXT NOT NULL,
        created_at TEXT NOT NULL,
        model TEXT,
        sampling_json TEXT,
        stats_json TEXT,
        status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN {STATUSES!r}),
        shown INTEGER NOT NULL DEFAULT 1,
        chosen_seq INTEGER NOT NULL DEFAULT 0
    )"""

_V2_MESSAGE_INDEXES = [
    # The branch shown is a path: one message per depth.
    "CREATE UNIQUE INDEX messages_shown ON messages (chat_id, position) WHERE shown = 1",
    "CREATE INDEX messages_children ON messages (chat_id, parent_id, id)",
    "CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming'",
]

_V2_FTS = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='', tokenize='trigram')",
    # The index's terms (trigrams), searchable by range: see search.py.
    "CREATE VIRTUAL TABLE messages_fts_terms USING fts5vocab(messages_fts, 'row')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    f"INSERT INTO messages_fts (rowid, content) VALUES (new.id, {_FTS_TEXT.format('new')}); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) "
    f"VALUES ('delete', old.id, {_FTS_TEXT.format('old')}); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) "
    f"VALUES ('delete', old.id, {_FTS_TEXT.format('old')}); "
    f"INSERT INTO messages_fts (rowid, content) VALUES (new.id, {_FTS_TEXT.format('new')}); END",
]

_V2_TABLES = [
    """CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        model TEXT,
        settings_json TEXT NOT NULL DEFAULT '{}',
        pinned INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX chats_by_pin_update ON chats (pinned DESC, updated_at DESC, id DESC)",
    _V2_MESSAGES,
    *_V2_MESSAGE_INDEXES,
    *_V2_FTS,
]


def _v0_to_v1(conn: sqlite3.Connection) -> None:
    """Version 0 (the prototype): unix-time REAL columns, no ordering, no status."""
    ts = f"strftime('{SQL_TIMESTAMP_FORMAT}', {{}}, 'unixepoch')"
    conn.execute("ALTER TABLE chats RENAME TO chats_v0")
    conn.execute("ALTER TABLE messages RENAME TO messages_v0")
    for statement in _V1_TABLES:
        conn.execute(statement)
    last_message = "(SELECT max(m.created) FROM messages_v0 m WHERE m.chat_id = c.id)"
    conn.execute(
        "INSERT INTO chats (id, title, created_at, updated_at, model, settings_json) "
        f"SELECT c.id, coalesce(c.title, 'Untitled'), {ts.format('c.created')}, "
        f"{ts.format(f'coalesce({last_message}, c.created)')}, c.model, '{{}}' FROM chats_v0 c"
    )
    # Message ids grew with time in the prototype, so they give the order.
    conn.execute(
        "INSERT INTO messages (id, chat_id, position, role, content, created_at, status) "
        "SELECT id, chat_id, row_number() OVER (PARTITION BY chat_id ORDER BY id) - 1, role, "
        f"coalesce(content, ''), {ts.format('created')}, 'complete' FROM messages_v0 "
        "WHERE chat_id IN (SELECT id FROM chats)"
    )
    conn.execute("DROP TABLE messages_v0")
    conn.execute("DROP TABLE chats_v0")


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Messages become a tree: each v1 message's parent is the one before it, all
    shown; positions (which deletes may have left with gaps) become depths 0..n-1."""
    conn.execute("ALTER TABLE chats ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")
    conn.execute("DROP INDEX chats_by_update")
    conn.execute(_V2_TABLES[1])
    # SQLite cannot drop a table's UNIQUE (chat_id, position): the table is rebuilt.
    conn.execute("ALTER TABLE messages RENAME TO messages_v1")
    conn.execute(_V2_MESSAGES)
    conn.execute(
        "INSERT INTO messages (id, chat_id, parent_id, position, role, content, created_at, "
        "model, sampling_json, stats_json, status, shown, chosen_seq) "
        "SELECT id, chat_id, lag(id) OVER w, row_number() OVER w - 1, role, content, "
        "created_at, model, sampling_json, stats_json, status, 1, 0 FROM messages_v1 "
        "WINDOW w AS (PARTITION BY chat_id ORDER BY position) ORDER BY chat_id, position"
    )
    conn.execute("DROP TABLE messages_v1")  # its indexes go with it
    for statement in _V2_MESSAGE_INDEXES + _V2_FTS:
        conn.execute(statement)
    conn.execute(
        f"INSERT INTO messages_fts (rowid, content) SELECT id, {_FTS_TEXT.format('messages')} "
        "FROM messages"
    )


# MIGRATIONS[n] turns a version-n file into version n + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _v0_to_v1, 1: _v1_to_v2}


class MigrationError(StorageError):
    """An older file could not be brought up to date; it was left as it was."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            f"Could not upgrade {name} to this version's format: {reason}. The file is "
            "unchanged; ParrotChat will try again the next time it opens it"
        )
        self.name = name
        self.reason = reason


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return bool(row[0])


def migrate(conn: sqlite3.Connection, name: str) -> None:
    """Bring the database up to SCHEMA_VERSION. `conn` must be in autocommit mode.

    Each step reads the version again inside its write transaction: a second
    ParrotChat (or the CLI) opening the same new file at the same moment then finds
    the step done instead of running it twice ("table chats already exists").
    """
    while _current_version(conn, name) < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        version = -1
        try:
            version = _current_version(conn, name)
            if version == 0 and not _has_tables(conn):
                for statement in _V2_TABLES:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                conn.execute(f"PRAGMA user_version = {int(version + 1)}")
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:  # SQLite may already have rolled back (disk full)
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error) and version > 0:
                raise MigrationError(name, _reason(exc)) from exc
            raise


def _reason(exc: sqlite3.Error) -> str:
    return str(exc).replace("database or disk is full", "disk full")


def _current_version(conn: sqlite3.Connection, name: str) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"Cannot open {name}: it was written by a newer ParrotChat "
            f"(database version {version}, this version knows {SCHEMA_VERSION})"
        )
    return version
