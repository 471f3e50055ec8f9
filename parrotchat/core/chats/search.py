"""Finding messages across every chat and branch, and the snippet shown for each.

Queries of three or more characters go through the trigram full-text index
(messages_fts, kept in step with the messages by triggers) as one phrase. Shorter
ones (Korean words are often two syllables: 회의, 예산) are no trigram, but every
place they occur starts one (the index adds two newlines to each message for the
last ones): the index's terms that start with the query, found by range in
messages_fts_terms, are searched for instead. Finding those terms reads every place
they occur, which for a common letter is slower than reading messages: so the newest
SCAN_FIRST messages are read first, and a query found `limit` times there (a common
one) needs nothing more. Either way the newest `limit` hits come back.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from parrotchat.core.chats.records import SearchHit
from parrotchat.core.chats.schema import FTS_PREFIX
from parrotchat.core.fts_terms import MAX_SHORT_QUERY_TERMS, phrase, terms_starting

# Characters of context either side of the first match in a snippet.
SNIPPET_CONTEXT = 40

# A short query is first looked for in this many of the newest messages (~2 ms).
SCAN_FIRST = 5_000
# A short query starting more than MAX_SHORT_QUERY_TERMS trigrams is searched by
# reading messages.

_SPACES = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\v": " ", "\f": " "})

_COLUMNS = (
    "m.id, m.chat_id, c.title, m.role, m.created_at, "
    f"substr(m.content, 1, {FTS_PREFIX}), m.shown FROM messages m JOIN chats c ON c.id = m.chat_id"
)


def needs_casefold(query: str) -> bool:
    """SQLite's LIKE ignores case for ASCII only; other cased letters (É, Ä, Ж) need
    a Python-side casefold. Hangul has no case."""
    return any(not ch.isascii() and ch.lower() != ch.upper() for ch in query)


def like_pattern(query: str) -> str:
    """`query` as a LIKE pattern (with ESCAPE '\\') finding it anywhere: the user's %
    and _ are text to find, not wildcards."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(conn: sqlite3.Connection, query: str, limit: int) -> list[SearchHit]:
    query = query.strip()
    if not query or limit <= 0:
        return []
    if len(query) >= 3:
        rows = _rows_matching(conn, phrase(query), limit)
    else:
        rows = _rows_scanned(conn, query, limit, newest=SCAN_FIRST)
        if len(rows) < limit:
            terms = terms_starting(conn, "messages_fts_terms", query, MAX_SHORT_QUERY_TERMS)
            if terms is None:
                rows = _rows_scanned(conn, query, limit)
            elif terms:
                rows = _rows_matching(conn, " OR ".join(phrase(t) for t in terms), limit)
    hits = []
    for mid, chat_id, title, role, created_at, content, shown in rows:
        snippet, marks = make_snippet(content, query)
        hits.append(SearchHit(chat_id, mid, title, role, created_at, snippet, marks, bool(shown)))
    return hits


def _rows_matching(conn: sqlite3.Connection, match: str, limit: int) -> list[Any]:
    # rowid DESC lets FTS5 stop at `limit`; ids grow with time, so these are the newest.
    return conn.execute(
        f"SELECT {_COLUMNS} WHERE m.id IN (SELECT rowid FROM messages_fts "
        "WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY m.id DESC",
        (match, limit),
    ).fetchall()


def _rows_scanned(
    conn: sqlite3.Connection, query: str, limit: int, newest: int | None = None
) -> list[Any]:
    """Messages read newest first; only the `newest` ones when given."""
    if all(ch.lower() == ch.upper() for ch in query):  # no case: Korean, digits
        where, param = "instr(m.content, ?) > 0", query
    elif needs_casefold(query):
        where, param = "instr(parrot_fold(m.content), ?) > 0", query.casefold()
    else:
        where, param = "m.content LIKE ? ESCAPE '\\'", like_pattern(query)
    params: tuple[Any, ...] = (param, limit)
    if newest is not None:
        where += " AND m.id > (SELECT coalesce(max(id), 0) FROM messages) - ?"
        params = (param, newest, limit)
    return conn.execute(
        f"SELECT {_COLUMNS} WHERE {where} ORDER BY m.id DESC LIMIT ?", params
    ).fetchall()


def make_snippet(
    content: str, query: str, context: int = SNIPPET_CONTEXT
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Plain text around the first match of `query` (case-insensitive), "…" where cut,
    whitespace as spaces; and the (start, end) of every whole match within it."""
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    first = pattern.search(content)
    if first is None:  # a case folding SQLite and Python see differently: show the start
        start, end = 0, min(len(content), 2 * context)
    else:
        start = max(0, first.start() - context)
        end = min(len(content), first.end() + context)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(content) else ""
    body = content[start:end].translate(_SPACES)
    shift = len(prefix) - start
    marks = tuple(
        (m.start() + shift, m.end() + shift) for m in pattern.finditer(content, start, end)
    )
    return prefix + body + suffix, marks
