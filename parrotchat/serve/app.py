"""The ASGI application: routes, and every failure in OpenAI's error shape.

The only module that imports Starlette. The generation endpoints are plain ASGI
(generation.py) so that they own their request's whole life: reading the body,
the queue, the stream, and the client's disconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parrotchat.core.sampling import SamplingParams
from parrotchat.serve.asgi_types import Receive, Scope, Send
from parrotchat.serve.errors import ApiError
from parrotchat.serve.generation import answer
from parrotchat.serve.guard import AccessPolicy, Guard
from parrotchat.serve.openapi import openapi_document
from parrotchat.serve.request_body import (
    ClientGone,
    GenerationCall,
    chat_call,
    completion_call,
    parse_json,
    read_body,
)
from parrotchat.serve.schema import Limits
from parrotchat.serve.served_model import ServedModel

log = logging.getLogger("parrotchat.serve")

Parse = Callable[[dict[str, Any], Limits, SamplingParams], GenerationCall]


def _error_response(error: ApiError, extra: dict[str, str] | None = None) -> Response:
    return JSONResponse(error.body(), error.status, headers={**error.headers, **(extra or {})})


def _require_json(scope: Scope) -> None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            if value.split(b";", 1)[0].strip().lower() == b"application/json":
                return
            break
    raise ApiError(415, "Send the request body as JSON (Content-Type: application/json)")


class _Generate:
    """POST /v1/chat/completions and /v1/completions."""

    def __init__(self, served: ServedModel, parse: Parse, max_body: int) -> None:
        self.served = served
        self.parse = parse
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _require_json(scope)
        try:
            raw = await read_body(receive, self.max_body)
        except ClientGone:
            return
        call = self.parse(parse_json(raw), self.served.limits, self.served.defaults)
        await answer(call, self.served, receive, send)


class _Embeddings:
    """POST /v1/embeddings: a clear refusal until an embedding model can be loaded."""

    def __init__(self, served: ServedModel, max_body: int) -> None:
        self.served = served
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _require_json(scope)
        try:
            parse_json(await read_body(receive, self.max_body))
        except ClientGone:
            return
        raise ApiError(
            404,
            f"No embedding model is loaded: this server answers with the chat model "
            f"'{self.served.model_id}', which makes no embeddings",
            param="model",
            code="model_not_found",
        )


def build_app(served: ServedModel, policy: AccessPolicy) -> Guard:
    """The whole server: `policy`'s checks around the routes."""
    document = openapi_document(served.limits, policy.api_key is not None)

    async def models(_request: Request) -> Response:
        entry = {
            "id": served.model_id,
            "object": "model",
            "created": served.created,
            "owned_by": "parrotchat",
        }
        return JSONResponse({"object": "list", "data": [entry]})

    async def health(_request: Request) -> Response:
        engine = served.engine
        running = 1 if engine.running is not None else 0
        return JSONResponse({"status": "ok", "running": running, "waiting": engine.waiting})

    async def openapi(_request: Request) -> Response:
        return JSONResponse(document)

    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        elif exc.status_code == 404:
            message = f"No such endpoint: {request.url.path[:200]} (see /openapi.json)"
        else:
            message = str(exc.detail)
        return _error_response(ApiError(exc.status_code, message), dict(exc.headers or {}))

    async def on_bug(_request: Request, exc: Exception) -> Response:
        log.exception("Unexpected error in the API server", exc_info=exc)
        return _error_response(
            ApiError(500, f"Internal error in ParrotChat ({type(exc).__name__})", code="internal")
        )

    limit = policy.max_body_bytes
    app = Starlette(
        routes=[
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/chat/completions", _Generate(served, chat_call, limit), methods=["POST"]),
            Route("/v1/completions", _Generate(served, completion_call, limit), methods=["POST"]),
            Route("/v1/embeddings", _Embeddings(served, limit), methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={
            ApiError: on_api_error,
            HTTPException: on_http_error,
            Exception: on_bug,
        },
    )
    return Guard(app, policy)
