"""Opening the chat database file: connect, check for damage, configure, migrate.

Every way this can fail becomes a StorageError naming the file and the reason
(read-only folder, disk full, written by a newer ParrotChat). A damaged database
(SQLite finds it malformed, or its header is gone) is moved aside, not deleted, and
a new one is started, so the app keeps working and the old chats can still be
rescued. Where nothing can be written (a read-only or a full disk), the window
works on a copy in memory instead: `open_memory_copy`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from parrotchat.core.atomic_file import move_aside, os_error_reason
from parrotchat.core.chats.schema import MigrationError, migrate
from parrotchat.core.errors import StorageError

# Result codes; the sqlite3 module names them only from Python 3.11 on.
_SQLITE_BUSY = 5
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


# How long a write waits for another ParrotChat (the window, the CLI) to finish its own.
BUSY_TIMEOUT_S = 5.0

# Less free space than this on a write error: the disk is full, whatever SQLite says.
_LOW_SPACE = 1 << 20


def sqlite_reason(exc: sqlite3.Error, path: Path | None = None) -> str:
    """SQLite's words for a failure, made plain; with `path`, vague ones are looked into."""
    text = str(exc).replace("database or disk is full", "disk full")
    if path is None:
        return text
    if text == "disk I/O error":
        return _io_error_reason(path)
    if text in ("unable to open database file", "attempt to write a readonly database"):
        return unwritable_reason(path) or text  # the folder says why SQLite could not
    return text


def _io_error_reason(path: Path) -> str:
    # SQLite reports ENOSPC as "disk full" but any other failed write (a quota, a
    # file-size limit, a failing or removed disk) as "disk I/O error", and Python is
    # not told the errno: look at what can be seen from here.
    try:
        if shutil.disk_usage(path.parent).free < _LOW_SPACE:
            return "disk full"
    except OSError as exc:
        return f"disk I/O error ({path.parent}: {os_error_reason(exc)}; was the disk removed?)"
    if sys.platform != "win32":
        import resource

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:
            return f"file too large (a file-size limit of {limit:,} bytes is set for ParrotChat)"
    return "disk I/O error (the disk may be failing, or over its quota)"


def open_database(path: Path, warnings: list[str]) -> sqlite3.Connection:
    """A configured, current-schema connection; appends what the user should hear to warnings."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _open_error(path, os_error_reason(exc)) from exc
    _set_aside_bad_log(path, warnings)
    conn = _connect(path)
    try:
        if not _passes_quick_check(conn, path):
            conn.close()
            aside = _set_aside(path)
            warnings.append(
                f"The chats database {path} was damaged. A copy of it is kept as {aside}; "
                "a new, empty one was started"
            )
            conn = _connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
        mode = _use_wal(conn)
        if str(mode).lower() != "wal":
            warnings.append(
                f"The chats database {path} cannot use WAL journaling in this folder "
                f"(journal mode {mode}); saving is slower"
            )
        # NORMAL under WAL: a commit survives the app being killed; only a power
        # cut can lose the last moments. FULL would fsync on every reply write.
        conn.execute("PRAGMA synchronous = NORMAL")
        try:
            migrate(conn, str(path))
        except MigrationError as exc:
            cause = exc.__cause__
            if isinstance(cause, sqlite3.Error):  # "disk I/O error" looked into
                raise MigrationError(str(path), sqlite_reason(cause, path)) from cause
            raise
    except sqlite3.Error as exc:
        conn.close()
        raise _open_error(path, sqlite_reason(exc, path)) from exc
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
        return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise _open_error(path, sqlite_reason(exc, path)) from exc


def _use_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL; the journal mode in effect comes back.

    Switching a new file needs it to itself, and SQLite answers "database is locked"
    at once instead of waiting the busy timeout: two ParrotChats opening the same new
    folder at the same moment met that. So wait here as the timeout would.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", _SQLITE_BUSY)
            if code & 0xFF != _SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def unwritable_reason(path: Path) -> str | None:
    """Why the chats file cannot be written, or None when it can.

    Found by trying (a temporary file in the folder), not from permission bits:
    root ignores those but not a read-only disk.
    """
    folder = path.parent
    if not folder.is_dir():
        return None  # open_database makes it, or says why it cannot
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write in {folder} ({os_error_reason(exc)})"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only"
    return None


def full_disk_reason(path: Path) -> str | None:
    """'the disk holding <folder> is full' when it is; SQLite cannot even read a WAL
    database then, since it must first make room for the -shm index."""
    try:
        full = shutil.disk_usage(path.parent).free < _LOW_SPACE
    except OSError:
        return None
    return f"the disk holding {path.parent} is full" if full else None


def open_memory_copy(
    path: Path, warnings: list[str], reason: str, fix: str = ""
) -> sqlite3.Connection:
    """A database in memory holding what `path` holds: chats stay readable and the
    user can go on chatting where nothing can be saved; the file is not touched.
    `fix` tells the user how to get saving back, if there is something to do."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        copied = _copy_into(path, conn) if path.exists() else True
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, str(path))
    except sqlite3.Error as exc:
        conn.close()
        raise _open_error(path, sqlite_reason(exc)) from exc
    except BaseException:
        conn.close()
        raise
    unread = "" if copied else f" ({path} could not be read, so no earlier chats are shown)"
    warnings.append(
        f"Chats cannot be saved: {reason}. You can read your chats and keep chatting, "
        f"but nothing new is kept after ParrotChat closes{unread}{fix}"
    )
    return conn


