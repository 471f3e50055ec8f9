"""The ASGI application: routes, and every failure in OpenAI's error shape.

The only module that imports Starlette. The generation and embeddings endpoints are
plain ASGI (generation.py, embeddings.py) so that they own their request's whole
life: reading the body, the queue, the answer, and the client's disconnect.
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
from parrotchat.engine.shared import Job
from parrotchat.serve.asgi_types import Receive, Scope, Send
from parrotchat.serve.embedding_body import embedding_call
from parrotchat.serve.embeddings import answer_embeddings
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
    refuse_other_model,
)
from parrotchat.serve.schema import Limits
from parrotchat.serve.served_model import ServedEmbedder, ServedModel

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

    def __init__(
        self, served: ServedModel, parse: Parse, max_body: int, embedder: ServedEmbedder | None
    ) -> None:
        self.served = served
        self.parse = parse
        self.max_body = max_body
        self.embedder = embedder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _require_json(scope)
        try:
            raw = await read_body(receive, self.max_body)
        except ClientGone:
            return
        body = parse_json(raw)
        if self.embedder is not None:
            refuse_other_model(
                body,
                self.embedder.model_id,
                f"makes embeddings only (POST /v1/embeddings); '{self.served.model_id}' "
                "answers here",
            )
        call = self.parse(body, self.served.limits, self.served.defaults)
        await answer(call, self.served, receive, send)


class _Embeddings:
    """POST /v1/embeddings: with the embedding model, or a clear 404 without one."""

    def __init__(self, served: ServedModel, embedder: ServedEmbedder | None, max_body: int) -> None:
        self.served = served
        self.embedder = embedder
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _require_json(scope)
        try:
            body = parse_json(await read_body(receive, self.max_body))
        except ClientGone:
            return
        if self.embedder is None:
            raise ApiError(
                404,
                f"No embedding model is loaded: this server answers with the chat model "
                f"'{self.served.model_id}', which makes no embeddings (start it with "
                "--embedding-model)",
                param="model",
                code="model_not_found",
            )
        call = embedding_call(body, self.embedder.limits, self.served.model_id)
        await answer_embeddings(call, self.embedder, receive, send)


def _queue(running: Job | None, waiting: int) -> dict[str, int]:
    return {"running": 1 if running is not None else 0, "waiting": waiting}


def build_app(
    served: ServedModel, policy: AccessPolicy, embedder: ServedEmbedder | None = None
) -> Guard:
    """The whole server: `policy`'s checks around the routes; `embedder`, when given,
    answers /v1/embeddings."""
    document = openapi_document(
        served.limits, policy.api_key is not None, embedder.limits if embedder else None
    )
    listed = [(served.model_id, served.created)]
    if embedder is not None:
        listed.append((embedder.model_id, embedder.created))
    model_list = {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "parrotchat"}
            for name, created in listed
        ],
    }

    async def models(_request: Request) -> Response:
        return JSONResponse(model_list)

    async def health(_request: Request) -> Response:
        engine = served.engine
        status: dict[str, Any] = {"status": "ok", **_queue(engine.running, engine.waiting)}
        if embedder is not None:
            status["embeddings"] = _queue(embedder.engine.running, embedder.engine.waiting)
        return JSONResponse(status)

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
    chat = _Generate(served, chat_call, limit, embedder)
    completion = _Generate(served, completion_call, limit, embedder)
    app = Starlette(
        routes=[
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completion, methods=["POST"]),
            Route("/v1/embeddings", _Embeddings(served, embedder, limit), methods=["POST"]),
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
