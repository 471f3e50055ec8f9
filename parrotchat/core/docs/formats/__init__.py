"""Text out of the user's documents, as passages labelled with their page or section.

`iter_passages(path)` picks the reader by the file's suffix and yields `Passage`s one at
a time, so a 10,000-page PDF never sits in memory whole. Every failure a file can cause
(damaged, encrypted, too large, a zip bomb, not text) is a `DocumentError` whose message
names the file and the reason; files are only ever read, never run or unpacked to disk.
Each reader lives in its own module and is imported on first use, so indexing plain
text never loads PDFium.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

from parrotchat.core.docs.formats.limits import DEFAULT_LIMITS, Limits
from parrotchat.core.docs.formats.passage import DocumentError, Passage

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_SUFFIXES",
    "DocumentError",
    "Limits",
    "Passage",
    "iter_passages",
]

Reader = Callable[[Path, Limits], Iterator[Passage]]

_READERS: dict[str, tuple[str, str]] = {
    ".txt": ("text", "iter_txt"),
    ".md": ("text", "iter_markdown"),
    ".markdown": ("text", "iter_markdown"),
    ".html": ("html", "iter_html"),
    ".htm": ("html", "iter_html"),
    ".pdf": ("pdf", "iter_pdf"),
    ".docx": ("docx", "iter_docx"),
    ".hwpx": ("hwpx", "iter_hwpx"),
    ".hwp": ("hwp", "iter_hwp"),
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_READERS)


def _reader_for(path: Path) -> Reader:
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        kinds = " ".join(sorted(SUPPORTED_SUFFIXES))
        shown = suffix or "no suffix"
        raise DocumentError(path, f"is not a supported document type ({shown}; supported: {kinds})")
    module_name, function = _READERS[suffix]
    module = importlib.import_module(f"{__name__}.{module_name}")
    reader: Reader = getattr(module, function)
    return reader


def iter_passages(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Passage]:
    """The text of the document at `path`, passage by passage, in reading order.

    Raises DocumentError (and nothing else) for a file that cannot be read or holds no
    text; a failure can come after some passages were yielded (a section damaged halfway
    through), so a caller keeps a file's passages only once the iterator is exhausted.
    """
    path = Path(path)
    reader = _reader_for(path)
    found = False
    try:
        for passage in reader(path, limits):
            found = True
            yield passage
    except DocumentError:
        raise
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except MemoryError as exc:
        raise DocumentError(path, "is too large to read in memory") from exc
    except Exception as exc:
        # The format libraries raise what they like on hostile input (KeyError, ValueError,
        # struct.error, lxml errors...): the user needs the file named, not a traceback.
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DocumentError(
            path, f"is damaged or not a valid {path.suffix.lower()} file ({detail})"
        ) from exc
    if not found:
        # Listed with a reason rather than silently indexed as nothing.
        raise DocumentError(path, "has no text to index")
