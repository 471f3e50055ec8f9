"""Download a GGUF file (or every part of a split set) from a hub into the model library:
resumable across restarts, verified, and never visible as a model until it is whole.

How one download goes:

1. Offline switch, names (no path traversal), checksums and free disk space are checked
   before any byte moves; a shortfall is refused with the bytes needed and free.
2. Each file is fetched into `downloads_dir/<owner>/<repo>/<path>.part` (see
   `download_part.py`). A `.part` left by an earlier run, this process or another, is
   re-hashed and continued with a Range request: only the missing bytes are fetched.
3. Dropped connections, timeouts and 5xx answers are retried with exponential backoff,
   each attempt resuming where the last one stopped; `retries` bounds the failures in a
   row without progress. 404, 401/403 and refused redirects fail at once.
4. The SHA-256 (git blob id for non-LFS files) and size are checked. A mismatch deletes
   the `.part` (so the next run starts clean) and nothing reaches the library.
5. The verified files are moved into a hidden folder inside `models_dir`, validated as a
   GGUF model there, and renamed into the library under their original names, part 1
   last, so a scan never sees half a split set.

`Downloader.download` blocks; the window runs it on a worker thread (see
`download_queue.py`) and stops it with a `DownloadControl`: pause keeps the `.part`,
cancel deletes it. Progress arrives through a callback on the downloading thread, at
most about ten times a second.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from parrotchat.core.atomic_file import os_error_reason
from parrotchat.core.errors import ModelFileError
from parrotchat.core.hub.background_hash import BackgroundHash
from parrotchat.core.hub.config import HubConfig, HubError
from parrotchat.core.hub.download_control import (
    DownloadControl,
    DownloadProgress,
    DownloadStopped,
    ProgressMeter,
)
from parrotchat.core.hub.download_part import Checksum, PartFile, PartRecord, hash_file
from parrotchat.core.hub.files import (
    FileChoice,
    RemoteFile,
    RemoteStream,
    RepoListing,
    check_repo_id,
    check_repo_path,
)
from parrotchat.core.models.info import ModelInfo, human_bytes, validate_model_file

DISK_MARGIN = 64 * 1024 * 1024
_PROGRESS_RESETS_RETRIES = 1024 * 1024  # this much progress forgives earlier failures
_MAX_ATTEMPTS = 100  # an absolute bound, however much each attempt progresses


class DownloadError(HubError):
    """A download failed; the message names the repository, the file and the reason."""


class FileSource(Protocol):
    """Where bytes come from: `HubClient` (kept abstract so that importing this module
    does not import huggingface_hub)."""

    @property
    def config(self) -> HubConfig: ...

    def file_url(self, repo_id: str, revision: str, path: str) -> str: ...

    def open_file(
        self, repo_id: str, revision: str, path: str, *, start: int = 0
    ) -> AbstractContextManager[RemoteStream]: ...


@dataclass(frozen=True)
class DownloadRequest:
    repo_id: str
    revision: str  # a commit id: a resumed download gets the same bytes
    choice: FileChoice

    @classmethod
    def from_listing(cls, listing: RepoListing, choice: FileChoice) -> DownloadRequest:
        return cls(listing.repo_id, listing.revision, choice)


@dataclass(frozen=True)
class PendingDownload:
    """A download that stopped before it finished, found on disk without the network."""

    request: DownloadRequest
    done: int
    total: int


def disk_free(path: Path) -> int:
    """Free bytes on the disk that holds `path` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return shutil.disk_usage(path).free


