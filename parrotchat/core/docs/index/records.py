"""What the document index hands out: hits, collection and file summaries, progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FileStatus = Literal["indexed", "pending", "failed"]


@dataclass(frozen=True)
class Hit:
    """One chunk found by a search, best first."""

    chunk_id: int
    file: str  # the path as the user added it (absolute, as given)
    page: int | None
    section: str | None
    score: float  # higher is better
    text: str
    start: int  # character offsets of the chunk in the file's extracted text
    end: int


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    roots: list[str]  # the files and folders as added
    files: int
    chunks: int
    failed: int  # files that could not be read (their reasons: DocumentIndex.files)


@dataclass(frozen=True)
class FileInfo:
    path: str
    status: FileStatus
    reason: str | None  # why a failed file could not be read
    chunks: int
    size: int = 0
    pages: int | None = None


@dataclass(frozen=True)
class IndexProgress:
    files_done: int
    files_total: int
    current: str | None  # the file being read
    bytes_done: int  # of the files done (the current one counts once it is done)
    bytes_total: int
    page: int | None = None  # within a long document: the page being read, where it has pages


@dataclass(frozen=True)
class IndexReport:
    indexed: int  # files read this run
    unchanged: int  # indexed files whose content had not changed (not read again)
    removed: int  # files gone from disk (or from the collection's roots)
    # Every file of the collection that could not be read, with its reason: those
    # failing this run and those that failed before and have not changed since.
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
