"""A small Hugging Face Hub on 127.0.0.1, for tests: the parts of the Hub API that
huggingface_hub 2.4 and ParrotChat's downloader call, serving real GGUF bytes.

    GET  /api/models?search=&filter=gguf&sort=&limit=&expand=...   model search
    GET  /api/models/{repo}[/revision/{rev}][?blobs=true]          repository info
    GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive=&expand=  file tree
    HEAD/GET /{repo}/resolve/{rev}/{path}                           file (Range: 206)
    HEAD/GET /cdn/{sha256}                                          LFS bytes (Range)

Like the real Hub, `resolve` for an LFS file answers 302 to the CDN route (same host)
with X-Repo-Commit, X-Linked-Etag and X-Linked-Size; small non-LFS files are served
directly. Every request is recorded (`requests`) and the body bytes sent per file are
counted (`bytes_sent`), so tests can assert on what went over the wire.

Faults (`server.faults`, per repository file path): a status code, dropping the
connection after N bytes (once), stalling after N bytes until released, a corrupted
byte, a slow trickle, a redirect, a wrong size, ignoring Range. Every wait is bounded.

Run it alone for benchmarks: `python tests/hub_server.py FILE [FILE...] --repo owner/name`
prints the endpoint URL on the first line and serves until killed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, quote, unquote, urlsplit

_CHUNK = 256 * 1024
_MAX_WAIT_S = 20.0  # no fault holds a connection longer than this
_SHA_CACHE: dict[tuple[str, int, int], str] = {}
_SHA_LOCK = threading.Lock()


def sha256_of(source: Path | bytes) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    st = source.stat()
    key = (str(source), st.st_size, st.st_mtime_ns)
    with _SHA_LOCK:
        if key not in _SHA_CACHE:
            h = hashlib.sha256()
            with source.open("rb") as f:
                while chunk := f.read(8 * 1024 * 1024):
                    h.update(chunk)
            _SHA_CACHE[key] = h.hexdigest()
        return _SHA_CACHE[key]


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class HubFile:
    path: str
    source: Path | bytes
    lfs: bool = True
    listed_size: int | None = None  # what the listing claims, when it should lie

    @property
    def size(self) -> int:
        return len(self.source) if isinstance(self.source, bytes) else self.source.stat().st_size

    @property
    def sha256(self) -> str:
        return sha256_of(self.source)

    def pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {self.size}\n"
        ).encode()

    @property
    def blob_id(self) -> str:
        if self.lfs:
            return git_blob_id(self.pointer())
        assert isinstance(self.source, bytes), "non-LFS files are given as bytes"
        return git_blob_id(self.source)

    def read(self, start: int, end: int) -> bytes:
        if isinstance(self.source, bytes):
            return self.source[start:end]
        with self.source.open("rb") as f:
            f.seek(start)
            return f.read(end - start)


@dataclass
class HubRepo:
    repo_id: str
    files: dict[str, HubFile] = field(default_factory=dict)
    commit: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex[:8])
    downloads: int = 0
    likes: int = 0
    trending: int = 0
    last_modified: str = "2025-01-01T00:00:00.000Z"
    tags: list[str] = field(default_factory=lambda: ["gguf", "text-generation"])
    gguf: dict[str, Any] | None = None

    def add(self, path: str, source: Path | bytes, *, lfs: bool = True) -> HubFile:
        self.files[path] = HubFile(path, source, lfs=lfs)
        return self.files[path]


@dataclass
class Faults:
    status: dict[str, int] = field(default_factory=dict)  # file path -> status on resolve
    repo_status: dict[str, int] = field(default_factory=dict)  # repo id -> status on /api
    drop_after: dict[str, int] = field(default_factory=dict)  # once: close after N bytes
    stall_after: dict[str, int] = field(default_factory=dict)  # hold after N bytes
    corrupt: dict[str, int] = field(default_factory=dict)  # flip the byte at this offset
    slow: dict[str, tuple[int, float]] = field(default_factory=dict)  # bytes per tick, tick
    redirect: dict[str, str] = field(default_factory=dict)  # file path -> Location
    wrong_size: dict[str, int] = field(default_factory=dict)  # claimed size
    ignore_range: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)  # ends stalls
    # A hostile server (tests/faults/test_hub_faults.py). The endless modes end only
    # when the client hangs up or `release` is set (stop() sets it).
    hostile: dict[str, str] = field(default_factory=dict)  # route -> one of HOSTILE_MODES
    patch_listing: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> fields
    extra_search: list[Any] = field(default_factory=list)  # raw items added to a search
    chunked_extra: dict[str, int] = field(default_factory=dict)  # file -> bytes past its end
    tick_s: float = 0.2  # pace of the trickles


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    file: str | None = None  # the repository file whose bytes were asked for

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


class HubServer:
    """The fake hub; use as a context manager (it serves from a daemon thread)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.faults = Faults()
        self.requests: list[Recorded] = []
        self.bytes_sent: Counter[str] = Counter()
        self.blobs_supported = True  # False: a mirror that ignores ?blobs=true
        self.rate: float | None = None  # bytes per second for plain file bodies
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"hub": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def add_repo(self, repo_id: str, **kwargs: Any) -> HubRepo:
        self.repos[repo_id] = HubRepo(repo_id, **kwargs)
        return self.repos[repo_id]

    def start(self) -> HubServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.faults.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def file_requests(self, path: str) -> list[Recorded]:
        """GETs of one file's bytes (resolve or CDN)."""
        with self.lock:
            return [r for r in self.requests if r.method == "GET" and r.file == path]

    def record(self, rec: Recorded, file: str | None) -> None:
        rec.file = file
        with self.lock:
            self.requests.append(rec)


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
_CDN = re.compile(r"^/cdn/(?P<sha>[0-9a-f]{64})$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$")
_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")
_SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "last_modified",
    "trendingScore": "trending",
    "createdAt": "last_modified",
}


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- plumbing ---------------------------------------------------------------------

    def _send_json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, code: str | None = None) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send_json({"error": message}, status, headers)

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        rec = Recorded(self.command, path, query, {k.lower(): v for k, v in self.headers.items()})
        hub = self.hub
        mode = hub.faults.hostile.get(_route_name(path))
        if mode is not None:
            hub.record(rec, None)
            return self._hostile(mode)
        try:
            if path == "/api/models":
                hub.record(rec, None)
                return self._search(query)
            if m := _TREE.match(path):
                hub.record(rec, None)
                return self._tree(m["repo"], m["rev"], m["path"] or "", query)
            if m := _INFO.match(path):
                hub.record(rec, None)
                return self._info(m["repo"], m["rev"], query)
            if m := _RESOLVE.match(path):
                repo = hub.repos.get(m["repo"])
                f = repo.files.get(m["path"]) if repo else None
                hub.record(rec, f.path if f else None)
                return self._resolve(repo, m["rev"], m["path"])
            if m := _CDN.match(path):
                f = self._by_sha(m["sha"])
                hub.record(rec, f.path if f else None)
                if f is None:
                    return self._error(404, "No such object")
                return self._bytes(f)
            hub.record(rec, None)
            self._error(404, "Not found")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _repo(self, repo_id: str) -> HubRepo | None:
        status = self.hub.faults.repo_status.get(repo_id)
        if status:
            self._error(status, f"injected {status}")
            return None
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "Repository not found", "RepoNotFound")
        return repo

    def _by_sha(self, sha: str) -> HubFile | None:
        for repo in self.hub.repos.values():
            for f in repo.files.values():
                if f.lfs and f.sha256 == sha:
                    return f
        return None

    # --- the API ------------------------------------------------------------------------

    def _search(self, query: dict[str, list[str]]) -> None:
        text = (query.get("search") or [""])[0].lower()
        filters = query.get("filter", [])
        repos = [
            r
            for r in self.hub.repos.values()
            if text in r.repo_id.lower() and all(f in r.tags for f in filters)
        ]
        sort = (query.get("sort") or [""])[0]
        if sort in _SORT_KEYS:
            repos.sort(key=lambda r: getattr(r, _SORT_KEYS[sort]), reverse=True)
        limit = int((query.get("limit") or ["1000"])[0])
        expand = query.get("expand")
        items = []
        for r in repos[:limit]:
            item: dict[str, Any] = {
                "_id": r.commit[:24],
                "id": r.repo_id,
                "author": r.repo_id.split("/")[0],
                "downloads": r.downloads,
                "likes": r.likes,
                "lastModified": r.last_modified,
                "trendingScore": r.trending,
                "tags": r.tags,
                "gguf": r.gguf,
                "private": False,
                "createdAt": "2024-06-01T00:00:00.000Z",
            }
            if expand:
                item = {k: v for k, v in item.items() if k in (*expand, "_id", "id")}
            items.append(item)
        self._send_json(items + self.hub.faults.extra_search)

    def _siblings(self, repo: HubRepo, blobs: bool) -> list[dict[str, Any]]:
        out = []
        for f in repo.files.values():
            s: dict[str, Any] = {"rfilename": f.path}
            if blobs:
                size = f.listed_size if f.listed_size is not None else f.size
                s |= {"size": size, "blobId": f.blob_id}
                if f.lfs:
                    pointer = len(f.pointer())
                    s["lfs"] = {"sha256": f.sha256, "size": size, "pointerSize": pointer}
            out.append(s | self.hub.faults.patch_listing.get(f.path, {}))
        return out

    def _info(self, repo_id: str, rev: str | None, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        if rev not in (None, "main", repo.commit):
            return self._error(404, "Invalid rev id", "RevisionNotFound")
        blobs = (query.get("blobs") or ["false"])[0].lower() == "true"
        blobs = blobs and self.hub.blobs_supported
        self._send_json(
            {
                "_id": repo.commit[:24],
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "author": repo.repo_id.split("/")[0],
                "sha": repo.commit,
                "lastModified": repo.last_modified,
                "createdAt": "2024-06-01T00:00:00.000Z",
                "private": False,
                "disabled": False,
                "gated": False,
                "downloads": repo.downloads,
                "likes": repo.likes,
                "tags": repo.tags,
                "library_name": "gguf",
                "siblings": self._siblings(repo, blobs),
                "gguf": repo.gguf,
                "usedStorage": sum(f.size for f in repo.files.values()),
            }
        )

    def _tree(self, repo_id: str, rev: str, folder: str, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        if rev not in ("main", repo.commit):
            return self._error(404, "Invalid rev id", "RevisionNotFound")
        recursive = (query.get("recursive") or ["false"])[0].lower() == "true"
        expand = (query.get("expand") or ["false"])[0].lower() == "true"
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        entries: list[dict[str, Any]] = []
        dirs: set[str] = set()
        for f in repo.files.values():
            if not f.path.startswith(prefix):
                continue
            rest = f.path[len(prefix) :]
            if "/" in rest and not recursive:
                dirs.add(prefix + rest.split("/")[0])
                continue
            size = f.listed_size if f.listed_size is not None else f.size
            e: dict[str, Any] = {"type": "file", "oid": f.blob_id, "size": size, "path": f.path}
            if f.lfs:
                e["lfs"] = {"oid": f.sha256, "size": size, "pointerSize": len(f.pointer())}
            if expand:
                date = repo.last_modified
                e["lastCommit"] = {"id": repo.commit, "title": "Upload", "date": date}
            entries.append(e | self.hub.faults.patch_listing.get(f.path, {}))
        entries += [{"type": "directory", "oid": "0" * 40, "path": d} for d in sorted(dirs)]
        self._send_json(entries)

    # --- files ---------------------------------------------------------------------------

    def _resolve(self, repo: HubRepo | None, rev: str, path: str) -> None:
        faults = self.hub.faults
        if repo is None:
            return self._error(404, "Repository not found", "RepoNotFound")
        if rev not in ("main", repo.commit):
            return self._error(404, "Invalid rev id", "RevisionNotFound")
        f = repo.files.get(path)
        if f is None:
            return self._error(404, "Entry not found", "EntryNotFound")
        if path in faults.status:
            status = faults.status[path]
            code = {401: "GatedRepo", 403: "GatedRepo", 404: "EntryNotFound"}.get(status)
            return self._error(status, f"injected {status}", code)
        size = faults.wrong_size.get(path, f.size)
        common = {"X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes"}
        if path in faults.redirect:
            self.send_response(302)
            self.send_header("Location", faults.redirect[path])
            self.send_header("Content-Length", "0")
            for k, v in common.items():
                self.send_header(k, v)
            self.end_headers()
            return
        if f.lfs:
            self.send_response(302)
            self.send_header("Location", f"/cdn/{f.sha256}")
            self.send_header("X-Linked-Etag", f'"{f.sha256}"')
            self.send_header("X-Linked-Size", str(size))
            self.send_header("ETag", f'"{f.blob_id}"')
            self.send_header("Content-Length", "0")
            for k, v in common.items():
                self.send_header(k, v)
            self.end_headers()
            return
        self._bytes(f, extra={**common, "ETag": f'"{f.blob_id}"'})

    def _bytes(self, f: HubFile, extra: dict[str, str] | None = None) -> None:
        faults = self.hub.faults
        if f.path in faults.chunked_extra:
            return self._chunked(f.read(0, f.size) + b"\0" * faults.chunked_extra[f.path])
        real_size = f.size
        claimed = faults.wrong_size.get(f.path, real_size)
        start, end = 0, real_size  # end exclusive
        ranged = False
        header = self.headers.get("Range")
        if header and f.path not in faults.ignore_range:
            m = re.match(r"^bytes=(\d+)-(\d*)$", header.strip())
            if m is None:
                return self._error(400, "Bad range")
            start = int(m[1])
            end = min(real_size, int(m[2]) + 1) if m[2] else real_size
            if start >= claimed:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{claimed}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ranged = True
        length = max(0, end - start)
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length if claimed == real_size else claimed - start))
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{max(start, end - 1)}/{claimed}")
        self.send_header("ETag", f'"{f.sha256 if f.lfs else f.blob_id}"')
        for k, v in (extra or {}).items():
            if k != "ETag":
                self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        self._send_body(f, start, end)
        if claimed != real_size:
            self.close_connection = True

    def _sendfile(self, src: BinaryIO, offset: int, count: int) -> int:
        """Zero-copy, at `hub.rate` bytes per second when one is set (a real link)."""
        rate = self.hub.rate
        if rate is None:
            return int(self.connection.sendfile(src, offset=offset, count=count))
        sent, began = 0, time.monotonic()
        while sent < count:
            step = min(_CHUNK * 4, count - sent)
            sent += int(self.connection.sendfile(src, offset=offset + sent, count=step))
            ahead = began + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        return sent

    def _send_body(self, f: HubFile, start: int, end: int) -> None:
        faults, hub, path = self.hub.faults, self.hub, f.path
        drop = faults.drop_after.pop(path, None)
        stall = faults.stall_after.get(path)
        corrupt = faults.corrupt.get(path)
        slow = faults.slow.get(path)
        plain = drop is None and stall is None and corrupt is None and slow is None
        if plain and isinstance(f.source, Path):
            with f.source.open("rb") as src:
                sent = self._sendfile(src, start, end - start)
            with hub.lock:
                hub.bytes_sent[path] += sent
            return
        cuts = [c for c in (drop, stall) if c is not None]
        stop_at = min([end, *cuts])
        pos = start
        deadline = time.monotonic() + _MAX_WAIT_S
        step = slow[0] if slow else _CHUNK
        while pos < stop_at:
            chunk = bytearray(f.read(pos, min(stop_at, pos + step)))
            if corrupt is not None and pos <= corrupt < pos + len(chunk):
                chunk[corrupt - pos] ^= 0xFF
            self.wfile.write(chunk)
            with hub.lock:
                hub.bytes_sent[path] += len(chunk)
            pos += len(chunk)
            if slow:
                time.sleep(slow[1])
                if time.monotonic() > deadline:
                    break
        if pos < end:  # dropped, stalled or timed out: hold (stall) then cut the connection
            self.wfile.flush()
            if stall is not None and pos >= stall:
                faults.release.wait(_MAX_WAIT_S)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    # --- a hostile server ------------------------------------------------------------------

    def _chunked(self, body: bytes) -> None:
        """The whole body, chunked (so no Content-Length says how long it is)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(body), _CHUNK):
            piece = body[i : i + _CHUNK]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def _hostile(self, mode: str) -> None:
        """Answer in a way that never ends: headers a byte at a time, a body a byte at
        a time, or an endless body as fast as the client reads it."""
        faults = self.hub.faults
        self.close_connection = True
        with contextlib.suppress(OSError):
            if mode == "trickle-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not faults.release.wait(faults.tick_s):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if mode == "trickle-body":
                self.wfile.write(b"1\r\n[\r\n")
                while not faults.release.wait(faults.tick_s):
                    self.wfile.write(b"1\r\n \r\n")
                    self.wfile.flush()
            elif mode == "endless-body":
                piece = b'{"id": "a/b", "rfilename": "x.gguf", "size": 1},' * 4096
                self.wfile.write(b"1\r\n[\r\n")
                while not faults.release.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                raise ValueError(f"unknown hostile mode {mode!r}")


HOSTILE_MODES = ("trickle-headers", "trickle-body", "endless-body")


def _route_name(path: str) -> str:
    """search, tree, info, resolve, cdn or other: what `Faults.hostile` is keyed by."""
    if path == "/api/models":
        return "search"
    for name, pattern in (("tree", _TREE), ("info", _INFO), ("resolve", _RESOLVE), ("cdn", _CDN)):
        if pattern.match(path):
            return name
    return "other"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repo", default="test/model-GGUF")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-mb-s", type=float, help="serve files at this speed (MB/s)")
    args = parser.parse_args()
    server = HubServer(port=args.port)
    server.rate = args.rate_mb_s * 1e6 if args.rate_mb_s else None
    repo = server.add_repo(args.repo, last_modified=_now())
    for path in args.files:
        repo.add(path.name, path.resolve())
        _ = repo.files[path.name].sha256
    print(server.url, flush=True)
    for path in args.files:
        print(f"{server.url}/{args.repo}/resolve/main/{quote(path.name)}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()


# --- what the tests share -------------------------------------------------------------------

TINY_REPO = "demo/Tiny-GGUF"
STARTER_REPO = "demo/SmolLM2-135M-Instruct-GGUF"
STARTER_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
HOSTILE_NAMES = ("../../x.gguf", "..\\evil.gguf", "/etc/evil.gguf", "sub/../../up.gguf")


def tiny_files(folder: Path) -> dict[str, bytes]:
    """Real GGUF bytes (gguf_factory's tiny LLaMA) under hub-like names."""
    from gguf_factory import write_split_set, write_tiny_llama

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, bytes] = {}
    for name, kwargs in {
        "tiny-Q4_K_M.gguf": {"seed": 1, "name": "Tiny Q4"},
        "tiny-Q8_0.gguf": {"seed": 2, "name": "Tiny Q8"},
        "tiny-F16.gguf": {"seed": 3, "name": "Tiny F16", "f16": True},
        "mmproj-tiny-F16.gguf": {"seed": 4, "f16": True},
    }.items():
        out[name] = write_tiny_llama(folder / name, **kwargs).read_bytes()  # type: ignore[arg-type]
    for p in write_split_set(folder / "split", 2, stem="tiny-split-Q5_K_M"):
        out[f"split/{p.name}"] = p.read_bytes()
    first = write_split_set(folder / "broken", 3, stem="broken-Q6_K")[0]
    out[first.name] = first.read_bytes()
    return out


