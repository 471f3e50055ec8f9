"""Chat databases as the previous release (schema version 1) wrote them: its own
table code (schema._V1_TABLES), user_version 1, WAL; for migration tests and figures.

Messages mix English and Korean; every third chat has gaps in its positions, as
v1's delete_messages_from (edit, regenerate) left them.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from parrotchat.core.chats.schema import _V1_TABLES

ENGLISH = [
    "the",
    "budget",
    "for",
    "next",
    "quarter",
    "meeting",
    "report",
    "parrot",
    "model",
    "reply",
    "summary",
    "travel",
    "plan",
    "database",
    "search",
    "question",
    "answer",
    "weekly",
    "review",
    "project",
    "schedule",
    "coffee",
    "garden",
]
KOREAN = [
    "회의",
    "예산",
    "보고서",
    "내일",
    "오늘",
    "일정",
    "검토",
    "프로젝트",
    "질문",
    "답변",
    "여행",
    "계획",
    "요약",
    "모델",
    "앵무새",
    "데이터",
    "검색",
    "커피",
    "정원",
    "주간",
]


@dataclass(frozen=True)
class V1Message:
    id: int
    chat_id: int
    role: str
    content: str
    created_at: str
    status: str


def sentence(rng: random.Random) -> str:
    words = [
        rng.choice(ENGLISH if rng.random() < 0.6 else KOREAN) for _ in range(rng.randint(5, 40))
    ]
    return " ".join(words) + rng.choice([".", "?", "!\n", "…"])


def write_v1_database(
    path: Path, messages: int, chats: int = 100, seed: int = 1
) -> list[V1Message]:
    """A version-1 file holding `messages` messages over `chats` chats; what it holds,
    in each chat's order."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for statement in _V1_TABLES:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    for chat in range(1, chats + 1):
        at = f"2025-01-{chat % 28 + 1:02d}T09:00:00.000Z"
        conn.execute(
            "INSERT INTO chats VALUES (?, ?, ?, ?, ?, ?)",
            (chat, f"Chat {chat} 대화", at, at, "qwen", json.dumps({"system_prompt": "짧게"})),
        )
    written: list[V1Message] = []
    rows = []
    positions = dict.fromkeys(range(1, chats + 1), 0)
    for mid in range(1, messages + 1):
        chat = rng.randint(1, chats)
        position = positions[chat]
        positions[chat] += 2 if chat % 3 == 0 else 1  # gaps, as deletes left them
        role = "user" if position % 2 == 0 else "assistant"
        status = rng.choice(["complete"] * 20 + ["interrupted", "error"])
        content = sentence(rng) if rng.random() < 0.7 else sentence(rng) + sentence(rng)
        at = f"2025-02-01T{mid // 3600 % 24:02d}:{mid // 60 % 60:02d}:{mid % 60:02d}.000Z"
        stats = json.dumps({"reply_tokens": mid % 500}) if role == "assistant" else None
        rows.append((mid, chat, position, role, content, at, "qwen", None, stats, status))
        written.append(V1Message(mid, chat, role, content, at, status))
    conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()
    written.sort(key=lambda m: (m.chat_id, m.id))  # ids grew with positions in each chat
    return written
