"""The models a user can chat with: the starter model, the models folder, and files
used in place elsewhere (remembered in `models_dir/references.json`).

A model enters the folder only whole: an import copies to a hidden temporary name and
renames at the end, so an interrupted copy never shows up as a model. Broken files do
not stop a scan; they are listed in `problems`, one line each.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from parrotchat.core.errors import ModelFileError, StorageError
from parrotchat.core.models.info import (
    SPLIT_NAME,
    ModelInfo,
    ModelSource,
    human_bytes,
    model_file_error,
    show_path,
    validate_model_file,
)

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)

REFERENCES_FILE = "references.json"
_PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".download", ".incomplete", ".crdownload")
_FOREIGN_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt", ".ggml")
_COPY_CHUNK = 8 * 1024 * 1024
_DISK_MARGIN = 64 * 1024 * 1024  # leave the disk a little room after an import


def _real(path: Path) -> str:
    return os.path.realpath(path)


def _file_names(model: ModelInfo) -> set[str]:
    return {f.name.casefold() for f in model.files}


def _stems(model: ModelInfo) -> set[str]:
    split = SPLIT_NAME.match(model.path.name)
    return {model.path.stem.casefold(), *([split["stem"].casefold()] if split else [])}


class ModelLibrary:
    def __init__(self, models_dir: Path, starter: Path | None) -> None:
        self.models_dir = Path(models_dir)
        self.starter = starter
        self.problems: list[str] = []
        # Files in the models folder that cannot be used, with the reason: the Library
        # lists them (greyed) so a broken download is seen, not silently missing.
        self.unusable: list[tuple[Path, str]] = []
        self._cache: dict[str, tuple[tuple[tuple[int, int], ...], ModelInfo]] = {}

    @property
    def references_file(self) -> Path:
        return self.models_dir / REFERENCES_FILE

    # --- listing ------------------------------------------------------------------

    def scan(self) -> list[ModelInfo]:
        """Starter first, then the models folder, then referenced files; by model name."""
        problems: list[str] = []
        unusable: list[tuple[Path, str]] = []
        found: list[ModelInfo] = []
        seen: set[str] = set()

        def add(paths: list[Path], source: ModelSource) -> None:
            infos: list[ModelInfo] = []
            for path in paths:
                try:
                    info = self._validate(path)
                except ModelFileError as e:
                    problems.append(str(e))
                    if source == "library":
                        unusable.append((path, str(e)))
                    continue
                if _real(info.path) not in seen:
                    seen.add(_real(info.path))
                    infos.append(info.with_source(source))
            found.extend(sorted(infos, key=lambda m: (m.name.casefold(), m.path.name)))

        add([self.starter] if self.starter is not None else [], "starter")
        add(sorted(self._folder_files(problems)), "library")
        try:
            references = self._load_references()
        except StorageError as e:
            problems.append(str(e))
            references = []
        add([Path(ref) for ref in references], "external")
        self.problems = problems
        self.unusable = unusable
        return found

    def _folder_files(self, problems: list[str]) -> Iterator[Path]:
        """GGUF files in the models folder: the first part only of each split set."""
        lone_parts: dict[Path, Path] = {}
        for root, dirs, files in os.walk(self.models_dir):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                path = Path(root) / name
                lower = name.lower()
                if name.startswith(".") or lower.endswith(_PARTIAL_SUFFIXES):
                    continue  # our temporary copies, downloads in progress
                if lower.endswith(_FOREIGN_SUFFIXES):
                    problems.append(f"{show_path(path)}: not a GGUF file; ParrotChat runs .gguf")
                    continue
                if not lower.endswith(".gguf"):
                    continue
                split = SPLIT_NAME.match(name)
                if split and int(split["no"]) != 1:
                    part1 = f"{split['stem']}-00001-of-{split['count']}.gguf"
                    lone_parts.setdefault(path.with_name(part1), path)
                    continue
                yield path
        for first, part in lone_parts.items():
            if not first.exists():
                problems.append(f"{show_path(part)}: split model without its part 1 ({first.name})")

    def _validate(self, path: Path) -> ModelInfo:
        """`validate_model_file`, remembered while the files' sizes and times stay put."""
        key = _real(path)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == self._signature(cached[1].files):
            return cached[1]
        info = validate_model_file(path)
        self._cache[key] = (self._signature(info.files), info)
        return info

    @staticmethod
    def _signature(files: tuple[Path, ...]) -> tuple[tuple[int, int], ...]:
        try:
            return tuple((st.st_size, st.st_mtime_ns) for st in (f.stat() for f in files))
        except OSError:
            return ()

    def find(self, name_or_path: str | os.PathLike[str]) -> ModelInfo:
        """By path, file name, file stem or model name (case-insensitive)."""
        query = os.fspath(name_or_path)
        models = self.scan()
        path = Path(query).expanduser()
        looks_like_path = os.sep in query or "/" in query or path.is_absolute()
        if not looks_like_path:
            needle = query.casefold()
            for key in (
                _file_names,
                _stems,
                lambda m: {m.name.casefold(), m.display_name.casefold()},
            ):
                hits = [m for m in models if needle in key(m)]
                if len(hits) == 1:
                    return hits[0]
                if hits:
                    names = ", ".join(h.path.name for h in hits)
                    raise ModelFileError(f"'{query}' matches several models ({names})")
        if looks_like_path or path.exists() or path.is_symlink():
            real = _real(path)
            for info in models:
                if real in {_real(f) for f in info.files}:
                    return info
            return validate_model_file(path).with_source("external")
        raise ModelFileError(self._not_found(query, models))

    def _not_found(self, query: str, models: list[ModelInfo]) -> str:
        if not models:
            return f"No model '{query}': the library is empty"
        names = sorted(suggested_names(models))
        close = [n for n in names if query.casefold() in n.casefold()]
        close += difflib.get_close_matches(query, names, n=3, cutoff=0.5)
        suggestions = list(dict.fromkeys(close))[:3] or names[:5]
        return f"No model '{query}' in the library; did you mean: {', '.join(suggestions)}?"

    # --- changing -----------------------------------------------------------------

    def import_model(
        self, src: Path, *, copy: bool = True, progress: Progress | None = None
    ) -> ModelInfo:
        """Add a model: copy it into the folder, or (`copy=False`) use it where it is.

        The file is validated first; a split set brings all its parts. `progress` is
        called with (bytes done, bytes in all); raising from it cancels the copy, and
        nothing is left behind.
        """
        info = validate_model_file(src)
        self._refuse_duplicate(info, copy=copy)
        if not copy:
            references = self._load_references()
            references.append(str(info.path.absolute()))
            self._save_references(references)
            return info.with_source("external")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.models_dir).free
        if info.size_bytes + _DISK_MARGIN > free:
            raise model_file_error(
                info.path,
                f"cannot be imported: it needs {human_bytes(info.size_bytes + _DISK_MARGIN)} "
                f"of free space (its size plus {human_bytes(_DISK_MARGIN)} to spare) and only "
                f"{human_bytes(free)} is free on {show_path(self.models_dir)}",
            )
        self._copy_in(info, progress)
        return self._validate(self.models_dir / info.path.name).with_source("library")

    def _refuse_duplicate(self, info: ModelInfo, *, copy: bool) -> None:
        sources = {_real(f) for f in info.files}
        for model in self.scan():
            if sources & {_real(f) for f in model.files}:
                raise model_file_error(
                    info.path, f"is already in the library as '{model.display_name}'"
                )
            same = (model.name, model.quantization, model.parameter_count, model.size_bytes)
            if same == (info.name, info.quantization, info.parameter_count, info.size_bytes):
                reason = f"looks like a copy of {model.path.name}, already in the library"
                raise model_file_error(info.path, reason)
        for f in info.files if copy else ():
            if (self.models_dir / f.name).exists():
                reason = f"a file named {f.name} is already in the library"
                raise model_file_error(info.path, reason)

    def _copy_in(self, info: ModelInfo, progress: Progress | None) -> None:
        tag = uuid.uuid4().hex[:8]
        temps = [self.models_dir / f".{f.name}.{tag}.part" for f in info.files]
        done = 0
        try:
            if progress is not None:
                progress(0, info.size_bytes)
            for source, temp in zip(info.files, temps, strict=True):
                done = _copy_file(source, temp, done, info.size_bytes, progress)
            # Part 1 last: once it appears the whole set is there.
            for source, temp in reversed(list(zip(info.files, temps, strict=True))):
                os.replace(temp, self.models_dir / source.name)
        except OSError as e:
            raise model_file_error(
                info.path, f"could not be copied into the library ({e.strerror or e})"
            ) from None
        finally:
            for temp in temps:
                temp.unlink(missing_ok=True)

    def remove(self, name: str | os.PathLike[str]) -> int:
        """Delete a model from the folder (returns the bytes freed), or forget a
        referenced file without touching it (returns 0). The starter model stays."""
        info = self.find(name)
        if info.source == "starter":
            raise model_file_error(info.path, "is the starter model and cannot be removed")
        if info.source == "external":
            references = self._load_references()
            kept = [r for r in references if _real(Path(r)) != _real(info.path)]
            if len(kept) == len(references):
                raise model_file_error(info.path, "is not in the library")
            self._save_references(kept)
            return 0
        freed = 0
        for f in info.files:
            try:
                st = f.lstat()
                f.unlink()
            except FileNotFoundError:
                continue
            except OSError as e:
                raise model_file_error(f, f"could not be deleted ({e.strerror or e})") from None
            freed += 0 if stat.S_ISLNK(st.st_mode) else st.st_size
        self._cache.pop(_real(info.path), None)
        return freed

    # --- references.json ----------------------------------------------------------

    def _load_references(self) -> list[str]:
        try:
            data = json.loads(self.references_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise StorageError(f"{show_path(self.references_file)}: cannot be read ({e})") from None
        refs = data.get("models") if isinstance(data, dict) else None
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise StorageError(f"{show_path(self.references_file)}: not a list of model paths")
        return refs

    def _save_references(self, references: list[str]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        temp = self.models_dir / f".{REFERENCES_FILE}.{uuid.uuid4().hex[:8]}.tmp"
        data = {"version": 1, "models": references}
        text = json.dumps(data, indent=2, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: kept as \udcXX escapes
            text = json.dumps(data, indent=2)
        try:
            with temp.open("w", encoding="utf-8") as f:
                f.write(text + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, self.references_file)
        except OSError as e:
            raise StorageError(f"{show_path(self.references_file)}: cannot be written ({e})") from e
        finally:
            temp.unlink(missing_ok=True)


def _copy_file(src: Path, dst: Path, done: int, total: int, progress: Progress | None) -> int:
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(_COPY_CHUNK):
            fout.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        fout.flush()
        os.fsync(fout.fileno())
    return done


def suggested_names(models: list[ModelInfo]) -> set[str]:
    """The names to offer for `--model`: the one each model is shown by, or its file
    stem where two models share it (one model in two quantizations)."""
    shown = Counter(m.display_name.casefold() for m in models)
    return {
        m.display_name if shown[m.display_name.casefold()] == 1 else m.path.stem for m in models
    }