def _copy_into(path: Path, target: sqlite3.Connection) -> bool:
    uri = path.resolve().as_uri()
    # mode=ro reads the -wal too; a WAL file whose index (-shm) cannot be made in a
    # read-only folder needs immutable=1, which reads the main file alone.
    for query in ("mode=ro", "immutable=1"):
        try:
            source = sqlite3.connect(f"{uri}?{query}", uri=True)
            try:
                source.backup(target)
            finally:
                source.close()
        except sqlite3.Error:
            continue
        return True
    return False


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == _SQLITE_CORRUPT)
    return "malformed" in str(exc)


def _is_not_a_database(exc: sqlite3.DatabaseError, path: Path) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code != _SQLITE_NOTADB and "not a database" not in str(exc):
        return False
    # A database whose header was zeroed or cut short is binary; a text file is
    # somebody's other file put here by mistake, reported and left where it is.
    try:
        with open(path, "rb") as f:
            return b"\0" in f.read(65536)
    except OSError:
        return False


def _passes_quick_check(conn: sqlite3.Connection, path: Path) -> bool:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if _is_corruption(exc) or _is_not_a_database(exc, path):
            return False
        raise  # locked, unreadable, a text file: reported, not moved
    return rows == [("ok",)]


# A write-ahead log starts with one of these magic numbers and the format version.
_WAL_MAGICS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_WAL_VERSION = (3007000).to_bytes(4, "big")


def _set_aside_bad_log(path: Path, warnings: list[str]) -> None:
    """Keep a damaged -wal file before SQLite, which ignores it, overwrites it.

    The database itself is fine (it is checked next), but the log may have held the
    last changes: they cannot be read back, and the user should know they may miss.
    """
    log = Path(f"{path}-wal")
    try:
        with open(log, "rb") as f:
            header = f.read(8)
    except OSError:
        return  # none (the usual case), or unreadable: SQLite reports that itself
    if len(header) < 8 or (header[:4] in _WAL_MAGICS and header[4:] == _WAL_VERSION):
        return  # empty, being created by another ParrotChat, or a valid log
    try:
        aside = move_aside(log)
    except StorageError:
        return  # SQLite ignores a log with a bad header anyway; nothing is lost by it
    warnings.append(
        f"The chats database's log {log} was damaged and is kept as {aside}; "
        "changes saved just before ParrotChat last closed may be missing"
    )


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