def add_tiny_repo(server: HubServer, files: dict[str, bytes], repo_id: str = TINY_REPO) -> HubRepo:
    repo = server.add_repo(
        repo_id,
        downloads=500,
        likes=7,
        trending=3,
        last_modified="2025-03-01T10:00:00.000Z",
        gguf={"total": 1_000_000, "architecture": "llama", "context_length": 256},
    )
    for path, data in files.items():
        repo.add(path, data, lfs=path != "tiny-Q8_0.gguf")  # one small file kept in git
    repo.add("README.md", b"# Tiny\n", lfs=False)
    for name in HOSTILE_NAMES:
        repo.add(name, files["tiny-Q4_K_M.gguf"])
    return repo


def add_starter_repo(server: HubServer, starter: Path) -> HubRepo:
    repo = server.add_repo(
        STARTER_REPO,
        downloads=90_000,
        likes=40,
        trending=1,
        last_modified="2024-11-01T10:00:00.000Z",
        gguf={"total": 134_515_008, "architecture": "llama", "context_length": 8192},
    )
    repo.add(STARTER_NAME, starter)
    return repo


@contextlib.contextmanager
def socket_guard() -> Iterator[list[tuple[Any, ...]]]:
    """No outgoing connection (nor DNS lookup) can happen inside; each attempt is
    recorded and fails. Listening servers are not affected."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("socket guard: no network connections in this test")

    saved = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.create_connection,
        socket.getaddrinfo,
    )
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    try:
        yield attempts
    finally:
        (
            socket.socket.connect,  # type: ignore[method-assign]
            socket.socket.connect_ex,  # type: ignore[method-assign]
            socket.create_connection,
            socket.getaddrinfo,
        ) = saved


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
