"""The document index: collections of files, their chunks, and search over them.

One SQLite file (AppPaths.documents_db) beside the chats. `index_collection` reads the
collection's files into chunks (incremental and resumable, see indexer.py);
`DocumentIndex.search` finds the best chunks for a question by full-text ranking over
trigrams (Korean needs no analyser), fused with vector similarity where an embedding
model has stored vectors (service/embedder.py).
"""

from parrotchat.core.docs.index.indexer import index_collection
from parrotchat.core.docs.index.records import (
    CollectionInfo,
    FileInfo,
    FileStatus,
    Hit,
    IndexProgress,
    IndexReport,
)
from parrotchat.core.docs.index.store import DocumentIndex

__all__ = [
    "CollectionInfo",
    "DocumentIndex",
    "FileInfo",
    "FileStatus",
    "Hit",
    "IndexProgress",
    "IndexReport",
    "index_collection",
]
