"""Opening the chat database file: connect, check for damage, configure, migrate.

Every way this can fail becomes a StorageError naming the file and the reason
(not a database, read-only folder, disk full, written by a newer ParrotChat). A
file that SQLite reads but finds damaged is moved aside, not deleted, and a new
one is started, so the app keeps working and the old chats can still be rescued.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from parrotchat.core.atomic_file import move_aside, os_error_reason
from parrotchat.core.chat_store_schema import migrate
from parrotchat.core.errors import StorageError

_SQLITE_CORRUPT = 11  # result code; the sqlite3 module names it only from Python 3.11 on


def sqlite_reason(exc: sqlite3.Error) -> str:
    return str(exc).replace("database or disk is full", "disk full")


def open_database(path: Path, warnings: list[str]) -> sqlite3.Connection:
    """A configured, current-schema connection; appends what the user should hear to warnings."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _open_error(path, os_error_reason(exc)) from exc
    conn = _connect(path)
    try:
        if not _passes_quick_check(conn):
            conn.close()
            aside = _set_aside(path)
            warnings.append(
                f"The chats database {path} was damaged; it was moved aside as "
                f"{aside.name} and a new, empty one was started"
            )
            conn = _connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            warnings.append(
                f"The chats database {path} cannot use WAL journaling in this folder "
                f"(journal mode {mode}); saving is slower"
            )
        # NORMAL under WAL: a commit survives the app being killed; only a power
        # cut can lose the last moments. FULL would fsync on every reply write.
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn, str(path))
    except sqlite3.Error as exc:
        conn.close()
        raise _open_error(path, sqlite_reason(exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _open_error(path: Path, reason: str) -> StorageError:
    return StorageError(f"Cannot open chats database {path}: {reason}")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        # isolation_level=None: the store issues BEGIN/COMMIT itself, so no write
        # is ever left pending in an implicit transaction. The busy timeout lets
        # the window and the CLI share the file.
        return sqlite3.connect(path, timeout=5.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise _open_error(path, sqlite_reason(exc)) from exc


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == _SQLITE_CORRUPT)
    return "malformed" in str(exc)


def _passes_quick_check(conn: sqlite3.Connection) -> bool:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if _is_corruption(exc):
            return False
        raise  # "file is not a database", locked, unreadable: reported, not moved
    return rows == [("ok",)]


def _set_aside(path: Path) -> Path:
    aside = move_aside(path)
    # The log files belong to the damaged database: a stale -wal left next to the
    # new file could be replayed into it.
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            try:
                os.replace(side, f"{aside}{suffix}")
            except OSError as exc:
                raise _open_error(path, os_error_reason(exc)) from exc
    return aside
