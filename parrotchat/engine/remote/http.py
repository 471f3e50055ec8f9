"""HTTP to one OpenAI-compatible server: the one module that imports httpx (and httpx-sse).

Everything that can go wrong on the wire becomes a `RemoteError` with the protocol's
error kind and one line that names the server and the reason: refused, unknown host,
TLS (with the CA bundle setting to try), timeouts, 401/403, 404, 429 (and when to
retry), 5xx, answers that are not JSON, and a stream cut mid-reply.

Hand-written on purpose:
- `Abort` ends a request from another thread at once. Closing an httpx response from
  a second thread does not wake a thread blocked reading its socket (close() on a
  socket does not interrupt recv() on Linux), so `Abort` shuts the socket down
  (shutdown(2) does wake it) and the server sees the client leave, which is how
  llama-server, vLLM and llama-cpp-python's server learn to stop generating. The
  socket is known once the answer's headers have come; those servers send them at
  once for a stream, and one that holds them back is bounded by the read timeout
  (and `RemoteEngine.kill` abandons it at once).
- The TLS context is Python's default (the system's trusted CAs, SSL_CERT_FILE)
  plus the server's CA bundle, where httpx alone would use certifi's list and
  ignore the CAs a closed network installs on its machines.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
from httpx_sse import EventSource

from parrotchat.core.errors import EngineError
from parrotchat.core.servers import NO_PROXY, ServerConfig
from parrotchat.engine.protocol import ErrorKind

MAX_JSON_BYTES = 16 * 2**20  # a model list or an error page; anything bigger is not an answer
STATUS_NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
CONTEXT_HINTS = ("context length", "context size", "context window", "maximum context")


class RemoteError(EngineError):
    """A failure talking to a server: one line, with the protocol's error kind."""

    def __init__(self, message: str, kind: ErrorKind, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.retry_after_s = retry_after_s


class Abort:
    """Ends the request it is attached to, at once, from any thread (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.requested = False

    def attach(self, response: httpx.Response) -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._socket = sock if isinstance(sock, socket.socket) else None
            if self.requested:
                self._shutdown()

    def detach(self) -> None:
        with self._lock:
            self._socket = None

    def trigger(self) -> None:
        with self._lock:
            self.requested = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._socket is not None:
            # socket.socket's own shutdown, not SSLSocket's: that one also drops the
            # TLS object under the reading thread's feet.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


def _tls_context(config: ServerConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if config.ca_bundle:
        try:
            context.load_verify_locations(cafile=config.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise RemoteError(
                f"{config.label}: its CA bundle {config.ca_bundle} cannot be used ({exc})",
                "unreachable",
            ) from exc
    return context


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def server_message(body: bytes) -> str:
    """The reason a server gave, from the error shapes servers use, else the body itself."""
    text = body[:4096].decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return _one_line(text)
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message") or error.get("type") or error
        if isinstance(error, list) and error and isinstance(error[0], dict):
            error = error[0].get("msg", error[0])  # FastAPI's validation errors
        if error is not None:
            return _one_line(str(error))
    return _one_line(text)


class HttpSession:
    """One server's HTTP client: keep-alive connections, its TLS, proxy, key and timeouts."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        headers = {"User-Agent": "ParrotChat"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        direct = config.proxy == NO_PROXY
        connect = config.connect_timeout_s
        self._client = httpx.Client(
            base_url=config.base_url,
            headers=headers,
            verify=_tls_context(config),
            proxy=None if direct or not config.proxy else config.proxy,
            trust_env=not direct,  # HTTP(S)_PROXY and NO_PROXY, unless told to go direct
            timeout=httpx.Timeout(config.read_timeout_s, connect=connect, pool=connect),
            follow_redirects=False,  # a redirect is reported: POSTs and keys do not survive one
        )

    def close(self) -> None:
        self._client.close()

    # --- plain requests ---

    def get_json(self, path: str, *, abort: Abort | None = None, missing_ok: bool = False) -> Any:
        return self._json("GET", path, None, abort, missing_ok)

    def post_json(
        self,
        path: str,
        body: dict[str, Any],
        *,
        abort: Abort | None = None,
        missing_ok: bool = False,
    ) -> Any:
        return self._json("POST", path, body, abort, missing_ok)

    def _json(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        abort: Abort | None,
        missing_ok: bool,
    ) -> Any:
        """The answer's JSON; None for a missing endpoint when `missing_ok` (probing)."""
        request = self._client.build_request(method, path, json=body)
        response = self._send(request, abort, missing_ok)
        if response is None:
            return None
        try:
            raw = self._read_bounded(response, path)
        finally:
            response.close()
            if abort is not None:
                abort.detach()
        return self._parse(response, raw, path)

    def _read_bounded(self, response: httpx.Response, path: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_JSON_BYTES:
                    raise RemoteError(
                        f"{self.config.label}: the answer to {path} is larger than "
                        f"{MAX_JSON_BYTES // 2**20} MB; is this an OpenAI-compatible server?",
                        "server_error",
                    )
                chunks.append(chunk)
        except httpx.TransportError as exc:
            raise self.transport_error(exc, mid_answer=True) from exc
        return b"".join(chunks)

    def _parse(self, response: httpx.Response, raw: bytes, path: str) -> Any:
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        try:
            return json.loads(raw)
        except ValueError:
            pass
        shown = content_type or "no content type"
        raise RemoteError(
            f"{self.config.label}: answered {path} with {shown} that is not JSON; is "
            f"{self.config.base_url} an OpenAI-compatible API (not a web page or a proxy's "
            "login page)?",
            "server_error",
        )

    # --- streaming ---

    @contextlib.contextmanager
    def stream(self, path: str, body: dict[str, Any], abort: Abort) -> Iterator[EventStream]:
        """POST `body` and read the answer as server-sent events (or one JSON object)."""
        request = self._client.build_request(
            "POST", path, json=body, headers={"Accept": "text/event-stream"}
        )
        response = self._send(request, abort, missing_ok=False)
        assert response is not None
        try:
            yield EventStream(self, response, path)
        finally:
            abort.detach()
            with contextlib.suppress(httpx.HTTPError, OSError):
                response.close()

    # --- sending and errors ---

    def _send(
        self, request: httpx.Request, abort: Abort | None, missing_ok: bool
    ) -> httpx.Response | None:
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self.transport_error(exc) from exc
        if abort is not None:
            abort.attach(response)
        if response.status_code < 300:
            return response
        try:
            body = response.read()[:65536] if response.status_code >= 400 else b""
        except httpx.TransportError:
            body = b""
        finally:
            response.close()
            if abort is not None:
                abort.detach()
        if missing_ok and response.status_code in (404, 405, 501):
            return None
        raise self.status_error(response, body, request.url.path)

    def status_error(self, response: httpx.Response, body: bytes, path: str) -> RemoteError:
        label = self.config.label
        status = response.status_code
        name = STATUS_NAMES.get(status) or response.reason_phrase or "error"
        said = server_message(body) if body else ""
        code = f"{status} {name}" + (f": {said}" if said else "")
        wait = retry_after(response.headers.get("retry-after"))
        if 300 <= status < 400:
            where = response.headers.get("location", "elsewhere")
            return RemoteError(
                f"{label}: redirects {path} to {where} ({status}); save the server with that "
                "address instead",
                "server_error",
            )
        if status in (401, 403):
            if not self.config.api_key:
                return RemoteError(
                    f"{label}: asks for an API key ({code}); give it with --api-key-env VAR "
                    "(`parrotchat servers add NAME URL --api-key-env VAR`)",
                    "unauthorized",
                )
            return RemoteError(f"{label}: refused the API key ({code})", "unauthorized")
        if status == 429:
            when = f"retry in {wait:.0f} s" if wait is not None else "retry in a moment"
            return RemoteError(f"{label}: is busy ({code}); {when}", "rate_limited", wait)
        if status == 404 and "model" in said.lower():
            return RemoteError(f"{label}: does not know that model ({code})", "load_failed")
        if status == 404:
            return RemoteError(
                f"{label}: has no {path} ({code}); is {self.config.base_url} the address of an "
                "OpenAI-compatible server?",
                "server_error",
            )
        if status in (400, 413, 422) and (
            "context_length_exceeded" in body.decode("utf-8", "replace")
            or "exceed_context_size" in body.decode("utf-8", "replace")
            or any(hint in said.lower() for hint in CONTEXT_HINTS)
        ):
            return RemoteError(f"{label}: the chat does not fit the model ({code})", "context_full")
        if status >= 500:
            later = f"; retry in {wait:.0f} s" if wait is not None else ""
            return RemoteError(f"{label}: failed ({code}){later}", "server_error", wait)
        return RemoteError(f"{label}: rejected the request ({code})", "bad_request")

    def transport_error(self, exc: httpx.TransportError, mid_answer: bool = False) -> RemoteError:
        label = self.config.label
        causes = list(_causes(exc))
        host = httpx.URL(self.config.base_url).host
        port = httpx.URL(self.config.base_url).port
        for cause in causes:
            if isinstance(cause, ssl.SSLCertVerificationError):
                reason = cause.verify_message or cause.reason or str(cause)
                return RemoteError(
                    f"{label}: its TLS certificate is not trusted ({reason}); if your "
                    "organisation runs its own certificate authority, give its CA bundle "
                    "(`parrotchat servers add NAME URL --ca-bundle FILE`)",
                    "unreachable",
                )
            if isinstance(cause, ssl.SSLError):
                hint = (
                    "; the server may speak plain http://"
                    if "WRONG_VERSION_NUMBER" in str(cause) or "RECORD_LAYER" in str(cause)
                    else ""
                )
                reason = cause.reason or str(cause)
                return RemoteError(f"{label}: TLS handshake failed ({reason}){hint}", "unreachable")
            if isinstance(cause, socket.gaierror):
                return RemoteError(
                    f"{label}: unknown host '{host}' (check the address and the network's DNS)",
                    "unreachable",
                )
            if isinstance(cause, ConnectionRefusedError):
                where = f"port {port}" if port else "its port"
                return RemoteError(
                    f"{label}: refused the connection (is the server running, on {where}?)",
                    "unreachable",
                )
        match exc:
            case httpx.ConnectTimeout():
                return RemoteError(
                    f"{label}: did not answer within {self.config.connect_timeout_s:g} s "
                    "(connect timeout; is the address reachable from this network?)",
                    "unreachable",
                )
            case httpx.ReadTimeout():
                return RemoteError(
                    f"{label}: sent nothing for {self.config.read_timeout_s:g} s (read timeout; "
                    "raise it in the server's settings if the model is slow)",
                    "server_error",
                )
            case httpx.ProxyError():
                return RemoteError(
                    f"{label}: the proxy failed ({_one_line(str(exc)) or type(exc).__name__})",
                    "unreachable",
                )
            case httpx.UnsupportedProtocol():
                return RemoteError(f"{label}: {_one_line(str(exc))}", "unreachable")
            case httpx.ConnectError():
                return RemoteError(
                    f"{label}: could not connect ({_one_line(str(exc)) or 'no reason given'})",
                    "unreachable",
                )
        if mid_answer or isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError)):
            return RemoteError(
                f"{label}: the connection was cut mid-answer "
                f"({_one_line(str(exc)) or type(exc).__name__})",
                "server_error",
            )
        return RemoteError(
            f"{label}: {type(exc).__name__} ({_one_line(str(exc)) or 'no reason given'})",
            "unreachable",
        )


