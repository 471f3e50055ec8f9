"""The recommended-models catalog: curated GGUF models, shown without the network.

The built-in list ships as `parrotchat.resources/catalog/recommended.json`. An admin
adds or replaces entries with `catalog.json` in the config folder (same format; an
entry with a built-in's `id` replaces it). A bad own file never hides the built-ins:
its problems come back one line each, naming the file, the entry and the reason.

Sizes are decimal GB as the hub lists them; an entry's `checked` names the facts that
were read from the hub when it was written (see docs/model-catalog.md). Downloads
list the repository first, so the real file, size and checksum always come from there.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from parrotchat.core.errors import ParrotError
from parrotchat.core.hub.config import HubError
from parrotchat.core.hub.files import (
    FileChoice,
    GgufSummary,
    RemoteFile,
    RepoListing,
    check_repo_id,
    check_repo_path,
)
from parrotchat.core.models.memory_fit import FitAssessment, MemoryEstimate, assess_fit
from parrotchat.core.models.remote_fit import (
    DEFAULT_CONTEXT,
    PREFERRED_QUANTS,
    MachineMemory,
    assess_listing,
    estimate_remote,
    recommended,
)

USER_CATALOG = "catalog.json"
Commercial = Literal["yes", "conditions", "no"]
Kind = Literal["chat", "embedding"]
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1 (or 639-3 where there is no -1)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CHECKABLE = frozenset({"repo", "files", "sizes", "license"})


class CatalogError(ParrotError):
    """One problem with one catalog file or entry; the message says which and why."""


@dataclass(frozen=True)
class CatalogFile:
    quant: str
    file: str  # path inside the repository
    size_bytes: int
    approximate: bool  # the size is an estimate, not read from the hub


@dataclass(frozen=True)
class License:
    name: str
    url: str
    commercial: Commercial
    summary: Mapping[str, str]  # language code -> one line


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    family: str
    publisher: str
    kind: Kind
    repo: str
    architecture: str
    parameters: int  # approximate, from the model card (e.g. 2.4B)
    context_length: int | None
    languages: tuple[str, ...]
    good_at: Mapping[str, str]
    license: License
    files: tuple[CatalogFile, ...]
    checked: frozenset[str]
    source: str  # "built-in" or the own catalog file's path

    @property
    def korean(self) -> bool:
        return "ko" in self.languages

    @property
    def commercial_use(self) -> bool:
        """Commercial use allowed, possibly under conditions the summary names."""
        return self.license.commercial != "no"

    def text(self, field: Mapping[str, str], language: str) -> str:
        return field.get(language) or field.get("en") or next(iter(field.values()), "")

    def preferred_file(self) -> CatalogFile:
        """Q4_K_M (or the next preferred quantization) where listed, else the smallest."""
        for quant in PREFERRED_QUANTS:
            for f in self.files:
                if f.quant.upper() == quant:
                    return f
        return min(self.files, key=lambda f: f.size_bytes)


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    problems: tuple[str, ...]  # one line each: file, entry, reason

    @property
    def architectures(self) -> list[str]:
        return sorted({e.architecture for e in self.entries})

    def find(self, entry_id: str) -> CatalogEntry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise CatalogError(f"No recommended model '{entry_id}'")


# --- reading -------------------------------------------------------------------------------


def _builtin_text() -> str:
    return (
        importlib.resources.files("parrotchat.resources") / "catalog" / "recommended.json"
    ).read_text(encoding="utf-8")


def load_catalog(config_dir: Path | None = None) -> Catalog:
    """The built-in catalog, with the admin's own `catalog.json` from `config_dir` merged."""
    entries = {e.id: e for e in parse_catalog(json.loads(_builtin_text()), "built-in")}
    problems: list[str] = []
    if config_dir is not None:
        own = Path(config_dir) / USER_CATALOG
        if own.is_file():
            added, problems = read_user_catalog(own)
            for e in added:
                entries[e.id] = e
    return Catalog(tuple(entries.values()), tuple(problems))


