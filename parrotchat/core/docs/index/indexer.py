"""Indexing a collection: new and changed files read and chunked, the rest left alone.

Resumable by construction: a file's chunks and its status are written in one
transaction, so after a kill -9 each file is either fully indexed or still pending,
and the next run reads exactly the pending ones. A file is hashed (SHA-256) each run
and read again only when its content changed: a copy that kept its modification time
is not missed, and a file merely touched is not re-read. A file that cannot be read
(damaged, encrypted, not text) is marked failed with its reason and the run goes on;
it is tried again once its content changes. Cancelling (should_stop) is honoured
between files and between the passages of one: the file being read is rolled back.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from parrotchat.core.atomic_file import os_error_reason
from parrotchat.core.docs.formats import DocumentError, iter_passages
from parrotchat.core.docs.index.chunking import Chunk, Chunker
from parrotchat.core.docs.index.records import IndexProgress, IndexReport
from parrotchat.core.docs.index.store import DocumentIndex
from parrotchat.core.docs.index.walk import find_documents

# Within a big file, progress is reported (and stop checked) at most this often.
PROGRESS_INTERVAL_S = 0.2

_HASH_BLOCK = 1 << 20


class _Stopped(Exception):
    """should_stop said yes while a file was being read."""


@dataclass
class _Known:
    id: int
    sha256: str | None
    status: str
    reason: str | None


@dataclass
class _Run:
    progress: Callable[[IndexProgress], None] | None
    should_stop: Callable[[], bool]
    files_total: int
    bytes_total: int
    files_done: int = 0
    bytes_done: int = 0
    last_report: float = field(default_factory=time.monotonic)

    def report(self, current: str | None, page: int | None = None) -> None:
        self.last_report = time.monotonic()
        if self.progress is not None:
            self.progress(
                IndexProgress(
                    self.files_done,
                    self.files_total,
                    current,
                    self.bytes_done,
                    self.bytes_total,
                    page,
                )
            )

    def tick(self, current: str, page: int | None) -> None:
        """Within a file: a progress report and a stop check, now and then."""
        if time.monotonic() - self.last_report >= PROGRESS_INTERVAL_S:
            self.report(current, page)
            if self.should_stop():
                raise _Stopped


def index_collection(
    index: DocumentIndex,
    collection: str,
    *,
    progress: Callable[[IndexProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> IndexReport:
    """Bring the collection's index in step with its files on disk."""
    cid = index.collection_id(collection)
    found = find_documents(index.roots(collection))
    known = {
        path: _Known(fid, sha, status, reason)
        for fid, path, sha, status, reason in index.conn.execute(
            "SELECT id, path, sha256, status, reason FROM files WHERE collection_id = ?", (cid,)
        )
    }
    gone = [k.id for path, k in known.items() if path not in found.files]
    with index.transaction() as conn:
        conn.executemany("DELETE FROM files WHERE id = ?", [(fid,) for fid in gone])
        for path, size in found.files.items():
            if path not in known:
                fid = conn.execute(
                    "INSERT INTO files (collection_id, path, size) VALUES (?, ?, ?)",
                    (cid, path, size),
                ).lastrowid
                assert fid is not None
                known[path] = _Known(fid, None, "pending", None)
    run = _Run(
        progress,
        should_stop or (lambda: False),
        len(found.files),
        sum(found.files.values()),
    )
    indexed = unchanged = 0
    removed = len(gone)
    failed: list[tuple[str, str]] = list(found.problems)
    cancelled = False
    for path, size in found.files.items():
        if run.should_stop():
            cancelled = True
            break
        run.report(path)
        entry = known[path]
        try:
            sha, mtime = file_sha256(path)
        except FileNotFoundError:
            with index.transaction() as conn:
                conn.execute("DELETE FROM files WHERE id = ?", (entry.id,))
            removed += 1
            run.files_done += 1
            continue
        except OSError as exc:
            reason = f"cannot be read ({os_error_reason(exc)})"
            _mark_failed(index, entry.id, reason, None, size, 0.0)
            failed.append((path, reason))
        else:
            if sha == entry.sha256 and entry.status in ("indexed", "failed"):
                if entry.status == "failed":
                    failed.append((path, entry.reason or "could not be read"))
                else:
                    unchanged += 1
            else:
                try:
                    problem = _index_file(index, entry.id, path, sha, size, mtime, run)
                except _Stopped:
                    cancelled = True
                    break
                if problem is None:
                    indexed += 1
                else:
                    failed.append((path, problem))
        run.files_done += 1
        run.bytes_done += size
    run.report(None)
    return IndexReport(indexed, unchanged, removed, failed, cancelled)


def file_sha256(path: str) -> tuple[str, float]:
    """The file's SHA-256 (hex) and modification time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        mtime = os.fstat(f.fileno()).st_mtime
        while block := f.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest(), mtime


def _index_file(
    index: DocumentIndex, fid: int, path: str, sha: str, size: int, mtime: float, run: _Run
) -> str | None:
    """Read, chunk and store one file in one transaction; the reason it failed, or None.

    _Stopped (a cancel) rolls the whole file back: it stays as it was before the run.
    """
    with index.transaction() as conn:
        conn.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
        conn.execute("SAVEPOINT file_chunks")
        chunker = Chunker()
        ordinal = 0
        pages = 0
        try:
            for passage in iter_passages(Path(path)):
                if passage.page is not None:
                    pages = max(pages, passage.page)
                for chunk in chunker.feed(passage):
                    _insert(conn, fid, ordinal, chunk)
                    ordinal += 1
                run.tick(path, passage.page)
            for chunk in chunker.finish():
                _insert(conn, fid, ordinal, chunk)
                ordinal += 1
        except DocumentError as exc:
            conn.execute("ROLLBACK TO file_chunks")
            conn.execute("RELEASE file_chunks")
            reason = str(exc.reason or exc)
            _set_failed(conn, fid, reason, sha, size, mtime)
            return reason
        conn.execute("RELEASE file_chunks")
        conn.execute(
            "UPDATE files SET status = 'indexed', reason = NULL, sha256 = ?, size = ?, "
            "mtime = ?, pages = ?, chars = ? WHERE id = ?",
            (sha, size, mtime, pages or None, chunker.chars, fid),
        )
    return None


def _insert(conn: sqlite3.Connection, fid: int, ordinal: int, chunk: Chunk) -> None:
    conn.execute(
        'INSERT INTO chunks (file_id, ordinal, page, section, start, "end", text) '
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (fid, ordinal, chunk.page, chunk.section, chunk.start, chunk.end, chunk.text),
    )


def _mark_failed(
    index: DocumentIndex, fid: int, reason: str, sha: str | None, size: int, mtime: float
) -> None:
    with index.transaction() as conn:
        conn.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
        _set_failed(conn, fid, reason, sha, size, mtime)


def _set_failed(
    conn: sqlite3.Connection, fid: int, reason: str, sha: str | None, size: int, mtime: float
) -> None:
    conn.execute(
        "UPDATE files SET status = 'failed', reason = ?, sha256 = ?, size = ?, mtime = ?, "
        "pages = NULL, chars = 0 WHERE id = ?",
        (reason, sha, size, mtime, fid),
    )
