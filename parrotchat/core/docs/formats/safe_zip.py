"""The one way the readers open zip archives (.docx, .hwpx): limits first, then reading.

A zip's central directory declares each member's sizes before anything is unpacked, and
`zipfile` never returns more than a member's declared size (it stops there even when the
deflate stream would go on). So checking the declared member count, total size and
per-member compression ratio bounds everything any reader can unpack from the archive,
ours or python-docx's: a zip bomb is refused from its directory, never inflated. Only
stored and deflated members are accepted (office formats use nothing else; bzip2 and
LZMA members inflate in one unbounded call inside zipfile).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from parrotchat.core.docs.formats.limits import Limits, checked_size, human_size
from parrotchat.core.docs.formats.passage import DocumentError

_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_CHUNK = 64 * 1024


class GuardedZip:
    """A zip archive whose directory passed the limits; members read by name."""

    def __init__(self, path: Path, limits: Limits) -> None:
        checked_size(path, limits.office_bytes)
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise DocumentError(path, "is damaged (not a valid zip archive)") from None
        try:
            self._check(limits)
        except BaseException:
            self._zip.close()
            raise

    def _check(self, limits: Limits) -> None:
        members = self._zip.infolist()
        if len(members) > limits.zip_members:
            self._bomb(f"{len(members)} members; the limit is {limits.zip_members}")
        total = sum(member.file_size for member in members)
        if total > limits.zip_total_bytes:
            self._bomb(
                f"it would unpack to {human_size(total)}; "
                f"the limit is {human_size(limits.zip_total_bytes)}"
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > limits.zip_ratio_floor and ratio > limits.zip_ratio:
                self._bomb(f"{member.filename} expands {ratio:.0f} times")
            if member.flag_bits & 0x1:
                raise DocumentError(self.path, "is encrypted (password-protected)")
            if member.compress_type not in _METHODS:
                raise DocumentError(
                    self.path,
                    f"is not a valid office file ({member.filename} uses zip method "
                    f"{member.compress_type})",
                )

    def _bomb(self, detail: str) -> None:
        raise DocumentError(self.path, f"looks like a zip bomb ({detail}): not unpacked")

    def names(self) -> list[str]:
        return self._zip.namelist()

    def read(self, name: str) -> bytes:
        """The whole member (bounded by the checked limits)."""
        return b"".join(self.chunks(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        """The member's bytes in pieces, for parsers that stream."""
        try:
            with self._zip.open(name) as member:
                while chunk := member.read(_CHUNK):
                    yield chunk
        except KeyError:
            raise DocumentError(self.path, f"is damaged ({name} is missing)") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise DocumentError(self.path, f"is damaged ({name}: {exc})") from None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> GuardedZip:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
