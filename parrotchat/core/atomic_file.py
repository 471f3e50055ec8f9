"""Write files so that a crash or a full disk never leaves half of one behind.

Settings and user templates are rewritten whole. Writing in place would leave a
truncated file if the disk fills up or the power goes mid-write; instead the new
content goes to a temporary file in the same folder (same file system, so the final
rename is atomic), is flushed to disk, and only then replaces the original.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from parrotchat.core.errors import StorageError

# Words a user understands better than "[Errno 28] No space left on device".
# Looked up by name: not every platform defines every code (Windows lacks EDQUOT).
_REASONS = {
    getattr(errno, name): reason
    for name, reason in (
        ("ENOSPC", "disk full"),
        ("EDQUOT", "disk quota exceeded"),
        ("EFBIG", "file too large"),
        ("EACCES", "permission denied"),
        ("EPERM", "permission denied"),
        ("EROFS", "read-only file system"),
        ("ENOENT", "folder does not exist"),
    )
    if hasattr(errno, name)
}


def os_error_reason(exc: OSError) -> str:
    """A short, user-facing reason for an OSError."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return exc.strerror or str(exc)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace `path` with `data` (str is written as UTF-8), all or nothing.

    On failure the original file is untouched and a StorageError names the file
    and the reason. A new file is private to the user (0600), since settings may
    hold a hub token; an existing file keeps its permissions.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise StorageError(f"Cannot save {target}: {os_error_reason(exc)}") from exc
    try:
        with open(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp_name, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise StorageError(f"Cannot save {target}: {os_error_reason(exc)}") from exc
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable on POSIX. Windows cannot open a folder this
    # way and some file systems refuse fsync on one; the data is safe either way.
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def move_aside(path: Path, tag: str = "corrupt") -> Path:
    """Rename a damaged file to `<name>.<tag>-<UTC timestamp>` and return the new path.

    The file is kept, not deleted, so that a user (or we, from a bug report) can
    still recover what was in it.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.{tag}-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.{tag}-{stamp}-{n}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise StorageError(f"Cannot move aside {path}: {os_error_reason(exc)}") from exc
    return aside
