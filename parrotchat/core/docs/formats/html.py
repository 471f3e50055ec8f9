"""Placeholder until the .html reader lands: the file is listed as unreadable, with why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from parrotchat.core.docs.formats.limits import Limits
from parrotchat.core.docs.formats.passage import DocumentError, Passage


def iter_html(path: Path, limits: Limits) -> Iterator[Passage]:
    raise DocumentError(path, "cannot be read yet (.html support is not built)")
    yield Passage("")  # pragma: no cover - makes this a generator
