"""The door: every request passes the Host, Origin, API key and size checks first.

Plain ASGI around the whole app, so that no route can forget a check:

1. Host must name this server (`config.allowed_hosts`). A web page that makes its
   own domain resolve to 127.0.0.1 (DNS rebinding) sends its own name: refused.
2. A browser's cross-origin request carries Origin; it is refused (403) unless
   that origin is allowed in the settings, in which case the answer carries the
   CORS headers (never "*"). Preflight OPTIONS requests are answered here.
3. With an API key set, every path but /health and /openapi.json needs
   `Authorization: Bearer KEY`, compared in constant time (hmac.compare_digest).
4. A declared body larger than the limit is refused before it is read (413); the
   endpoints count what actually arrives (request_body.read_body).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from parrotchat.serve.asgi_types import ASGIApp, Message, Receive, Scope, Send
from parrotchat.serve.errors import ApiError, send_error, too_large

PUBLIC_PATHS = frozenset({"/health", "/openapi.json"})
_CORS_METHODS = b"GET, POST, OPTIONS"
_CORS_HEADERS = b"authorization, content-type"
_CORS_EXPOSE = b"retry-after, x-parrotchat-queue-wait-ms"


@dataclass(frozen=True)
class AccessPolicy:
    hosts: frozenset[str]  # "name:port", lower case
    origins: frozenset[str]  # "scheme://name[:port]", lower case
    api_key: bytes | None
    max_body_bytes: int

    @classmethod
    def create(
        cls, hosts: frozenset[str], origins: tuple[str, ...], api_key: str | None, max_body: int
    ) -> AccessPolicy:
        key = api_key.encode("utf-8") if api_key else None
        return cls(hosts, frozenset(o.lower().rstrip("/") for o in origins), key, max_body)

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host.lower() in self.hosts

    def same_origin(self, origin: str, host: str) -> bool:
        return origin.lower() == f"http://{host.lower()}"

    def origin_ok(self, origin: str) -> bool:
        return origin.lower().rstrip("/") in self.origins

    def key_ok(self, authorization: str | None) -> bool:
        if self.api_key is None:
            return True
        if authorization is None:
            return False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(token.strip().encode("utf-8"), self.api_key)


def _headers(scope: Scope) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in scope.get("headers", []):
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


def _one(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values and len(values) == 1 else None


class Guard:
    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # none are offered
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan
            return
        headers = _headers(scope)
        host = _one(headers, "host")
        if not self.policy.host_ok(host):
            shown = "no Host header" if host is None else f"Host header '{host[:100]}'"
            await send_error(
                send,
                ApiError(
                    400,
                    f"The {shown} does not name this server; connect by its address "
                    "(more names can be allowed with the serve_host_names setting)",
                    code="invalid_host",
                ),
            )
            return
        assert host is not None
        cors: list[tuple[bytes, bytes]] = []
        origin = _one(headers, "origin")
        if "origin" in headers and not self.policy.same_origin(origin or "", host):
            if origin is None or not self.policy.origin_ok(origin):
                await send_error(
                    send,
                    ApiError(
                        403,
                        f"Cross-origin request from '{(origin or '')[:100]}' refused; a "
                        "web page may only use this server if its origin is allowed in the "
                        "serve_allowed_origins setting",
                        code="origin_not_allowed",
                    ),
                )
                return
            cors = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", _CORS_EXPOSE),
                (b"vary", b"Origin"),
            ]
            if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
                await self._preflight(send, cors)
                return
        if scope["path"] not in PUBLIC_PATHS and not self.policy.key_ok(
            _one(headers, "authorization")
        ):
            error = ApiError(
                401,
                "Missing or wrong API key: send it as 'Authorization: Bearer KEY'",
                code="invalid_api_key",
                headers={"www-authenticate": "Bearer"},
            )
            await send_error(send, error, cors)
            return
        length = _one(headers, "content-length")
        if length is not None and length.isdigit() and int(length) > self.policy.max_body_bytes:
            await send_error(send, too_large(self.policy.max_body_bytes), cors)
            return
        if cors:
            await self.app(scope, receive, _adding(send, cors))
        else:
            await self.app(scope, receive, send)

    async def _preflight(self, send: Send, cors: list[tuple[bytes, bytes]]) -> None:
        headers = [
            *cors,
            (b"access-control-allow-methods", _CORS_METHODS),
            (b"access-control-allow-headers", _CORS_HEADERS),
            (b"access-control-max-age", b"600"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped
