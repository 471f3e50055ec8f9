"""Shared pieces of the full-text searches (chats and documents) over FTS5 trigram indexes.

The trigram tokenizer cannot match a query under three characters, and Korean words
are often two syllables (회의, 예산). Both indexes add two newlines after each text, so
every 1- and 2-character piece of it starts some trigram; a short query is answered by
searching for the index's terms that start with it, found by range in an fts5vocab
table over the index.
"""

from __future__ import annotations

import sqlite3

# A short query starting more trigrams than this is too common to expand.
MAX_SHORT_QUERY_TERMS = 200


def phrase(text: str) -> str:
    """One quoted FTS5 phrase, quotes doubled: FTS5 syntax in the query (AND, *, ^,
    column filters, quotes) is text to find."""
    return '"' + text.replace('"', '""') + '"'


def terms_starting(
    conn: sqlite3.Connection, vocab_table: str, query: str, limit: int = MAX_SHORT_QUERY_TERMS
) -> list[str] | None:
    """The index's trigrams that start with `query` (folded as the index folds case);
    None when there are more than `limit`."""
    folded = query.lower()
    terms = [
        row[0]
        for row in conn.execute(
            f"SELECT term FROM {vocab_table} WHERE term >= ? AND term < ? LIMIT ?",
            (folded, folded + "\U0010ffff", limit + 1),
        )
    ]
    return None if len(terms) > limit else terms
