"""How much of a file the readers accept before refusing it.

A document index reads whatever lies in the folders a user adds, so each reader has a
ceiling: a file over it is refused with its reason instead of filling memory or disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parrotchat.core.docs.formats.passage import DocumentError

_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # Plain text and HTML are decoded whole (the CP949 fallback needs the whole file).
    text_bytes: int = 64 * _MIB
    # PDFs are read page by page, so only the file itself is bounded.
    pdf_bytes: int = 2048 * _MIB
    # .docx, .hwpx and .hwp: the file on disk.
    office_bytes: int = 256 * _MIB
    # Zip archives (.docx, .hwpx): read through parrotchat.core.docs.formats.safe_zip.
    zip_members: int = 10_000
    zip_total_bytes: int = 1024 * _MIB
    # A member that expands more than this many times and past zip_ratio_floor bytes
    # is a bomb: office XML compresses 5-30 times, rarely past 100.
    zip_ratio: int = 200
    zip_ratio_floor: int = 1 * _MIB
    # One HWP section stream once inflated (zlib): the same ceiling as a zip's total.
    hwp_section_bytes: int = 512 * _MIB


DEFAULT_LIMITS = Limits()


def checked_size(path: Path, ceiling: int) -> int:
    """The file's size in bytes; DocumentError when it is missing, not a file, empty or too big."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DocumentError(path, "does not exist") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise DocumentError(path, "is not a regular file")
    if info.st_size == 0:
        raise DocumentError(path, "is empty (0 bytes)")
    if info.st_size > ceiling:
        raise DocumentError(
            path, f"is too large ({human_size(info.st_size)}; the limit is {human_size(ceiling)})"
        )
    return info.st_size


def human_size(size: int) -> str:
    if size >= _MIB:
        return f"{size / _MIB:.0f} MiB"
    if size >= 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size} bytes"
