"""The one module that talks to a model hub, and the only one importing huggingface_hub
(and its HTTP backend, httpx2).

`HubClient` searches GGUF repositories (`GET /api/models?filter=gguf`, the request
`HfApi.list_models` sends, made once: list_models retries a dead network for ~23 s),
lists a repository's files (`HfApi.model_info(files_metadata=True)`, falling back to
`list_repo_tree` for mirrors without `?blobs=true`) and opens byte streams for
`downloads.Downloader`. Every method checks the offline switch first, so with it on
nothing is resolved or connected: the call raises `HubOfflineError` at once. Methods
block; the window calls them from a worker thread. Failures become one-line `HubError`s
naming the repository or file and the reason; `HubError.transient` says whether trying
again may help. Nothing here runs at import time.

Network configuration. huggingface_hub 2.x sends everything through one shared
`httpx2.Client` built by a factory (`set_client_factory`), so the proxy is per process:
the first call with a new proxy setting installs a factory for it (open connections
are closed; a running download resumes on its next attempt). The endpoint and token are
per client (`HfApi(endpoint=..., token=...)`). Proxy: the `proxy` setting, else the
system's (`HTTP(S)_PROXY`/`NO_PROXY`, and Windows/macOS proxy settings through
`urllib.request.getproxies`); loopback addresses never go through a proxy.
huggingface_hub passes `timeout=None` (no timeout) on some calls; a request hook fills
in ours (connect 10 s, read 30 s) so a silent server cannot hang a search forever. A
server that trickles instead (a byte now and then, each within the read timeout) is cut
off when a whole minute brings less than 512 bytes a second (`Timeouts.min_rate`),
headers or body, search or download; a search or listing answer is also bounded in
size (64 MB) and time (2 minutes), so an endless one cannot fill the memory.

Downloads: a Range GET of `{endpoint}/{repo}/resolve/{commit}/{path}` through that
session, redirects followed by hand (at most 5) and only where
`HubConfig.may_redirect_to` allows: the endpoint's host and its subdomains, huggingface.co's
own *.hf.co CDN, and hosts a caller lists explicitly; never from https to http. The token
never leaves the endpoint's origin (scheme, host and port).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

import httpcore2
import httpx2
from huggingface_hub import HfApi, get_session, hf_raise_for_status, set_client_factory
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile

# Listed in huggingface_hub.utils.__all__ but re-exported lazily, which mypy cannot see.
from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

from parrotchat import __version__
from parrotchat.core.hub.config import HubConfig, HubError
from parrotchat.core.hub.files import (
    GgufSummary,
    RemoteFile,
    RemoteStream,
    RepoListing,
    RepoSummary,
    check_repo_id,
    check_repo_path,
    group_choices,
)

SortKey = Literal["downloads", "likes", "recent", "trending"]
SORT_KEYS = ("downloads", "likes", "recent", "trending")
# The Hub's own names, as HfApi.list_models sends them; results come best first.
_SORT_PARAMS = {
    "downloads": "downloads",
    "likes": "likes",
    "recent": "lastModified",
    "trending": "trendingScore",
}
_SEARCH_FIELDS: list[Any] = [
    "author",
    "downloads",
    "likes",
    "lastModified",
    "trendingScore",
    "tags",
    "gguf",
]
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_MAX_HOPS = 5
_READ_BYTES = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 30.0
    # Less than min_rate bytes a second over a whole window (while an answer is being
    # read) ends the request: a trickle never trips the read timeout.
    min_rate: float = 512.0
    rate_window: float = 60.0
    # A search or listing answer (JSON, never a download) beyond these is cut off.
    answer_bytes: int = 64 * 2**20
    answer_s: float = 120.0

    def as_httpx(self) -> httpx2.Timeout:
        return httpx2.Timeout(self.read, connect=self.connect, pool=self.connect)


_DOWNLOAD = "parrotchat.download"  # request extension: a file's bytes, not a JSON answer


class _TooSlow(httpcore2.ReadTimeout):
    """A whole window passed with less than the minimum rate (httpx2 reports it as a
    ReadTimeout, so it is transient: a download resumes)."""


class _AnswerTooLarge(httpx2.HTTPError):
    """A search or listing answer past its size or time bound."""


class _RateGuardedStream(httpcore2.NetworkStream):
    """A connection that fails a read once a window has brought too few bytes."""

    def __init__(self, stream: httpcore2.NetworkStream, timeouts: Timeouts) -> None:
        self._stream, self._timeouts = stream, timeouts
        self._since: float | None = None
        self._got = 0

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._since is None:
            self._since, self._got = time.monotonic(), 0
        data = self._stream.read(max_bytes, timeout)
        self._got += len(data)
        elapsed = time.monotonic() - self._since
        window, rate = self._timeouts.rate_window, self._timeouts.min_rate
        if elapsed >= window:
            if self._got < rate * elapsed:
                raise _TooSlow(
                    f"{self._got:,} bytes in {elapsed:.0f} s; the minimum is {rate:g} a second"
                )
            self._since, self._got = time.monotonic(), 0
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._since = None  # a new request: its answer starts a fresh window
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _RateGuardedStream(tls, self._timeouts)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _RateGuardedBackend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend, timeouts: Timeouts) -> None:
        self._inner, self._timeouts = inner, timeouts

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _RateGuardedStream(stream, self._timeouts)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _RateGuardedStream(stream, self._timeouts)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _BoundedAnswer(httpx2.SyncByteStream):
    """The body of a search or listing answer, cut off past its size or time bound."""

    def __init__(self, inner: httpx2.SyncByteStream, timeouts: Timeouts) -> None:
        self._inner, self._timeouts = inner, timeouts

    def __iter__(self) -> Iterator[bytes]:
        limit, deadline = self._timeouts.answer_bytes, time.monotonic() + self._timeouts.answer_s
        got = 0
        for chunk in self._inner:
            got += len(chunk)
            if got > limit:
                raise _AnswerTooLarge(f"its answer is larger than {limit // 2**20} MB")
            if time.monotonic() > deadline:
                raise _AnswerTooLarge(f"its answer took longer than {self._timeouts.answer_s:g} s")
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _guard_client(client: httpx2.Client, timeouts: Timeouts) -> None:
    """Give every connection pool of `client` (the direct one and each proxy's) the
    rate guard. httpx2 builds them itself; their network backend is swapped before any
    connection exists. Skipped for a pool a newer httpcore2 lays out differently."""
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore2.NetworkBackend):
            pool._network_backend = _RateGuardedBackend(backend, timeouts)  # type: ignore[union-attr]


# --- the shared session: one per process, rebuilt when the proxy setting changes --------

_SESSION_LOCK = threading.Lock()
_session_key: tuple[str | None, Timeouts] | None = None


def _system_proxy_mounts() -> dict[str, httpx2.HTTPTransport | None]:
    """Proxies from the OS (Windows registry, macOS settings) when the environment names
    none; httpx2 already reads HTTP(S)_PROXY / NO_PROXY itself."""
    env = {k.lower() for k in os.environ}
    if {"http_proxy", "https_proxy", "all_proxy"} & env:
        return {}
    mounts: dict[str, httpx2.HTTPTransport | None] = {}
    for scheme, url in urllib.request.getproxies().items():
        if scheme in ("http", "https") and url.startswith(("http://", "https://")):
            mounts[f"{scheme}://"] = httpx2.HTTPTransport(proxy=url)
    return mounts


def _widen_reads() -> None:
    """httpcore reads at most 64 KiB per socket read, which makes the Python side the
    bottleneck on a fast link: on loopback (98 MB, 2 cores) bare reads went from 527 to
    761 MB/s with 1 MiB reads, and reads that are also hashed and written from 318 to
    593 MB/s. httpcore2 has no setting for it, so its class constant is raised when the
    hub session is first built (only huggingface_hub uses httpx2 in ParrotChat).
    Skipped if a newer httpcore2 moves it."""
    try:
        from httpcore2._sync.http11 import HTTP11Connection
    except ImportError:
        return
    if isinstance(getattr(HTTP11Connection, "READ_NUM_BYTES", None), int):
        HTTP11Connection.READ_NUM_BYTES = max(HTTP11Connection.READ_NUM_BYTES, _READ_BYTES)


def _make_client(proxy: str | None, timeouts: Timeouts) -> httpx2.Client:
    _widen_reads()
    default_timeout = timeouts.as_httpx().as_dict()

    def fill_timeouts(request: httpx2.Request) -> None:
        current = request.extensions.get("timeout") or {}
        if current.get("read") is None or current.get("connect") is None:
            request.extensions = {**request.extensions, "timeout": default_timeout}

    def bound_answer(response: httpx2.Response) -> None:
        # Called before the body is read: a JSON answer is read through the bound.
        download = response.request.extensions.get(_DOWNLOAD)
        if not download and isinstance(response.stream, httpx2.SyncByteStream):
            response.stream = _BoundedAnswer(response.stream, timeouts)

    mounts = {} if proxy else _system_proxy_mounts()
    mounts.update({f"all://{host}": None for host in _LOOPBACK})
    client = httpx2.Client(
        proxy=proxy,
        mounts=mounts,
        trust_env=True,
        follow_redirects=True,
        timeout=timeouts.as_httpx(),
        event_hooks={"request": [fill_timeouts], "response": [bound_answer]},
    )
    _guard_client(client, timeouts)
    return client


def _session(config: HubConfig, timeouts: Timeouts) -> httpx2.Client:
    global _session_key
    config.require_online()
    key = (config.proxy, timeouts)
    with _SESSION_LOCK:
        if _session_key != key:
            set_client_factory(lambda: _make_client(config.proxy, timeouts))
            _session_key = key
        try:
            return get_session()
        except Exception as exc:  # a proxy address httpx cannot use
            _session_key = None
            where = f"the proxy '{config.proxy}'" if config.proxy else "the system proxy"
            raise HubError(f"Cannot use {where}: {exc} (Settings → Network)") from None


# --- errors: one line, naming the thing ---------------------------------------------------


def _status_reason(status: int, endpoint: str) -> tuple[str, bool]:
    if status == 404:
        return f"not found on {endpoint} (404)", False
    if status in (401, 403):
        return (
            f"access denied ({status}): the repository is private or gated, or the token "
            "is wrong; set a Hub token in Settings → Network",
            False,
        )
    if status == 416:
        return "the server refused the byte range (416)", True
    if status == 429:
        return "the server is rate-limiting requests (429); try again later", True
    if status >= 500:
        return f"the server answered {status} (a server error)", status in _TRANSIENT_STATUS
    return f"the server answered {status}", status in _TRANSIENT_STATUS


def _network_reason(exc: Exception, endpoint: str, proxy: str | None = None) -> str:
    host = urlsplit(endpoint).netloc
    if isinstance(exc.__cause__, _TooSlow):
        return f"{host} is sending too slowly ({exc.__cause__})"
    if isinstance(exc, _AnswerTooLarge):
        return f"{host} sent too much: {exc}"
    if proxy and isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout)):
        return f"cannot reach {host} through the proxy {proxy} ({exc}); check Settings → Network"
    if isinstance(exc, httpx2.ProxyError):
        return f"the proxy refused the connection to {host} ({exc}); check Settings → Network"
    if isinstance(exc, httpx2.ConnectTimeout):
        return f"timed out connecting to {host}"
    if isinstance(exc, httpx2.TimeoutException):
        return f"{host} stopped answering (timed out)"
    if isinstance(exc, httpx2.ConnectError):
        return f"cannot connect to {host} ({exc or 'connection failed'})"
    if isinstance(exc, httpx2.RemoteProtocolError):
        return f"the connection to {host} dropped"
    return f"network error talking to {host} ({exc})"


def _hub_error(subject: str, exc: Exception, config: HubConfig, url: str | None = None) -> HubError:
    """One line for `exc`; `url`: where the failing request went (after redirects)."""
    endpoint = config.endpoint
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, GatedRepoError):
        return HubError(f"{subject}: gated; accept its conditions on the hub and set a token")
    if isinstance(exc, RevisionNotFoundError):
        return HubError(f"{subject}: revision not found on {endpoint}")
    if isinstance(exc, RemoteEntryNotFoundError):
        return HubError(f"{subject}: file not found on {endpoint}")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if isinstance(exc, RepositoryNotFoundError) and status not in (401, 403):
            status = 404
        reason, transient = _status_reason(status, endpoint)
        return HubError(f"{subject}: {reason}", transient=transient)
    if isinstance(exc, OfflineModeIsEnabled):
        return HubError(f"{subject}: huggingface_hub is in offline mode (HF_HUB_OFFLINE)")
    if isinstance(exc, httpx2.HTTPError):
        reason = _network_reason(exc, url or endpoint, config.proxy)
        unreachable = isinstance(exc, (httpx2.ConnectError, httpx2.TimeoutException))
        return HubError(f"{subject}: {reason}", transient=True, network=unreachable)
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):  # a malformed answer
        return HubError(f"{subject}: unexpected answer from {endpoint} ({exc!r})")
    raise exc


# --- downloads: a byte stream ------------------------------------------------------------


def _abort_response(response: httpx2.Response) -> Callable[[], None]:
    def abort() -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # the plain socket call wakes a blocked recv()
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    return abort


def _content_range(value: str | None) -> tuple[int, int | None] | None:
    match = re.match(r"^\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*$", value or "")
    if match is None:
        return None
    return int(match[1]), None if match[2] == "*" else int(match[2])


def _etag(value: str | None) -> str | None:
    return value.removeprefix("W/").strip('"') if value else None


# --- the client ---------------------------------------------------------------------------


class HubClient:
    """Search, list and open files on one hub. Thread-safe; every call blocks."""

    def __init__(self, config: HubConfig, timeouts: Timeouts | None = None) -> None:
        self._config = config
        self.timeouts = timeouts or Timeouts()

    @property
    def config(self) -> HubConfig:
        return self._config

    def reconfigure(self, config: HubConfig) -> None:
        """New settings (endpoint, token, proxy, offline) for the calls that follow."""
        self._config = config

    def _api(self) -> HfApi:
        config = self._config
        _session(config, self.timeouts)
        return HfApi(
            endpoint=config.endpoint,
            token=self._token(config),
            library_name="parrotchat",
            library_version=__version__,
        )

    def _headers(self, config: HubConfig) -> dict[str, str]:
        return dict(
            build_hf_headers(
                token=self._token(config), library_name="parrotchat", library_version=__version__
            )
        )

    @staticmethod
    def _token(config: HubConfig) -> str | bool | None:
        if config.token:
            return config.token
        return None if config.is_official else False  # never send a saved login to a mirror

    # --- search and listing ---------------------------------------------------------

    def search(
        self, text: str, *, sort: SortKey = "downloads", limit: int = 20
    ) -> list[RepoSummary]:
        """GGUF repositories whose id contains `text`, best first by `sort`."""
        self._config.require_online()
        if sort not in SORT_KEYS:
            raise HubError(f"Unknown sort order '{sort}' (use {', '.join(SORT_KEYS)})")
        if not 1 <= limit <= 1000:
            raise HubError(f"The search limit must be between 1 and 1000, not {limit}")
        config = self._config
        session = _session(config, self.timeouts)
        params: dict[str, Any] = {
            "filter": "gguf",
            "sort": _SORT_PARAMS[sort],
            "limit": limit,
            "expand": _SEARCH_FIELDS,
        }
        if text.strip():
            params["search"] = text.strip()
        subject = f"Searching {config.endpoint} for '{text}'"
        try:
            # What HfApi.list_models sends, once (it retries for ~23 s: see the docstring).
            response = session.get(
                f"{config.endpoint}/api/models",
                params=params,
                headers=self._headers(config),
                timeout=self.timeouts.as_httpx(),
            )
            hf_raise_for_status(response)
            items = response.json()
            if not isinstance(items, list):
                raise TypeError(f"expected a list of models, got {type(items).__name__}")
            found = (_summary(item) for item in items[:limit] if isinstance(item, dict))
            return [r for r in found if r is not None]
        except Exception as exc:  # every failure becomes one line
            raise _hub_error(subject, exc, config) from None

    def list_files(self, repo_id: str, revision: str | None = None) -> RepoListing:
        """The GGUF choices of a repository, with sizes and SHA-256, at one commit."""
        self._config.require_online()
        check_repo_id(repo_id)
        api = self._api()
        try:
            info = api.model_info(
                repo_id, revision=revision, files_metadata=True, timeout=self.timeouts.read
            )
            commit = info.sha or revision or "main"
            files = [_sibling(s.rfilename, s.size, s.lfs, s.blob_id) for s in info.siblings or []]
            ggufs = [f for f in files if _is_gguf(f)]
            if any(f.size < 0 or (f.sha256 is None and f.blob_id is None) for f in ggufs):
                # A mirror that ignores ?blobs=true: the tree listing has sizes and LFS ids.
                tree = api.list_repo_tree(repo_id, recursive=True, revision=commit)
                files = [
                    _sibling(t.path, t.size, t.lfs, t.blob_id)
                    for t in tree
                    if isinstance(t, RepoFile)
                ]
        except Exception as exc:
            raise _hub_error(repo_id, exc, self._config) from None
        unnamed = [f"a file without a proper name ({f.path!r})" for f in files if not _named(f)]
        choices, problems = group_choices([f for f in files if _named(f)])
        problems = [*unnamed, *problems]
        return RepoListing(repo_id, commit, tuple(choices), tuple(problems), _gguf(info.gguf))

    # --- downloads ------------------------------------------------------------------

    def file_url(self, repo_id: str, revision: str, path: str) -> str:
        check_repo_id(repo_id)
        check_repo_path(path)
        rev = quote(revision, safe="")
        return f"{self._config.endpoint}/{repo_id}/resolve/{rev}/{quote(path)}"

    @contextmanager
    def open_file(
        self, repo_id: str, revision: str, path: str, *, start: int = 0
    ) -> Iterator[RemoteStream]:
        """GET the file from byte `start` on. Redirects are followed only to allowed
        hosts, without the token once off the endpoint's host."""
        config = self._config
        subject = f"{repo_id}: {path}"
        url = self.file_url(repo_id, revision, path)
        origin = _origin(url)
        session = _session(config, self.timeouts)
        headers = self._headers(config)
        headers["Accept-Encoding"] = "identity"
        if start > 0:
            headers["Range"] = f"bytes={start}-"
        etag = commit = None
        linked_size: int | None = None
        response: httpx2.Response | None = None
        try:
            for _hop in range(_MAX_HOPS + 1):
                request = session.build_request(
                    "GET",
                    url,
                    headers=headers,
                    timeout=self.timeouts.as_httpx(),
                    extensions={_DOWNLOAD: True},
                )
                response = session.send(request, stream=True, follow_redirects=False)
                etag = etag or _etag(response.headers.get("X-Linked-Etag"))
                commit = commit or response.headers.get("X-Repo-Commit")
                if linked_size is None and response.headers.get("X-Linked-Size", "").isdigit():
                    linked_size = int(response.headers["X-Linked-Size"])
                if not response.has_redirect_location:
                    break
                target = urljoin(url, response.headers["Location"])
                response.close()
                response = None
                url = self._check_redirect(subject, url, target)
                if _origin(url) != origin:  # another port on the same host is another server
                    headers.pop("authorization", None)
                    headers.pop("Authorization", None)
            else:
                raise HubError(f"{subject}: too many redirects (more than {_MAX_HOPS})")
            assert response is not None
            if response.status_code >= 400:
                reason, transient = _status_reason(response.status_code, config.endpoint)
                raise HubError(f"{subject}: {reason}", transient=transient)
            stream = self._stream(subject, response, url, start, etag, commit, linked_size)
        except Exception as exc:
            if response is not None:
                response.close()
            raise _hub_error(subject, exc, config, url) from None
        try:
            yield stream
        finally:
            response.close()

    def _check_redirect(self, subject: str, url: str, target: str) -> str:
        parts = urlsplit(target)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https"):
            raise HubError(f"{subject}: refused a redirect to a non-HTTP address")
        if urlsplit(url).scheme == "https" and parts.scheme != "https":
            raise HubError(f"{subject}: refused a redirect from https to plain http ({host})")
        if not self._config.may_redirect_to(host):
            raise HubError(
                f"{subject}: refused a redirect to another host ({host}); downloads only "
                f"follow redirects within {self._config.host} and its subdomains"
            )
        return target

    def _stream(
        self,
        subject: str,
        response: httpx2.Response,
        url: str,
        start: int,
        etag: str | None,
        commit: str | None,
        linked_size: int | None,
    ) -> RemoteStream:
        encoding = response.headers.get("Content-Encoding", "identity").lower()
        if encoding not in ("", "identity"):
            raise HubError(f"{subject}: the server compressed the file ({encoding})")
        length = response.headers.get("Content-Length")
        if response.status_code == 206:
            span = _content_range(response.headers.get("Content-Range"))
            if span is None or span[0] != start:
                raise HubError(f"{subject}: the server sent the wrong byte range", transient=True)
            offset, total = span
        else:
            offset = 0
            total = int(length) if length and length.isdigit() else None
        etag = etag or _etag(response.headers.get("ETag"))
        config = self._config
        host = urlsplit(url).netloc

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_raw()
            except httpx2.HTTPError as exc:
                raise HubError(
                    f"{subject}: {_network_reason(exc, url, config.proxy)}",
                    transient=True,
                ) from None
            except OSError as exc:
                raise HubError(f"{subject}: the connection to {host} broke ({exc})", True) from None

        return RemoteStream(
            url=url,
            offset=offset,
            total=total if total is not None else linked_size,
            etag=etag,
            commit=commit,
            chunks=chunks(),
            abort=_abort_response(response),
        )


# --- from huggingface_hub's records to ours ----------------------------------------------


def _sibling(path: str, size: Any, lfs: Any, blob_id: Any) -> RemoteFile:
    """One file of a listing; a size or checksum of the wrong type counts as missing."""
    sha = None
    if isinstance(lfs, dict):
        sha = str(lfs.get("sha256") or "").lower() or None
        size = lfs.get("size", size)
    if sha is not None and not _SHA256.match(sha):
        sha = None
    return RemoteFile(
        path=path,
        size=size if _int_or_none(size) is not None else -1,
        sha256=sha,
        blob_id=blob_id if isinstance(blob_id, str) else None,
    )


def _gguf(data: Any) -> GgufSummary:
    if not isinstance(data, dict):
        return GgufSummary()

    def positive(key: str) -> int | None:
        value = data.get(key)
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return value if ok else None

    arch = data.get("architecture")
    arch = arch if isinstance(arch, str) else None
    return GgufSummary(positive("total"), arch, positive("context_length"))


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _named(f: RemoteFile) -> bool:
    return isinstance(f.path, str)  # a hostile listing may give a number, or null


def _is_gguf(f: RemoteFile) -> bool:
    return _named(f) and f.path.lower().endswith(".gguf")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _summary(item: dict[str, Any]) -> RepoSummary | None:
    """One entry of GET /api/models (the fields HfApi.list_models reads); None for one
    whose id no hub would give (it would be printed as is: escape codes included)."""
    repo_id = item.get("id") or item.get("modelId")
    if not isinstance(repo_id, str):
        return None
    try:
        check_repo_id(repo_id)
    except HubError:
        return None
    tags = item.get("tags")
    trending = item.get("trendingScore")
    author = item.get("author")
    return RepoSummary(
        repo_id=repo_id,
        author=author if isinstance(author, str) else None,
        downloads=_int_or_none(item.get("downloads")),
        likes=_int_or_none(item.get("likes")),
        last_modified=_date(item.get("lastModified")),
        trending_score=float(trending) if isinstance(trending, (int, float)) else None,
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        gguf=_gguf(item.get("gguf")),
    )