class EventStream:
    """The events of one streamed answer, as parsed JSON objects.

    A server that ignores `stream: true` and answers with one JSON object yields that
    object alone; `done` tells whether the stream ended with `data: [DONE]`.
    """

    def __init__(self, session: HttpSession, response: httpx.Response, path: str) -> None:
        self._session = session
        self._response = response
        self._path = path
        self.done = False
        self.content_type = response.headers.get("content-type", "").split(";")[0].strip()

    def __iter__(self) -> Iterator[Any]:
        label = self._session.config.label
        if self.content_type == "application/json":
            raw = self._session._read_bounded(self._response, self._path)
            yield self._session._parse(self._response, raw, self._path)
            self.done = True
            return
        if self.content_type != "text/event-stream":
            shown = self.content_type or "no content type"
            raise RemoteError(
                f"{label}: answered {self._path} with {shown}, not an event stream; is "
                f"{self._session.config.base_url} an OpenAI-compatible server?",
                "server_error",
            )
        try:
            for event in EventSource(self._response).iter_sse():
                data = event.data
                if not data:
                    continue
                if data.strip() == "[DONE]":
                    self.done = True
                    return
                try:
                    yield json.loads(data)
                except ValueError:
                    raise RemoteError(
                        f"{label}: sent an event that is not JSON ({_one_line(data, 80)})",
                        "server_error",
                    ) from None
        except httpx.TransportError as exc:
            raise self._session.transport_error(exc, mid_answer=True) from exc
