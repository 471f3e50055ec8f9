"""Finding messages across every chat and branch, and the snippet shown for each.

Queries of three or more characters go through the trigram full-text index
(messages_fts, kept in step with the messages by triggers); shorter ones (Korean
words are often two syllables: 회의, 예산) cannot use trigrams and scan the messages
newest first instead. Either way the newest `limit` hits come back.
"""

from __future__ import annotations

import re
import sqlite3

from parrotchat.core.chats.records import SearchHit
from parrotchat.core.chats.schema import FTS_PREFIX

# Characters of context either side of the first match in a snippet.
SNIPPET_CONTEXT = 40

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
        # One quoted phrase, quotes doubled: FTS5 syntax in the query (AND, *, ^,
        # column filters, quotes) is text to find. rowid DESC lets FTS5 stop at limit.
        rows = conn.execute(
            f"SELECT {_COLUMNS} WHERE m.id IN (SELECT rowid FROM messages_fts "
            "WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY m.id DESC",
            ('"' + query.replace('"', '""') + '"', limit),
        ).fetchall()
    else:
        if all(ch.lower() == ch.upper() for ch in query):  # no case: Korean, digits
            where, param = "instr(m.content, ?) > 0", query
        elif needs_casefold(query):
            where, param = "instr(parrot_fold(m.content), ?) > 0", query.casefold()
        else:
            where, param = "m.content LIKE ? ESCAPE '\\'", like_pattern(query)
        rows = conn.execute(
            f"SELECT {_COLUMNS} WHERE {where} ORDER BY m.id DESC LIMIT ?", (param, limit)
        ).fetchall()
    hits = []
    for mid, chat_id, title, role, created_at, content, shown in rows:
        snippet, marks = make_snippet(content, query)
        hits.append(SearchHit(chat_id, mid, title, role, created_at, snippet, marks, bool(shown)))
    return hits


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
