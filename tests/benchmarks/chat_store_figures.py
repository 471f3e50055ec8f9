"""Chat store figures (issue #14): upgrading a 100,000-message file, and search.

Run:  python tests/benchmarks/chat_store_figures.py [--messages 100000] [--reps 20]

Prints one JSON object:
- migration_s: opening a version-1 file of `--messages` messages (mixed English and
  Korean, written by the v1 table code) in this version, i.e. the v1 -> v2 upgrade
  with its full-text index;
- search_3plus_ms / search_2char_ko_ms: p50 and p95 (and max) of
  ChatStore.search_messages over that file, for queries of 3+ characters (trigram
  index) and 2-character Korean words (the scan), some with no hit at all (the scan's
  worst case by reading); search_1_2char_other_ms: 1-2 character English, digit and
  punctuation queries (common ones are found among the newest messages). 1% of the
  chats have a regenerated reply, so hits on hidden branches are among the results.
  Goal: p95 <= 50 ms;
- update_5mb_ms: rewriting a 5 MB message (what a streaming flush of a huge reply
  costs the index, which holds a message's first FTS_PREFIX characters).

Not part of the test run: figures need an idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from v1_chats import write_v1_database

from parrotchat.core.chats.store import ChatStore

QUERIES_3PLUS = [
    "budget",
    "quarter meeting",
    "parrot model",
    "weekly review",
    "보고서",
    "프로젝트",
    "앵무새",
    "회의 예산",
    "zebra crossing",  # no hit
    "없는단어",  # no hit
]
QUERIES_2CHAR_KO = ["회의", "예산", "내일", "일정", "질문", "여행", "요약", "정원", "고양", "사과"]
QUERIES_SHORT_OTHER = ["th", "a", "qz", "e", "pl", "x", "?", "회", "z9", "bu"]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
        "n": len(ordered),
    }


def timed_searches(store: ChatStore, queries: list[str], reps: int) -> list[float]:
    samples = []
    for _ in range(reps):
        for query in queries:
            started = time.perf_counter()
            store.search_messages(query)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "chats.sqlite3"
        write_v1_database(db, args.messages)
        started = time.perf_counter()
        store = ChatStore(db).open()
        migration_s = time.perf_counter() - started
        try:
            chats = store.list_chats()
            for chat in chats[: max(1, len(chats) // 100)]:
                last = store.get_chat_tail(chat.id, 1).messages[-1]
                store.branch_before(chat.id, last.id)
                store.add_message(chat.id, last.role, "다시 쓴 답: the budget, again")
            timed_searches(store, QUERIES_3PLUS + QUERIES_2CHAR_KO, 1)  # warm the cache
            long_ms = timed_searches(store, QUERIES_3PLUS, args.reps)
            short_ms = timed_searches(store, QUERIES_2CHAR_KO, args.reps)
            other_ms = timed_searches(store, QUERIES_SHORT_OTHER, args.reps)
            chat = store.create_chat("huge")
            mid = store.add_message(chat, "assistant", "", status="streaming")
            started = time.perf_counter()
            store.update_message(mid, content="앵무새 parrot " * 300_000)  # ~5 MB
            update_ms = (time.perf_counter() - started) * 1000
        finally:
            store.close()
    print(
        json.dumps(
            {
                "messages": args.messages,
                "migration_s": round(migration_s, 2),
                "search_3plus_ms": percentiles(long_ms),
                "search_2char_ko_ms": percentiles(short_ms),
                "search_1_2char_other_ms": percentiles(other_ms),
                "goal_p95_ms": 50,
                "update_5mb_ms": round(update_ms, 1),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
