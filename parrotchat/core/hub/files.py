"""What a hub repository offers, as plain records: repositories found by a search, the
GGUF files of one repository grouped into choices (a single file, or every part of a
split set), and the quantization read from each file name.

Everything a server sends is untrusted: repository ids and file paths are checked here
(`check_repo_id`, `check_repo_path`) before anything is requested or written, and a
listing keeps the names it refused in `problems` instead of offering them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from parrotchat.core.hub.config import HubError
from parrotchat.core.models.info import SPLIT_NAME

_REPO_PART = re.compile(r"^\w(?:[\w.-]{0,94}\w)?$", re.ASCII)  # the Hub's own rule
_WINDOWS_BAD = frozenset('<>:"|?*')
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)
# Q4_K_M, IQ4_XS, Q8_0, Q4_0_4_4, TQ1_0, F16, BF16, FP16, F32, MXFP4 ... as a whole word
# (separated by '-', '.', '_' or the ends of the name; "_imatrix" after a quant is fine).
_QUANT = re.compile(
    r"(?<![A-Za-z0-9])(i?q[1-8](?:_[a-z0-9]{1,3})*|tq[12]_0|mxfp4|bf16|fp16|f16|fp32|f32)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_QUANT_ALIASES = {"FP16": "F16", "FP32": "F32"}
# Surrogates cannot be written as file names at all; format characters (right-to-left
# overrides, zero-width spaces, BOMs) and line separators make a name read as another.
_UNPRINTABLE = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})
_MAX_NAME_BYTES = 200  # file systems allow 255 per name; ".part.json" is added to it


def check_repo_id(repo_id: str) -> str:
    """`owner/name` (or a bare legacy `name`) as the Hub allows them."""
    parts = repo_id.split("/")
    ok = 1 <= len(parts) <= 2 and all(_REPO_PART.match(p) for p in parts)
    if not ok or ".." in repo_id or "--" in repo_id:
        raise HubError(f"'{repo_id}' is not a valid repository id (expected owner/name)")
    return repo_id


def check_repo_path(path: str) -> str:
    """A file path inside a repository that is safe to request and to save under its
    base name: relative, no '..', no backslashes, no drive letters, no control or
    Windows-reserved characters, not hidden. Raises HubError naming the refusal."""

    def refuse(why: str) -> HubError:
        shown = path.encode("unicode_escape").decode("ascii")[:200]
        return HubError(f"Refused file name '{shown}' from the hub: {why}")

    if not path or len(path) > 1000:
        raise refuse("empty or too long")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise refuse("it contains control characters")
    if any(unicodedata.category(c) in _UNPRINTABLE for c in path):
        raise refuse("it contains invisible, text-direction or unencodable characters")
    if "\\" in path:
        raise refuse("it contains a backslash")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise refuse("it is an absolute path")
    segments = path.split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise refuse("it leaves the repository (path traversal)")
    name = segments[-1]
    if _WINDOWS_BAD & set(path):
        raise refuse("it contains characters that are not allowed in file names")
    if name.startswith("."):
        raise refuse("it is a hidden file")
    if any(len(s.encode("utf-8")) > _MAX_NAME_BYTES for s in segments):
        raise refuse(f"a name in it is longer than {_MAX_NAME_BYTES} bytes")
    # Each folder becomes a folder of the partial download: the same rules as names.
    if any(s.split(".")[0].upper() in _WINDOWS_RESERVED for s in segments):
        raise refuse("it is a reserved device name on Windows")
    if any(s.endswith((".", " ")) for s in segments):
        raise refuse("a name in it ends with a dot or a space, which Windows drops")
    return path


def quantization_from_name(name: str) -> str | None:
    """The quantization a GGUF file name announces ("Q4_K_M", "IQ4_XS", "BF16"), or None.
    The last match wins: model names carry version numbers, quant tags come last."""
    split = SPLIT_NAME.match(name)
    stem = split["stem"] if split else re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE)
    found = _QUANT.findall(stem)
    if not found:
        return None
    quant = str(found[-1]).upper()
    return _QUANT_ALIASES.get(quant, quant)


@dataclass(frozen=True)
class RemoteFile:
    """One file of a repository, as the listing describes it."""

    path: str  # inside the repository, '/'-separated; checked by check_repo_path
    size: int
    sha256: str | None = None  # the LFS object id: what the download is checked against
    blob_id: str | None = None  # the git blob id (sha1), for small non-LFS files

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


@dataclass(frozen=True)
class FileChoice:
    """One thing to pick and download: a single GGUF file or a complete split set."""

    files: tuple[RemoteFile, ...]  # split parts in order; one entry for a single file
    quantization: str | None

    @property
    def key(self) -> str:
        """The repository path of the (first) file: unique within a listing."""
        return self.files[0].path

    @property
    def name(self) -> str:
        """The file name the library will show (part 1 for a split set)."""
        return self.files[0].name

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def label(self) -> str:
        split = SPLIT_NAME.match(self.name)
        return f"{split['stem']} ({len(self.files)} parts)" if split else self.name

    def matches(self, wanted: str) -> bool:
        """By repository path, file name or stem of any part (case-insensitive)."""
        needle = wanted.casefold().removesuffix(".gguf")
        for f in self.files:
            candidates = {f.path.casefold(), f.name.casefold()}
            candidates |= {c.removesuffix(".gguf") for c in candidates}
            if needle in candidates:
                return True
        split = SPLIT_NAME.match(self.name)
        return split is not None and needle == split["stem"].casefold()


@dataclass(frozen=True)
class GgufSummary:
    """What the hub reports about a repository's GGUF model (any of it may be missing)."""

    parameters: int | None = None
    architecture: str | None = None
    context_length: int | None = None