def read_user_catalog(path: Path) -> tuple[list[CatalogEntry], list[str]]:
    """The valid entries of an own catalog file, and one line per problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [], [f"{path}: cannot be read ({exc.strerror or exc})"]
    except UnicodeDecodeError:
        return [], [f"{path}: is not UTF-8 text"]
    except json.JSONDecodeError as exc:
        return [], [f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]
    entries: list[CatalogEntry] = []
    problems: list[str] = []
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return [], [f'{path}: must be an object with a "models" list']
    for index, raw in enumerate(models, start=1):
        try:
            entries.append(parse_entry(raw, str(path)))
        except CatalogError as exc:
            label = raw.get("id") if isinstance(raw, dict) else None
            which = f"entry {index}" + (f" ('{label}')" if isinstance(label, str) else "")
            problems.append(f"{path}: {which}: {exc}")
    return entries, problems


def parse_catalog(data: Any, source: str) -> list[CatalogEntry]:
    """Every entry of a catalog document; the first bad one raises CatalogError."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise CatalogError(f'{source}: must be an object with a "models" list')
    out = []
    for index, raw in enumerate(data["models"], start=1):
        try:
            out.append(parse_entry(raw, source))
        except CatalogError as exc:
            raise CatalogError(f"{source}: entry {index}: {exc}") from exc
    return out


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"'{key}' must be a non-empty string")
    return value.strip()


def _optional_str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) else ""


def _texts(raw: Mapping[str, Any], key: str) -> dict[str, str]:
    value = raw.get(key)
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items())
    ):
        return {k: v.strip() for k, v in value.items()}
    raise CatalogError(f'\'{key}\' must be text, or an object of texts by language ("en", "ko")')


def _positive(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise CatalogError(f"'{what}' must be a positive number")
    return float(value)


def parse_entry(raw: Any, source: str) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise CatalogError("must be an object")
    entry_id = _str(raw, "id")
    if not _ID.match(entry_id):
        raise CatalogError(f"'id' {entry_id!r} may hold only a-z, 0-9, '.', '_' and '-'")
    repo = _str(raw, "repo")
    try:
        check_repo_id(repo)
    except HubError as exc:
        raise CatalogError(f"'repo': {exc}") from exc
    kind = raw.get("kind", "chat")
    if kind not in ("chat", "embedding"):
        raise CatalogError('\'kind\' must be "chat" or "embedding"')
    languages = raw.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(code, str) and _LANGUAGE.match(code) for code in languages)
    ):
        raise CatalogError("'languages' must be a non-empty list of ISO 639 codes such as \"ko\"")
    context = raw.get("context_length")
    if context is not None and (
        isinstance(context, bool) or not isinstance(context, int) or context <= 0
    ):
        raise CatalogError("'context_length' must be a positive whole number, or null if unknown")
    checked = raw.get("checked", [])
    if not isinstance(checked, list) or not set(checked) <= _CHECKABLE:
        raise CatalogError(f"'checked' may list only {', '.join(sorted(_CHECKABLE))}")
    return CatalogEntry(
        id=entry_id,
        name=_str(raw, "name"),
        family=_optional_str(raw, "family") or _str(raw, "name"),
        publisher=_optional_str(raw, "publisher"),
        kind=kind,
        repo=repo,
        architecture=_str(raw, "architecture"),
        parameters=int(_positive(raw.get("parameters_b"), "parameters_b") * 1e9),
        context_length=context,
        languages=tuple(languages),
        good_at=_texts(raw, "good_at"),
        license=_license(raw.get("license")),
        files=_files(raw.get("files")),
        checked=frozenset(checked),
        source=source,
    )


def _license(raw: Any) -> License:
    if not isinstance(raw, dict):
        raise CatalogError("'license' must be an object with name, url, commercial and summary")
    url = _str(raw, "url")
    if not url.startswith(("https://", "http://")):
        raise CatalogError("'license.url' must be an http(s) address")
    commercial = raw.get("commercial")
    if commercial not in ("yes", "conditions", "no"):
        raise CatalogError('\'license.commercial\' must be "yes", "conditions" or "no"')
    return License(_str(raw, "name"), url, commercial, _texts(raw, "summary"))


