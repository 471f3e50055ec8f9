"""Opening a chats file written by the previous release (schema version 1): nothing
lost, and a failed upgrade leaves the file as it was and says so."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from v1_chats import write_v1_database

from parrotchat.core.chats import schema
from parrotchat.core.chats.schema import SCHEMA_VERSION, MigrationError
from parrotchat.core.chats.store import ChatStore


def test_a_100k_message_v1_database_keeps_every_message(tmp_path: Path) -> None:
    db = tmp_path / "chats.sqlite3"
    written = write_v1_database(db, 100_000)
    with ChatStore(db) as store:
        assert store.warnings == []
        rows = (
            store._db()
            .execute(
                "SELECT id, chat_id, parent_id, position, role, content, created_at, status, shown "
                "FROM messages ORDER BY chat_id, position"
            )
            .fetchall()
        )
        summaries = {c.id: c.message_count for c in store.list_chats()}
        chat = store.get_chat_tail(3, 5)
        store.add_message(3, "user", "after the upgrade")
        tail = store.get_chat_tail(3, 2).messages
        hits = store.search_messages(written[-1].content[:30])
    assert len(rows) == len(written) == 100_000
    previous: dict[int, tuple[int, int]] = {}
    for row, old in zip(rows, written, strict=True):
        mid, chat_id, parent_id, position, role, content, created_at, status, shown = row
        assert (mid, chat_id, role, content, created_at, status) == (
            old.id,
            old.chat_id,
            old.role,
            old.content,
            old.created_at,
            old.status,
        )
        last_id, last_position = previous.get(chat_id, (None, -1))
        assert (parent_id, position, shown) == (last_id, last_position + 1, 1)
        previous[chat_id] = (mid, position)
    assert summaries == {c: p + 1 for c, (_, p) in previous.items()}
    assert chat.older == summaries[3] - 5
    assert [m.content for m in chat.messages] == [m.content for m in written if m.chat_id == 3][-5:]
    assert tail[-1].content == "after the upgrade" and tail[-1].parent_id == tail[0].id
    assert written[-1].id in [h.message_id for h in hits]


def _failing_step(conn: sqlite3.Connection) -> None:
    """The real step, then a failure: what a disk filling up at the end looks like."""
    schema._v1_to_v2(conn)
    if conn.execute("PRAGMA database_list").fetchone()[2]:  # a file, not the memory copy
        raise sqlite3.OperationalError("database or disk is full")


def test_a_failed_upgrade_leaves_the_file_untouched_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "chats.sqlite3"
    write_v1_database(db, 2_000, chats=5)
    before = db.read_bytes()
    monkeypatch.setitem(schema.MIGRATIONS, 1, _failing_step)
    with pytest.raises(MigrationError) as caught:
        ChatStore(db).open()
    assert str(caught.value) == (
        f"Could not upgrade {db} to this version's format: disk full. The file is unchanged; "
        "ParrotChat will try again the next time it opens it"
    )
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 2_000
    conn.close()

    # The window reads an upgraded copy in memory: the chats are there to read.
    with ChatStore(db, memory_fallback=True) as store:
        assert store.memory_only
        (warning,) = store.warnings
        assert "could not be upgraded to this version's format (disk full)" in warning
        assert "the file is unchanged" in warning
        assert sum(c.message_count for c in store.list_chats()) == 2_000
    assert db.read_bytes() == before

    monkeypatch.undo()  # the cause is gone: the next start upgrades the file
    with ChatStore(db) as store:
        assert sum(c.message_count for c in store.list_chats()) == 2_000
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


CHILD_FILE_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import StorageError

db = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (db.stat().st_size, hard))
try:
    ChatStore(db).open()
except StorageError as exc:
    print(exc)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_an_upgrade_that_runs_out_of_room_leaves_the_file_untouched(tmp_path: Path) -> None:
    db = tmp_path / "chats.sqlite3"
    write_v1_database(db, 5_000, chats=10)
    before = db.read_bytes()
    child = subprocess.run(
        [sys.executable, "-c", CHILD_FILE_SIZE_LIMIT, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith(f"Could not upgrade {db} to this version's format: "), (
        child.stdout
    )
    assert "file-size limit" in child.stdout and "The file is unchanged" in child.stdout
    assert db.read_bytes() == before
    with ChatStore(db) as store:  # no limit now: the upgrade goes through
        assert sum(c.message_count for c in store.list_chats()) == 5_000
