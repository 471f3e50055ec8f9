"""What every format reader yields, and the one error they raise."""

from __future__ import annotations

from dataclasses import dataclass

from parrotchat.core.errors import ParrotError


@dataclass(frozen=True)
class Passage:
    """A run of text from one place in a document.

    `page` is 1-based and set only where the format has pages (PDF); `section` is the
    heading or section label the text sits under ("Section 2", "3. 예산"), where known.
    """

    text: str
    page: int | None = None
    section: str | None = None


class DocumentError(ParrotError):
    """A file that cannot be read as a document.

    str(e) is one plain English line naming the file and the reason (encrypted, damaged,
    too large, a zip bomb...), fit to show the user beside the file's name in a list.
    """

    def __init__(self, path: object, reason: str | None = None) -> None:
        # DocumentError(path, reason) from the readers; DocumentError(message) also works.
        super().__init__(str(path) if reason is None else f"{path}: {reason}")
        self.path = "" if reason is None else str(path)
        self.reason = str(path) if reason is None else reason
