"""The chat database's tables, and the steps that bring an older file up to date.

`PRAGMA user_version` holds the schema version. A fresh file gets the current
tables in one go; an older file runs each migration in its own transaction, so a
failure (a full disk, say) leaves the file at the last version it fully reached.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from parrotchat.core.errors import StorageError

SCHEMA_VERSION = 1

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


# MIGRATIONS[n] turns a version-n file into version n + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _v0_to_v1}


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
        try:
            version = _current_version(conn, name)
            if version == 0 and not _has_tables(conn):
                for statement in _V1_TABLES:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                conn.execute(f"PRAGMA user_version = {int(version + 1)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (disk full)
                conn.execute("ROLLBACK")
            raise


def _current_version(conn: sqlite3.Connection, name: str) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"Cannot open {name}: it was written by a newer ParrotChat "
            f"(database version {version}, this version knows {SCHEMA_VERSION})"
        )
    return version
