"""Vectors as stored (float32 blobs) and ranked by cosine similarity."""

from __future__ import annotations

import array
import sqlite3
import sys
from collections.abc import Sequence


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


def rank_by_vector(
    conn: sqlite3.Connection,
    query_vector: Sequence[float],
    collection_ids: Sequence[int] | None,
    limit: int,
    embedder: str | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, cosine similarity) of the stored vectors nearest `query_vector`.

    The vectors compared are `embedder`'s, or where none is named, those of the
    embedder with the most vectors of the query's dimensions: vectors of another model
    (or size) are not comparable with it.
    """
    dims = len(query_vector)
    if dims == 0 or limit <= 0:
        return []
    if embedder is None:
        row = conn.execute(
            "SELECT embedder FROM vectors WHERE dims = ? GROUP BY embedder "
            "ORDER BY count(*) DESC LIMIT 1",
            (dims,),
        ).fetchone()
        if row is None:
            return []
        embedder = str(row[0])
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
    if not rows:
        return []
    import numpy as np  # only here: importing it costs ~0.3 s, and FTS-only search never does

    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), dims)
    query = np.asarray(query_vector, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (float(np.linalg.norm(query)) or 1.0)
    similarity = (matrix @ query) / np.where(norms == 0, 1.0, norms)
    count = min(limit, len(rows))
    best = np.argpartition(-similarity, count - 1)[:count]
    best = best[np.argsort(-similarity[best], kind="stable")]
    return [(int(ids[i]), float(similarity[i])) for i in best]