def _files(raw: Any) -> tuple[CatalogFile, ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogError("'files' must be a non-empty list of {quant, file, size_gb}")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise CatalogError("each of 'files' must be an object with quant, file and size_gb")
        path = _str(item, "file")
        try:
            check_repo_path(path)
        except HubError as exc:
            raise CatalogError(f"'files': {path!r} is not a safe path inside a repository") from exc
        if not path.lower().endswith(".gguf"):
            raise CatalogError(f"'files': {path} is not a .gguf file")
        size = _positive(item.get("size_gb"), "size_gb")
        out.append(
            CatalogFile(_str(item, "quant"), path, int(size * 1e9), bool(item.get("approximate")))
        )
    return tuple(out)


# --- fit for this machine ---------------------------------------------------------------------


def entry_fit(
    entry: CatalogEntry, memory: MachineMemory, n_ctx: int = DEFAULT_CONTEXT
) -> FitAssessment:
    """The preferred file's fit, estimated as for a hub file that is not downloaded yet."""
    estimate = entry_estimate(entry, n_ctx)
    return assess_fit(estimate, memory.ram_free, memory.vram_free, memory.gpu_offload)


def entry_estimate(entry: CatalogEntry, n_ctx: int = DEFAULT_CONTEXT) -> MemoryEstimate:
    """Memory the preferred file needs at `n_ctx` (at most the trained context)."""
    f = entry.preferred_file()
    choice = FileChoice((RemoteFile(f.file, f.size_bytes),), f.quant)
    gguf = GgufSummary(entry.parameters, entry.architecture, entry.context_length)
    return estimate_remote(choice, gguf, n_ctx)


def as_dicts(
    entries: Sequence[CatalogEntry], memory: MachineMemory | None, n_ctx: int = DEFAULT_CONTEXT
) -> list[dict[str, Any]]:
    """The catalog as `parrotchat models recommended --json` prints it."""
    out = []
    for e in entries:
        record: dict[str, Any] = {
            "id": e.id,
            "name": e.name,
            "family": e.family,
            "publisher": e.publisher,
            "kind": e.kind,
            "repo_id": e.repo,
            "architecture": e.architecture,
            "parameters": e.parameters,
            "context_length": e.context_length,
            "languages": list(e.languages),
            "good_at": dict(e.good_at),
            "license": {
                "name": e.license.name,
                "url": e.license.url,
                "commercial_use": e.license.commercial,
                "summary": dict(e.license.summary),
            },
            "files": [
                {
                    "quantization": f.quant,
                    "path": f.file,
                    "size_bytes": f.size_bytes,
                    "size_approximate": f.approximate,
                }
                for f in e.files
            ],
            "preferred_file": e.preferred_file().file,
            "checked": sorted(e.checked),
            "source": e.source,
        }
        if memory is not None:
            fit = entry_fit(e, memory, n_ctx)
            record["fit"] = fit.fit.value
            record["fit_reason"] = fit.reason
        out.append(record)
    return out


def choose_file(
    listing: RepoListing,
    path: str,
    quant: str,
    memory: MachineMemory,
    n_ctx: int = DEFAULT_CONTEXT,
) -> FileChoice:
    """The catalog's file in the real listing; else the same quantization under another
    name; else the file recommended for this machine. The listing, not the catalog,
    gives the name, size and checksum that are downloaded."""
    for choice in listing.choices:
        if choice.key == path:
            return choice
    same_quant = [c for c in listing.choices if (c.quantization or "").upper() == quant.upper()]
    if len(same_quant) == 1:
        return same_quant[0]
    best = recommended(assess_listing(listing, memory, n_ctx))
    if best is None:
        raise CatalogError(
            f"{listing.repo_id} has no file {path} and none that fits this machine's free memory"
        )
    return best