class Downloader:
    """Downloads into `models_dir`, keeping partial files in `downloads_dir`."""

    def __init__(
        self,
        source: FileSource,
        models_dir: Path,
        downloads_dir: Path,
        *,
        free_space: Callable[[Path], int] = disk_free,
        retries: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 15.0,
    ) -> None:
        self.source = source
        self.models_dir = Path(models_dir)
        self.downloads_dir = Path(downloads_dir)
        self.free_space = free_space
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s

    # --- the public calls ---------------------------------------------------------------

    def download(
        self,
        request: DownloadRequest,
        *,
        progress: Callable[[DownloadProgress], None] | None = None,
        control: DownloadControl | None = None,
    ) -> ModelInfo:
        """Fetch, verify and install one choice; returns the model as the library shows
        it. Raises DownloadError, HubOfflineError, or DownloadStopped."""
        self.source.config.require_online()
        control = control or DownloadControl()
        files = request.choice.files
        check_repo_id(request.repo_id)
        for f in files:
            self._check_file(request, f)
        parts = [PartFile(self.downloads_dir, request.repo_id, f) for f in files]
        targets = [self._target(f) for f in files]
        meter = ProgressMeter(request.choice.size, progress)
        existing = self._already_installed(request, targets, meter)
        if existing is not None:
            return existing
        acquired: list[PartFile] = []
        try:
            for part in parts:
                part.acquire()
                acquired.append(part)
            self._check_space(request, parts)
            for part in parts:
                self._fetch(request, part, meter, control)
                meter.base += part.remote.size
            meter.base = 0
            control.check()
            meter.emit("installing", request.choice.name, request.choice.size, force=True)
            info = self._install(request, parts, targets)
        except DownloadStopped as stop:
            if stop.kind == "cancelled":
                for part in acquired:
                    part.discard()
            raise
        except OSError as e:  # the disk filled up, a folder is read-only, ...
            raise DownloadError(
                f"{request.repo_id}: {request.choice.name}: cannot be written "
                f"({os_error_reason(e)}); the partial download is kept"
            ) from None
        finally:
            for part in acquired:
                part.release()
        meter.emit("done", request.choice.name, request.choice.size, force=True)
        return info

    def pending(self) -> list[PendingDownload]:
        """Downloads that stopped part-way, from their records on disk (no network)."""
        found: dict[tuple[str, str], PendingDownload] = {}
        if not self.downloads_dir.is_dir():
            return []
        for record_path in sorted(self.downloads_dir.rglob("*.part.json")):
            record = PartFile.read_record(record_path)
            if record is None:
                continue
            files = record.group or (RemoteFile(record.path, record.size, record.sha256),)
            if (record.repo_id, files[0].path) in found:
                continue
            done = 0
            for f in files:
                with contextlib.suppress(HubError):
                    done += PartFile(self.downloads_dir, record.repo_id, f).size()
            choice = FileChoice(files, record.quantization)
            found[(record.repo_id, files[0].path)] = PendingDownload(
                DownloadRequest(record.repo_id, record.revision, choice), done, choice.size
            )
        return list(found.values())

    def discard(self, request: DownloadRequest) -> None:
        """Delete what a stopped download left behind."""
        for f in request.choice.files:
            PartFile(self.downloads_dir, request.repo_id, f).discard()

    # --- checks before any byte moves -------------------------------------------------

    def _check_file(self, request: DownloadRequest, f: RemoteFile) -> None:
        check_repo_path(f.path)
        where = f"{request.repo_id}: {f.path}"
        if not f.name.lower().endswith(".gguf"):
            raise DownloadError(f"{where}: not a GGUF file")
        if f.size < 0:
            raise DownloadError(f"{where}: the hub does not say how large the file is")
        if not (f.sha256 or f.blob_id):
            raise DownloadError(f"{where}: the hub gives no SHA-256, so it cannot be verified")

    def _target(self, f: RemoteFile) -> Path:
        target = self.models_dir / f.name
        if target.parent != self.models_dir or f.name in ("", ".", ".."):
            raise DownloadError(f"Refused file name '{f.path}': not a plain file name")
        return target

    def _check_space(self, request: DownloadRequest, parts: list[PartFile]) -> None:
        self.downloads_dir.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        remaining = sum(max(0, p.remote.size - p.size()) for p in parts)
        needs = [(self.downloads_dir, remaining + DISK_MARGIN)]
        if os.stat(self.downloads_dir).st_dev != os.stat(self.models_dir).st_dev:
            needs.append((self.models_dir, request.choice.size + DISK_MARGIN))
        for folder, need in needs:
            free = self.free_space(folder)
            if need > free:
                raise DownloadError(
                    f"{request.repo_id}: {request.choice.name}: not enough disk space: it "
                    f"needs {human_bytes(need)} ({need:,} bytes, with "
                    f"{human_bytes(DISK_MARGIN)} to spare) and {folder} has "
                    f"{human_bytes(free)} ({free:,} bytes) free"
                )

    def _already_installed(
        self, request: DownloadRequest, targets: list[Path], meter: ProgressMeter
    ) -> ModelInfo | None:
        """The same files already in the library (checked by hash): nothing to do."""
        present = [t for t in targets if t.exists() or t.is_symlink()]
        if not present:
            return None
        for f, target in zip(request.choice.files, targets, strict=True):
            same = target.is_file() and target.stat().st_size == f.size
            if same:
                checksum = Checksum(f)

                def tick(n: int, name: str = f.name) -> None:
                    meter.emit("verifying", name, n)

                hash_file(target, checksum, tick)
                meter.emit("verifying", f.name, f.size, force=True)
                same = checksum.matches()
            if not same:
                raise DownloadError(
                    f"{request.repo_id}: {request.choice.name}: a different file named "
                    f"{target.name} is already in the library; remove it first"
                )
        try:
            return validate_model_file(targets[0]).with_source("library")
        except ModelFileError as e:
            raise DownloadError(str(e)) from None

    # --- one file -----------------------------------------------------------------------

    def _fetch(
        self,
        request: DownloadRequest,
        part: PartFile,
        meter: ProgressMeter,
        control: DownloadControl,
    ) -> None:
        remote = part.remote
        where = f"{request.repo_id}: {remote.path}"
        checksum = Checksum(remote)
        url = self.source.file_url(request.repo_id, request.revision, remote.path)
        wanted = PartRecord(
            repo_id=request.repo_id,
            revision=request.revision,
            path=remote.path,
            url=url,
            size=remote.size,
            sha256=remote.sha256,
            blob_id=remote.blob_id,
            quantization=request.choice.quantization,
            group=request.choice.files,
        )
        record = part.load_record()
        if record is None or not record.same_file(wanted):
            part.discard()  # no record, or the record of another file: start afresh
            record = wanted
        have = part.size()
        if have > remote.size:
            part.discard()
            have = 0
        if have:

            def tick(n: int) -> None:
                control.check()
                meter.emit("checking", remote.name, n)

            meter.emit("checking", remote.name, 0, force=True)
            part.hash_existing(checksum, have, tick)
            meter.emit("checking", remote.name, have, force=True)
        part.save_record(record)
        failures = attempts = 0
        while have < remote.size:
            control.check()
            self.source.config.require_online()
            attempts += 1
            before = have
            try:
                have, record = self._attempt(request, part, record, checksum, have, meter, control)
            except HubError as e:
                control.check()
                have = part.size()  # what the failed attempt wrote (and hashed) is kept
                progressed = have - before >= _PROGRESS_RESETS_RETRIES
                failures = 1 if progressed else failures + 1  # failures in a row
                if not e.transient or failures > self.retries or attempts >= _MAX_ATTEMPTS:
                    kept = (
                        f"; {have:,} of {remote.size:,} bytes are kept: run again to resume"
                        if have
                        else ""
                    )
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise DownloadError(f"{e}{tries}{kept}") from None
                control.sleep(min(self.max_backoff_s, self.backoff_s * 2 ** (failures - 1)))
        meter.emit("verifying", remote.name, have, force=True)
        if not checksum.matches():
            part.discard()
            raise DownloadError(
                f"{where}: the download is corrupt: its {checksum.kind} is "
                f"{checksum.hasher.hexdigest()} but the hub says {checksum.expected}; "
                "the partial file was deleted, try again"
            )

    def _attempt(
        self,
        request: DownloadRequest,
        part: PartFile,
        record: PartRecord,
        checksum: Checksum,
        have: int,
        meter: ProgressMeter,
        control: DownloadControl,
    ) -> tuple[int, PartRecord]:
        """One GET from byte `have` on; returns the bytes now in the part file."""
        remote = part.remote
        where = f"{request.repo_id}: {remote.path}"
        with self.source.open_file(
            request.repo_id, request.revision, remote.path, start=have
        ) as stream:
            control.set_abort(stream.abort)
            try:
                if stream.total is not None and stream.total != remote.size:
                    raise DownloadError(
                        f"{where}: the server says the file has {stream.total:,} bytes, "
                        f"the listing said {remote.size:,}"
                    )
                changed = record.etag and stream.etag and record.etag != stream.etag
                if stream.offset != have or changed:  # no Range support, or a new file
                    part.discard()
                    checksum.reset()
                    have = 0
                if stream.etag and record.etag != stream.etag:
                    record = replace(record, etag=stream.etag)
                    part.save_record(record)
                have = self._receive(where, part, stream, checksum, have, meter, control)
            finally:
                control.set_abort(None)
        if have < remote.size:
            raise HubError(
                f"{where}: the connection closed after {have:,} of {remote.size:,} bytes",
                transient=True,
            )
        return have, record

    def _receive(
        self,
        where: str,
        part: PartFile,
        stream: RemoteStream,
        checksum: Checksum,
        have: int,
        meter: ProgressMeter,
        control: DownloadControl,
    ) -> int:
        size, name = part.remote.size, part.remote.name
        part.data.parent.mkdir(parents=True, exist_ok=True)
        overflow = False
        with part.data.open("ab") as out, BackgroundHash(checksum.hasher.update) as hashing:
            try:
                for chunk in stream.chunks:
                    if control.stopped:
                        break
                    if have + len(chunk) > size:
                        overflow = True
                        break
                    out.write(chunk)
                    hashing.feed(chunk)
                    have += len(chunk)
                    meter.emit("downloading", name, have)
            except HubError:
                if control.stopped:
                    raise DownloadStopped(control.stopped) from None
                raise
            finally:
                out.flush()
                if have == size:
                    os.fsync(out.fileno())
        if overflow:
            part.discard()  # closed first: Windows cannot delete an open file
            raise DownloadError(f"{where}: the server sent more than {size:,} bytes")
        control.check()
        return have

    # --- into the library --------------------------------------------------------------

    def _install(
        self, request: DownloadRequest, parts: list[PartFile], targets: list[Path]
    ) -> ModelInfo:
        staging = self.models_dir / f".incoming-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        staged = [staging / t.name for t in targets]
        try:
            for part, dest in zip(parts, staged, strict=True):
                _move(part.data, dest)
            try:
                info = validate_model_file(staged[0])
            except ModelFileError as e:
                for part in parts:
                    part.discard()
                raise DownloadError(
                    f"{request.repo_id}: {request.choice.name} downloaded and verified, but "
                    f"it is not a model ParrotChat can use: {str(e).split(': ', 1)[-1]}"
                ) from None
            for dest, target in reversed(list(zip(staged, targets, strict=True))):
                if target.exists():
                    raise DownloadError(f"{target.name} appeared in the library meanwhile")
                os.replace(dest, target)  # part 1 last: then the whole set is there
        except OSError:
            for part, dest in zip(parts, staged, strict=True):  # keep the verified bytes
                with contextlib.suppress(OSError):
                    if dest.exists() and not part.data.exists():
                        os.replace(dest, part.data)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for part in parts:
            part.discard()
        # The same bytes, now under their library names (no second header walk).
        return replace(info, path=targets[0], files=tuple(targets), source="library")


def _move(src: Path, dest: Path) -> None:
    """Rename, or copy and sync across file systems."""
    try:
        os.replace(src, dest)
        return
    except OSError:
        pass
    with src.open("rb") as fin, dest.open("xb") as fout:
        shutil.copyfileobj(fin, fout, 8 * 1024 * 1024)
        fout.flush()
        os.fsync(fout.fileno())
    src.unlink()
