"""Vectors as stored (float32 blobs) and ranked by cosine similarity."""

from __future__ import annotations

import array
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any


def pack_vector(vector: list[float]) -> bytes:
    """float32, little-endian whatever the machine, so the file moves between machines."""
    values = array.array("f", vector)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def unpack_vector(blob: bytes) -> list[float]:
    values = array.array("f")
    values.frombytes(blob)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist()


class VectorRanker:
    """Cosine ranking over the stored vectors of one embedder.

    The vectors of the last collections searched stay in memory as one normalised
    float32 matrix (chunks x dimensions x 4 bytes: 40 MB for 10,000 chunks of a
    1,024-dimension model): read from SQLite for every question they cost more than
    the search itself. The copy is dropped when the file changes, by this connection
    (total_changes) or any other (PRAGMA data_version).
    """

    def __init__(self) -> None:
        self._stamp: tuple[int, int] | None = None
        self._key: tuple[str, int, tuple[int, ...] | None] | None = None
        self._ids: Any = None
        self._matrix: Any = None
        self._embedders: dict[int, str | None] = {}

    def rank(
        self,
        conn: sqlite3.Connection,
        query_vector: Sequence[float],
        collection_ids: Sequence[int] | None,
        limit: int,
        embedder: str | None = None,
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the stored vectors nearest `query_vector`.

        The vectors compared are `embedder`'s, or where none is named, those of the
        embedder with the most vectors of the query's dimensions: vectors of another
        model (or size) are not comparable with it.
        """
        dims = len(query_vector)
        if dims == 0 or limit <= 0:
            return []
        stamp = (int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes)
        if stamp != self._stamp:
            self._stamp, self._key, self._ids, self._matrix = stamp, None, None, None
            self._embedders = {}
        if embedder is None:
            if dims not in self._embedders:
                self._embedders[dims] = _main_embedder(conn, dims)
            embedder = self._embedders[dims]
            if embedder is None:
                return []
        key = (embedder, dims, None if collection_ids is None else tuple(collection_ids))
        if key != self._key:
            self._ids, self._matrix = _load(conn, embedder, dims, collection_ids)
            self._key = key
        if self._ids is None or len(self._ids) == 0:
            return []
        import numpy as np

        query = np.asarray(query_vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        similarity = self._matrix @ (query / (norm or 1.0))
        count = min(limit, len(similarity))
        best = np.argpartition(-similarity, count - 1)[:count]
        best = best[np.argsort(-similarity[best], kind="stable")]
        return [(int(self._ids[i]), float(similarity[i])) for i in best]


def _main_embedder(conn: sqlite3.Connection, dims: int) -> str | None:
    row = conn.execute(
        "SELECT embedder FROM vectors WHERE dims = ? GROUP BY embedder "
        "ORDER BY count(*) DESC LIMIT 1",
        (dims,),
    ).fetchone()
    return None if row is None else str(row[0])


def _load(
    conn: sqlite3.Connection, embedder: str, dims: int, collection_ids: Sequence[int] | None
) -> tuple[Any, Any]:
    """The chunk ids and their unit vectors (rows of a matrix)."""
    sql = "SELECT v.chunk_id, v.vector FROM vectors v WHERE v.embedder = ? AND v.dims = ?"
    params: list[object] = [embedder, dims]
    if collection_ids is not None:
        marks = ",".join("?" * len(collection_ids))
        sql += (
            " AND v.chunk_id IN (SELECT k.id FROM chunks k JOIN files f ON f.id = k.file_id "
            f"WHERE f.collection_id IN ({marks}))"
        )
        params.extend(collection_ids)
    rows = conn.execute(sql, params).fetchall()
    import numpy as np  # only here: importing it costs ~0.3 s, and FTS-only search never does

    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), dims)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return ids, (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)
