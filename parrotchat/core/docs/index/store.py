"""The document index file: collections, their files and chunks, vectors; one SQLite file.

The file (AppPaths.documents_db) sits beside the chats and is opened by the window,
the CLI and the service alike; WAL lets one of them index while the others search.
Every change is its own transaction (the indexer writes a file's chunks and status in
one), so a process killed at any moment leaves each file fully indexed or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from parrotchat.core.atomic_file import os_error_reason
from parrotchat.core.chats.store_file import BUSY_TIMEOUT_S, sqlite_reason
from parrotchat.core.docs.index import search as index_search
from parrotchat.core.docs.index.records import CollectionInfo, FileInfo, FileStatus, Hit
from parrotchat.core.docs.index.schema import create_or_check
from parrotchat.core.docs.index.vectors import VectorRanker, pack_vector
from parrotchat.core.errors import ParrotError, StorageError


class DocumentIndex:
    """One document index file. Not shared between threads: each opens its own."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(os_error_reason(exc)) from exc
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(sqlite_reason(exc, self.path)) from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            # A commit survives the process being killed; only a power cut can lose the last.
            conn.execute("PRAGMA synchronous = NORMAL")
            create_or_check(conn, str(self.path))
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(sqlite_reason(exc, self.path)) from exc
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self._vectors = VectorRanker()

    def _error(self, reason: str) -> StorageError:
        return StorageError(f"Cannot open document index {self.path}: {reason}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> DocumentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (a cancel included)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(
                f"Cannot write the document index {self.path}: {sqlite_reason(exc, self.path)}"
            ) from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.execute("ROLLBACK")
            raise StorageError(
                f"Cannot write the document index {self.path}: {sqlite_reason(exc, self.path)}"
            ) from exc

    # --- collections --------------------------------------------------------------------

    def collections(self) -> list[CollectionInfo]:
        rows = self.conn.execute(
            "SELECT c.id, c.name, "
            "(SELECT count(*) FROM files f WHERE f.collection_id = c.id), "
            "(SELECT count(*) FROM chunks k JOIN files f ON f.id = k.file_id "
            " WHERE f.collection_id = c.id), "
            "(SELECT count(*) FROM files f WHERE f.collection_id = c.id AND f.status = 'failed') "
            "FROM collections c ORDER BY c.name"
        ).fetchall()
        return [
            CollectionInfo(name, self.roots(name), files, chunks, failed)
            for _cid, name, files, chunks, failed in rows
        ]

    def collection_id(self, collection: str) -> int:
        """The collection's id; ParrotError naming it (and those there are) if none."""
        row = self.conn.execute(
            "SELECT id FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        if row is None:
            names = [r[0] for r in self.conn.execute("SELECT name FROM collections ORDER BY name")]
            have = ", ".join(names) if names else "none yet: add some with parrotchat docs add"
            raise ParrotError(f"No document collection named '{collection}' (collections: {have})")
        return int(row[0])

    def roots(self, collection: str) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT r.path FROM roots r JOIN collections c ON c.id = r.collection_id "
                "WHERE c.name = ? ORDER BY r.id",
                (collection,),
            )
        ]

    def add_paths(self, collection: str, paths: Sequence[Path]) -> None:
        """Add files and folders (kept as absolute paths, links not resolved) to the
        collection, made if new; index_collection reads them."""
        name = collection.strip()
        if not name:
            raise ParrotError("A document collection needs a name")
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO collections (name) VALUES (?)", (name,))
            cid = conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()[0]
            for path in paths:
                conn.execute(
                    "INSERT OR IGNORE INTO roots (collection_id, path) VALUES (?, ?)",
                    (cid, str(Path(path).expanduser().absolute())),
                )

    def remove_collection(self, collection: str) -> None:
        cid = self.collection_id(collection)
        with self.transaction() as conn:
            # The chunks' own delete trigger keeps the full-text index in step.
            conn.execute("DELETE FROM collections WHERE id = ?", (cid,))

    def files(self, collection: str) -> list[FileInfo]:
        cid = self.collection_id(collection)
        rows = self.conn.execute(
            "SELECT f.path, f.status, f.reason, "
            "(SELECT count(*) FROM chunks k WHERE k.file_id = f.id), f.size, f.pages "
            "FROM files f WHERE f.collection_id = ? ORDER BY f.path",
            (cid,),
        ).fetchall()
        return [
            FileInfo(path, _status(status), reason, chunks, size, pages)
            for path, status, reason, chunks, size, pages in rows
        ]

    # --- search -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        collections: list[str] | None = None,
        top_k: int = 5,
        query_vector: list[float] | None = None,
        embedder: str | None = None,
    ) -> list[Hit]:
        """The chunks that best match `query`, best first.

        Full-text (trigram) ranking alone; with `query_vector`, fused by reciprocal rank
        with the cosine ranking of the stored vectors of `embedder` (by default: the
        embedder whose vectors have the query vector's dimensions).
        """
        ids = None if collections is None else [self.collection_id(c) for c in collections]
        return index_search.search(
            self.conn,
            query,
            collection_ids=ids,
            top_k=top_k,
            query_vector=query_vector,
            embedder=embedder,
            vectors=self._vectors,
        )

    # --- vectors ------------------------------------------------------------------------

    def chunks_without_vectors(self, embedder: str, limit: int) -> list[tuple[int, str]]:
        rows = self.conn.execute(
            "SELECT k.id, k.text FROM chunks k WHERE NOT EXISTS "
            "(SELECT 1 FROM vectors v WHERE v.chunk_id = k.id AND v.embedder = ?) "
            "ORDER BY k.id LIMIT ?",
            (embedder, limit),
        ).fetchall()
        return [(int(cid), str(text)) for cid, text in rows]

    def count_without_vectors(self, embedder: str) -> int:
        """How many chunks still wait for a vector of `embedder` (for a progress figure)."""
        row = self.conn.execute(
            "SELECT count(*) FROM chunks k WHERE NOT EXISTS "
            "(SELECT 1 FROM vectors v WHERE v.chunk_id = k.id AND v.embedder = ?)",
            (embedder,),
        ).fetchone()
        return int(row[0])

    def store_vectors(self, embedder: str, vectors: list[tuple[int, list[float]]]) -> None:
        """Store (chunk id, vector) pairs; a chunk gone since (its file re-indexed) is skipped."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO vectors (chunk_id, embedder, dims, vector) "
                "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?)",
                [(cid, embedder, len(vector), pack_vector(vector), cid) for cid, vector in vectors],
            )


def _status(value: str) -> FileStatus:
    if value == "indexed":
        return "indexed"
    if value == "failed":
        return "failed"
    return "pending"
