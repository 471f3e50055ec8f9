"""Which branch of a chat's message tree is shown.

Each message has `shown` (on the path the chat continues from) and `chosen_seq`,
raised whenever it becomes shown: switching into a subtree follows, at each step
down, the child chosen most recently (then the newest), so going back to an older
version of a reply brings back the conversation that followed it.
"""

from __future__ import annotations

import sqlite3

from parrotchat.core.errors import StorageError


def next_seq(conn: sqlite3.Connection, chat_id: int, parent_id: int | None) -> int:
    """A chosen_seq above every sibling's under `parent_id`."""
    row = conn.execute(
        "SELECT coalesce(max(chosen_seq), 0) + 1 FROM messages "
        "WHERE chat_id = ? AND parent_id IS ?",
        (chat_id, parent_id),
    ).fetchone()
    return int(row[0])


def show_path_through(conn: sqlite3.Connection, message_id: int) -> int:
    """Make the branch through `message_id` the one shown; returns its chat's id.
    Run inside a write transaction."""
    found = conn.execute("SELECT chat_id FROM messages WHERE id = ?", (message_id,)).fetchone()
    if found is None:
        raise StorageError(f"message {message_id} does not exist")
    chat_id = int(found[0])
    up = conn.execute(
        "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM messages WHERE id = ? "
        "UNION ALL SELECT m.id, m.parent_id FROM messages m JOIN up ON m.id = up.parent_id) "
        "SELECT id FROM up",
        (message_id,),
    ).fetchall()
    down = conn.execute(
        "WITH RECURSIVE down(id) AS (SELECT ? UNION ALL SELECT (SELECT c.id FROM messages c "
        "WHERE c.chat_id = ? AND c.parent_id = down.id ORDER BY c.chosen_seq DESC, c.id DESC "
        "LIMIT 1) FROM down WHERE down.id IS NOT NULL) SELECT id FROM down "
        "WHERE id IS NOT NULL",
        (message_id, chat_id),
    ).fetchall()
    path = {row[0] for row in up} | {row[0] for row in down}
    was_shown = {
        row[0]
        for row in conn.execute(
            "SELECT id FROM messages WHERE chat_id = ? AND shown = 1", (chat_id,)
        ).fetchall()
    }
    # Hide first: the shown path allows one message per depth (a unique index).
    conn.executemany("UPDATE messages SET shown = 0 WHERE id = ?", [(i,) for i in was_shown - path])
    for new in sorted(path - was_shown):
        conn.execute(
            "UPDATE messages SET shown = 1, chosen_seq = (SELECT coalesce(max(s.chosen_seq), 0) "
            "+ 1 FROM messages s WHERE s.chat_id = messages.chat_id "
            "AND s.parent_id IS messages.parent_id) WHERE id = ?",
            (new,),
        )
    return chat_id
