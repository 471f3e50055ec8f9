"""A download in progress on disk: `downloads_dir/<owner>/<repo>/<path>.part`, the bytes
received so far, and `<path>.part.json` beside it, the record that says what they are
(repository, commit, URL, expected size and checksum, the server's ETag, the other
parts of a split set). The record is what lets a new process resume: bytes are appended
only when the record still describes the same file at the same size and checksum.

A `.part.lock` file holding the owner's process id keeps two downloaders (two windows, a
window and the CLI) from appending to the same file; a lock whose process is gone is
taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

from parrotchat.core.hub.config import HubError
from parrotchat.core.hub.files import RemoteFile, check_repo_id, check_repo_path

RECORD_VERSION = 1
_READ_CHUNK = 4 * 1024 * 1024
_ACTIVE: set[str] = set()  # part files this process is writing
_ACTIVE_LOCK = threading.Lock()


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


class Checksum:
    """The hub's checksum of a file: SHA-256 for LFS files, the git blob id (SHA-1 of
    'blob <size>\\0' + content) for small files kept in git itself."""

    def __init__(self, remote: RemoteFile) -> None:
        if remote.sha256:
            self.kind, self.expected = "SHA-256", remote.sha256.lower()
            self._new: Callable[[], _Hash] = hashlib.sha256
        elif remote.blob_id:
            self.kind, self.expected = "git blob id", remote.blob_id.lower()
            prefix = f"blob {remote.size}\0".encode()

            def git_sha1() -> _Hash:
                h = hashlib.sha1(usedforsecurity=False)
                h.update(prefix)
                return h

            self._new = git_sha1
        else:
            raise HubError(f"{remote.path}: the hub gives no checksum, so it cannot be verified")
        self.hasher = self._new()

    def reset(self) -> None:
        self.hasher = self._new()

    def matches(self) -> bool:
        return self.hasher.hexdigest() == self.expected


@dataclass(frozen=True)
class PartRecord:
    """What a `.part` file holds; written before the first byte arrives."""

    repo_id: str
    revision: str
    path: str  # in the repository
    url: str
    size: int
    sha256: str | None
    blob_id: str | None
    etag: str | None = None
    quantization: str | None = None
    group: tuple[RemoteFile, ...] = ()  # every file of the choice (split parts), in order
    version: int = RECORD_VERSION

    def same_file(self, other: PartRecord) -> bool:
        keys = ("repo_id", "path", "size", "sha256", "blob_id")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "group": [asdict(f) for f in self.group]}

    @classmethod
    def from_json(cls, data: Any) -> PartRecord | None:
        if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
            return None
        kwargs = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            kwargs["group"] = tuple(RemoteFile(**f) for f in kwargs.get("group", ()))
            record = cls(**kwargs)
        except TypeError:
            return None
        types_ok = isinstance(record.size, int) and isinstance(record.path, str)
        return record if types_ok and isinstance(record.repo_id, str) else None


def hash_file(
    path: Path, checksum: Checksum, tick: Callable[[int], None], length: int | None = None
) -> None:
    """Reset `checksum` and feed it the file's first `length` bytes (all by default);
    `tick(bytes done)` after each chunk may raise to stop."""
    checksum.reset()
    done = 0
    with path.open("rb") as f:
        while length is None or done < length:
            chunk = f.read(_READ_CHUNK if length is None else min(_READ_CHUNK, length - done))
            if not chunk:
                if length is not None:
                    raise OSError(f"{path} shrank while it was read")
                break
            checksum.hasher.update(chunk)
            done += len(chunk)
            tick(done)


def _replace_file(path: Path, text: str) -> None:
    """Write whole or not at all (temporary file, then rename), without the fsync of
    `write_atomic`: a record lost in a power cut only costs a fresh download, while a
    sync per record costs tens of milliseconds on a slow disk."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        return psutil.pid_exists(pid)
    except (OSError, ValueError):
        return False


class PartFile:
    """The partial file, its record and its lock, for one file of one repository."""

    def __init__(self, downloads_dir: Path, repo_id: str, remote: RemoteFile) -> None:
        check_repo_id(repo_id)
        check_repo_path(remote.path)
        self.remote = remote
        self.root = Path(downloads_dir)
        base = self.root.joinpath(*repo_id.split("/"), *remote.path.split("/"))
        self.data = base.with_name(base.name + ".part")
        self.record_path = base.with_name(base.name + ".part.json")
        self.lock_path = base.with_name(base.name + ".part.lock")
        root = os.path.realpath(downloads_dir)
        if os.path.commonpath([root, os.path.realpath(self.data.parent)]) != root:
            raise HubError(f"Refused file name '{remote.path}': it leaves the downloads folder")

    def size(self) -> int:
        try:
            return self.data.stat().st_size
        except FileNotFoundError:
            return 0

    def load_record(self) -> PartRecord | None:
        return self.read_record(self.record_path)

    def save_record(self, record: PartRecord) -> None:
        self.data.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(record.to_json(), indent=1, ensure_ascii=False)
        _replace_file(self.record_path, text + "\n")

    def discard(self) -> None:
        """Delete the bytes and the record, and the folders they leave empty."""
        for p in (self.data, self.record_path):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        folder = self.data.parent
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()  # only when empty (a lock file or another part keeps it)
            except OSError:
                break
            folder = folder.parent

    def hash_existing(self, checksum: Checksum, length: int, tick: Callable[[int], None]) -> None:
        """Feed the first `length` bytes of the part to the checksum: a resumed
        download's checksum must cover every byte."""
        hash_file(self.data, checksum, tick, length)

    @staticmethod
    def read_record(path: Path) -> PartRecord | None:
        try:
            return PartRecord.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError):
            return None

    # --- ownership ---------------------------------------------------------------------

    def acquire(self) -> None:
        """Own the part file, or raise HubError: another thread of this process, or
        another live process, is downloading it."""
        key = os.path.realpath(self.data)
        with _ACTIVE_LOCK:
            if key in _ACTIVE:
                raise HubError(f"{self.remote.path} is already being downloaded")
            self.data.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(2):
                try:  # O_EXCL: of two processes starting at once, exactly one wins
                    fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    try:
                        owner = int(self.lock_path.read_text("ascii").strip() or 0)
                    except (OSError, ValueError):
                        owner = 0
                    if not owner and _younger_than(self.lock_path, 5.0):
                        owner = -1  # just created, its process id not yet written
                    if owner == -1 or (owner and owner != os.getpid() and _pid_alive(owner)):
                        raise HubError(
                            f"{self.remote.path} is being downloaded by another ParrotChat"
                            + (f" (process {owner})" if owner > 0 else "")
                        ) from None
                    with contextlib.suppress(FileNotFoundError):
                        self.lock_path.unlink()  # left by a process that is gone
                    continue
                with os.fdopen(fd, "w", encoding="ascii") as f:
                    f.write(str(os.getpid()))
                _ACTIVE.add(key)
                return
            raise HubError(f"{self.remote.path}: cannot lock {self.lock_path}")

    def release(self) -> None:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(os.path.realpath(self.data))
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
        if not self.data.exists() and not self.record_path.exists():
            self.discard()  # tidy the folders a finished or cancelled download leaves
