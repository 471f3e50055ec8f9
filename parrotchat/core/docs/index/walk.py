"""Finding the documents under a collection's roots.

Only regular files with a supported suffix are taken: a FIFO or a device named
report.txt would block or never end. A link is followed only where its target stays
inside the folder the user added (a link out of it could expose any file of the
machine); links to folders are not descended into, their targets inside the folder
are found under their own names, and a loop of links cannot arise.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from parrotchat.core.atomic_file import os_error_reason
from parrotchat.core.docs.formats import SUPPORTED_SUFFIXES


@dataclass
class Found:
    files: dict[str, int] = field(default_factory=dict)  # path as found -> size
    problems: list[tuple[str, str]] = field(default_factory=list)  # (root, reason)


def find_documents(roots: list[str]) -> Found:
    found = Found()
    for root in roots:
        try:
            info = os.stat(root)  # the root itself may be a link: the user chose it
        except FileNotFoundError:
            found.problems.append((root, "no longer exists (moved or deleted?)"))
            continue
        except OSError as exc:
            found.problems.append((root, f"cannot be read ({os_error_reason(exc)})"))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(root, found)
        elif not stat.S_ISREG(info.st_mode):
            found.problems.append((root, "is not a regular file"))
        elif Path(root).suffix.lower() not in SUPPORTED_SUFFIXES:
            kinds = " ".join(sorted(SUPPORTED_SUFFIXES))
            found.problems.append((root, f"is not a supported document type ({kinds})"))
        else:
            found.files.setdefault(root, info.st_size)
    return found


def _walk(root: str, found: Found) -> None:
    real_root = os.path.realpath(root)
    errors: list[OSError] = []
    for folder, dirs, names in os.walk(root, onerror=errors.append):
        dirs.sort()
        for name in sorted(names):
            if os.path.splitext(name)[1].lower() not in SUPPORTED_SUFFIXES:
                continue
            path = os.path.join(folder, name)
            try:
                if os.path.islink(path) and not _inside(os.path.realpath(path), real_root):
                    continue
                info = os.stat(path)
            except OSError:
                continue  # a dangling link, or gone since listed
            if stat.S_ISREG(info.st_mode):
                found.files.setdefault(path, info.st_size)
    for exc in errors:
        where = exc.filename or root
        found.problems.append((str(where), f"cannot be read ({os_error_reason(exc)})"))


def _inside(target: str, folder: str) -> bool:
    try:
        return os.path.commonpath([target, folder]) == folder
    except ValueError:  # another drive (Windows)
        return False