@dataclass(frozen=True)
class RepoSummary:
    """One search result."""

    repo_id: str
    author: str | None
    downloads: int | None
    likes: int | None
    last_modified: datetime | None
    trending_score: float | None
    tags: tuple[str, ...]
    gguf: GgufSummary


@dataclass(frozen=True)
class RepoListing:
    """The GGUF choices of one repository at one commit."""

    repo_id: str
    revision: str  # the commit the listing describes; downloads use it
    choices: tuple[FileChoice, ...]
    problems: tuple[str, ...]  # refused names, incomplete split sets, projector files
    gguf: GgufSummary

    def find(self, *, file: str | None = None, quant: str | None = None) -> FileChoice:
        """The choice named by `file`, or the one with quantization `quant`."""
        if file is not None:
            hits = [c for c in self.choices if c.matches(file)]
            what = f"file '{file}'"
        elif quant is not None:
            hits = [c for c in self.choices if (c.quantization or "").upper() == quant.upper()]
            what = f"quantization {quant.upper()}"
        else:
            raise ValueError("find() needs file or quant")
        if len(hits) == 1:
            return hits[0]
        if hits:
            names = ", ".join(c.key for c in hits)
            raise HubError(f"{self.repo_id}: {what} matches several files ({names}); use --file")
        if file is not None:  # a name the listing refused: say why, not just "no file"
            shown = f"'{file.encode('unicode_escape').decode('ascii')[:200]}'"
            for problem in self.problems:
                if shown in problem:
                    raise HubError(f"{self.repo_id}: {problem}")
        have = ", ".join(c.name for c in self.choices) or "none"
        raise HubError(f"{self.repo_id}: no GGUF {what} (available: {have})")


def group_choices(files: list[RemoteFile]) -> tuple[list[FileChoice], list[str]]:
    """GGUF files as choices (split sets grouped, complete sets only), plus problems."""
    problems: list[str] = []
    singles: list[FileChoice] = []
    sets: dict[tuple[str, str, int], dict[int, RemoteFile]] = {}
    for f in files:
        if not f.name.lower().endswith(".gguf"):
            continue
        try:
            check_repo_path(f.path)
        except HubError as e:
            problems.append(str(e))
            continue
        if "mmproj" in f.name.lower():
            problems.append(f"{f.path}: a vision projector (mmproj), not a chat model")
            continue
        split = SPLIT_NAME.match(f.name)
        if split is None:
            singles.append(FileChoice((f,), quantization_from_name(f.name)))
            continue
        folder = str(PurePosixPath(f.path).parent)
        key = (folder, split["stem"], int(split["count"]))
        sets.setdefault(key, {})[int(split["no"])] = f
    for (_folder, stem, count), parts in sets.items():
        missing = [i for i in range(1, count + 1) if i not in parts]
        if missing or len(parts) != count:
            shown = ", ".join(str(i) for i in missing) or "extra parts"
            problems.append(f"{stem}: split set of {count} is incomplete (missing part {shown})")
            continue
        ordered = tuple(parts[i] for i in range(1, count + 1))
        singles.append(FileChoice(ordered, quantization_from_name(ordered[0].name)))
    singles.sort(key=lambda c: (c.size, c.key))
    return singles, problems


@dataclass
class RemoteStream:
    """An open GET of one file: its bytes from `offset` on."""

    url: str  # where the bytes come from (after redirects)
    offset: int  # the first byte of the body: the start asked for (206) or 0 (200)
    total: int | None  # the whole file's size, as the server states it
    etag: str | None
    commit: str | None
    chunks: Iterator[bytes]
    abort: Callable[[], None]  # from any thread: makes a blocked read fail at once
