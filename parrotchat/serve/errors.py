"""Errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.

Every refusal the server makes (bad input, a wrong key, a full queue, a failed
reply, also in the middle of a stream) is an `ApiError`, so that clients written
for OpenAI show our message instead of a parse error.
"""

from __future__ import annotations

import json
from typing import Any

from parrotchat.engine.protocol import Crashed, Failed
from parrotchat.serve.asgi_types import Send

# The `type` OpenAI's clients know, by status.
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
}


class ApiError(Exception):
    """A refusal or failure to send to the client as it is."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": _TYPES.get(self.status, "server_error"),
                "param": self.param,
                "code": self.code,
            }
        }

    def json_bytes(self) -> bytes:
        return json.dumps(self.body(), ensure_ascii=False).encode("utf-8")


def bad_request(param: str, reason: str, code: str = "invalid_value") -> ApiError:
    """A 400 whose message names the field and the reason: "temperature: 3 is above 2"."""
    return ApiError(400, f"{param}: {reason}", param=param, code=code)


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this server's limit of {limit} bytes",
        code="too_large",
    )


def from_engine(event: Failed | Crashed, prompt_param: str = "messages") -> ApiError:
    """What a client sees when the engine could not answer (`prompt_param`: the field
    a too-long input came in, "messages" or "prompt")."""
    match event:
        case Crashed(message=message):
            return ApiError(500, f"The model's engine stopped: {message}", code="engine_crashed")
        case Failed(kind="context_full", message=message):
            return ApiError(400, message, param=prompt_param, code="context_length_exceeded")
        case Failed(kind="cancelled", message=message):
            # Stopped on the server (the window's Stop, a shutdown): nothing the client did.
            return ApiError(
                503, f"The reply was cancelled on the server: {message}", code="cancelled"
            )
        case Failed(kind="template_failed", message=message):
            # The model's template refused these messages (roles out of order, say).
            return ApiError(
                400, f"{prompt_param}: {message}", param=prompt_param, code="invalid_value"
            )
        case Failed(kind="no_chat_template", message=message):
            return ApiError(500, message, code="no_chat_template")
        case Failed(kind="bad_request", message=message):
            return ApiError(400, message, code="invalid_value")
        case Failed(kind="not_loaded", message=message):
            return ApiError(503, message, code="model_not_loaded")
        case Failed(kind=kind, message=message):
            return ApiError(500, message, code=kind)


async def send_error(
    send: Send,
    error: ApiError,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with `error` on a plain ASGI `send`."""
    body = error.json_bytes()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
