"""The document index's tables.

`PRAGMA user_version` holds the schema version; a file written by a newer
ParrotChat is refused rather than misread.

The full-text index is contentless (content=''): the chunk text is stored once, in
`chunks`, and the index is fed by triggers. It is not an external-content table over
`chunks` because what it indexes is not the column: each chunk's text is followed by
two newlines, so that every 1- and 2-character piece of it starts a trigram (the same
device as the chats' index, see core/fts_terms.py), and an external-content index
whose text differs from its content table fails FTS5's own integrity check.
"""

from __future__ import annotations

import sqlite3

from parrotchat.core.errors import StorageError

SCHEMA_VERSION = 1

FILE_STATUSES = ("indexed", "pending", "failed")

_FTS_TEXT = "{}.text || char(10, 10)"

TABLES = [
    """CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
    )""",
    # The files and folders as the user added them.
    """CREATE TABLE roots (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        UNIQUE (collection_id, path)
    )""",
    f"""CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT,
        size INTEGER NOT NULL DEFAULT 0,
        mtime REAL NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN {FILE_STATUSES!r}),
        reason TEXT,
        pages INTEGER,
        chars INTEGER NOT NULL DEFAULT 0,
        UNIQUE (collection_id, path)
    )""",
    """CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        page INTEGER,
        section TEXT,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (file_id, ordinal)
    )""",
    # Vectors from an embedding model (service/embedder.py fills them): float32, little-endian.
    """CREATE TABLE vectors (
        chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
        embedder TEXT NOT NULL,
        dims INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (chunk_id, embedder)
    ) WITHOUT ROWID""",
    "CREATE INDEX vectors_by_embedder ON vectors (embedder, dims)",
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='', tokenize='trigram')",
    # The index's terms (trigrams), searchable by range: see core/fts_terms.py.
    "CREATE VIRTUAL TABLE chunks_fts_terms USING fts5vocab(chunks_fts, 'row')",
    "CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN "
    f"INSERT INTO chunks_fts (rowid, text) VALUES (new.id, {_FTS_TEXT.format('new')}); END",
    "CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN "
    "INSERT INTO chunks_fts (chunks_fts, rowid, text) "
    f"VALUES ('delete', old.id, {_FTS_TEXT.format('old')}); END",
]


def create_or_check(conn: sqlite3.Connection, name: str) -> None:
    """Create the tables in a new file; refuse one from a newer version. `conn` in autocommit."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version == 0:
            for statement in TABLES:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version > SCHEMA_VERSION:
            raise StorageError(
                f"Cannot open document index {name}: it was written by a newer ParrotChat "
                f"(format {version}; this one reads up to {SCHEMA_VERSION})"
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
