"""A user's question as an FTS5 query over the trigram index.

The trigram tokenizer finds any run of three or more characters, in any language, with
no word splitting: that is what lets Korean be searched without a morphological
analyser. A question is not a phrase to find as written, though, so it becomes an OR
of its words, each a phrase, ranked by BM25 (rarer words weigh more, as they should):
- a word found in most chunks is dropped where the query has rarer ones (it would
  barely change the ranking and costs the most to rank);
- English words too common to tell chunks apart (the, what, is...) are left out;
- an English word loses a plural or -ed/-ing ending (budgets → budget), where four
  letters remain;
- a Korean word loses a particle at its end (예산은 → 예산, 회의에서 → 회의) where two
  syllables or more remain: the document may say 예산이 or 예산을;
- a word of one or two characters (Korean words often are) cannot be a trigram
  phrase: it becomes the index's terms that start with it (core/fts_terms.py), unless
  it starts so many that it says nothing.
"""

from __future__ import annotations

import re
import sqlite3

from parrotchat.core.fts_terms import phrase, terms_starting

VOCAB_TABLE = "chunks_fts_terms"

# A word in more than this share of the chunks is left out of a query that has rarer
# words (see _without_common), in an index of at least MIN_CHUNKS_TO_DROP chunks.
COMMON_SHARE = 0.2
MIN_CHUNKS_TO_DROP = 2_000
SAMPLE_WINDOWS = 4
SAMPLE_WINDOW = 400  # chunk ids per window

_WORD = re.compile(r"\w+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

# Longest first, so 에서는 is taken off whole rather than as 는.
_PARTICLES = sorted(
    (
        *("은", "는", "이", "가", "을", "를", "에", "의", "로", "와", "과", "도", "만", "나", "께"),
        *("으로", "에서", "에게", "까지", "부터", "보다", "처럼", "마다", "이나", "이라", "라고"),
        *("이라고", "하고", "에는", "에서는", "에서도", "으로는", "으로서", "로서", "으로써"),
        *("로써", "에게서", "한테", "이란", "란", "이며", "조차", "밖에", "인가요", "인가"),
        *("입니까", "인지", "은요", "는요", "이요", "요"),
    ),
    key=len,
    reverse=True,
)

_STOPWORDS = frozenset(
    re.split(
        r"\s+",
        """a an and are as at be been but by can could did do does for from had has have how
        i if in into is it its me my no not of on or our so than that the their them then
        there these they this those to was we were what when where which who whom why will
        with would you your about tell please show find give list""".strip(),
    )
)


def match_expression(conn: sqlite3.Connection, query: str) -> str | None:
    """The FTS5 MATCH text for `query`, or None when nothing of it can be searched for."""
    groups = word_groups(conn, query)
    groups = _without_common(conn, groups)
    return " OR ".join(groups) if groups else None


def word_groups(conn: sqlite3.Connection, query: str) -> list[str]:
    """One FTS5 expression per word of the query (a phrase, or the OR of the trigrams a
    short word starts), in order, without repeats."""
    words = [w.casefold() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in _STOPWORDS] or words
    groups: dict[str, None] = {}
    for word in kept:
        terms = _word_terms(conn, word)
        if len(terms) == 1:
            groups[phrase(terms[0])] = None
        elif terms:
            groups["(" + " OR ".join(phrase(t) for t in terms) + ")"] = None
    if not groups and len(query.strip()) >= 3:
        groups[phrase(query.strip())] = None  # punctuation only: find it as typed
    return list(groups)


def _without_common(conn: sqlite3.Connection, groups: list[str]) -> list[str]:
    """The groups without those found in more than COMMON_SHARE of the chunks, when
    rarer ones remain.

    BM25 weighs such a word next to nothing, but ranking reads every chunk it is in:
    a word in most chunks (a document set's own "the") made a search of 100,000
    chunks take a second. Its share is estimated from a few spread windows of chunk
    ids, a bounded cost however large the index.
    """
    if len(groups) < 2:
        return groups
    low, high = conn.execute("SELECT min(rowid), max(rowid) FROM chunks").fetchone()
    if low is None or high - low + 1 < MIN_CHUNKS_TO_DROP:
        return groups
    span = high - low + 1
    step = span // SAMPLE_WINDOWS
    windows = [(low + i * step, low + i * step + SAMPLE_WINDOW - 1) for i in range(SAMPLE_WINDOWS)]
    sampled = SAMPLE_WINDOWS * SAMPLE_WINDOW
    rare = []
    for group in groups:
        found = sum(
            conn.execute(
                "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ? "
                "AND rowid BETWEEN ? AND ?",
                (group, start, end),
            ).fetchone()[0]
            for start, end in windows
        )
        if found <= COMMON_SHARE * sampled:
            rare.append(group)
    return rare or groups


def _word_terms(conn: sqlite3.Connection, word: str) -> list[str]:
    if _HANGUL.search(word):
        word = strip_particle(word)
    elif word.isascii() and word.isalpha():
        word = strip_suffix(word)
    if len(word) >= 3:
        return [word]
    return terms_starting(conn, VOCAB_TABLE, word) or []


def strip_suffix(word: str) -> str:
    """An English word without its plural or -ed/-ing ending, where four letters or more
    remain: found as a substring, the stem finds every form (budgets → budget finds
    budget and budgets; hatched → hatch finds hatch, hatches, hatching)."""
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def strip_particle(word: str) -> str:
    """`word` without a Korean particle at its end, where two syllables or more remain."""
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word
