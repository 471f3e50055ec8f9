"""Ranking the chunks for a query: full-text (BM25 over trigrams), vectors, and their
reciprocal rank fusion.

With a query vector the two rankings are fused by reciprocal rank (k = RRF_K): each
chunk scores the sum of 1 / (k + rank) over the rankings it appears in. Rank fusion
needs no calibration between BM25 scores and cosine similarities, which are on
unrelated scales; a chunk found by both rises above one found by only one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from parrotchat.core.docs.index.query import match_expression
from parrotchat.core.docs.index.records import Hit
from parrotchat.core.docs.index.vectors import VectorRanker

RRF_K = 60
# Each ranking contributes this many candidates (at least) to the fusion.
CANDIDATES = 50

_CHUNK_COLUMNS = (
    'k.id, f.path, k.page, k.section, k.text, k.start, k."end" '
    "FROM chunks k JOIN files f ON f.id = k.file_id"
)


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    collection_ids: Sequence[int] | None,
    top_k: int,
    query_vector: Sequence[float] | None = None,
    embedder: str | None = None,
    vectors: VectorRanker | None = None,
) -> list[Hit]:
    if top_k <= 0 or collection_ids == []:
        return []
    if query_vector is None:
        ranked = text_ranking(conn, query, collection_ids, top_k)
        return _hits(conn, ranked)
    depth = max(CANDIDATES, top_k)
    ranker = vectors or VectorRanker()
    fused = rrf(
        [
            [cid for cid, _ in text_ranking(conn, query, collection_ids, depth)],
            [cid for cid, _ in ranker.rank(conn, query_vector, collection_ids, depth, embedder)],
        ]
    )
    return _hits(conn, fused[:top_k])


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of rankings (ids, best first): (id, score), best first;
    ties keep the order in which the ids were first met."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def text_ranking(
    conn: sqlite3.Connection, query: str, collection_ids: Sequence[int] | None, limit: int
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score made higher-is-better) of the best full-text matches."""
    match = match_expression(conn, query)
    if match is None:
        return []
    if collection_ids is None:
        rows = conn.execute(
            "SELECT rowid, rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
    else:
        marks = ",".join("?" * len(collection_ids))
        rows = conn.execute(
            "SELECT s.rowid, s.rank FROM (SELECT rowid, rank FROM chunks_fts "
            "WHERE chunks_fts MATCH ?) s JOIN chunks k ON k.id = s.rowid "
            f"JOIN files f ON f.id = k.file_id WHERE f.collection_id IN ({marks}) "
            "ORDER BY s.rank LIMIT ?",
            (match, *collection_ids, limit),
        ).fetchall()
    return [(int(rowid), -float(rank)) for rowid, rank in rows]


def _hits(conn: sqlite3.Connection, ranked: Sequence[tuple[int, float]]) -> list[Hit]:
    if not ranked:
        return []
    ids = [cid for cid, _ in ranked]
    marks = ",".join("?" * len(ids))
    rows = {
        row[0]: row for row in conn.execute(f"SELECT {_CHUNK_COLUMNS} WHERE k.id IN ({marks})", ids)
    }
    hits = []
    for cid, score in ranked:
        row = rows.get(cid)
        if row is not None:
            _id, path, page, section, text, start, end = row
            hits.append(Hit(cid, path, page, section, score, text, start, end))
    return hits
