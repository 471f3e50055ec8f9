"""The OpenAPI 3.1 document at /openapi.json, built from the schemas the server checks."""

from __future__ import annotations

from typing import Any

from parrotchat import __version__
from parrotchat.serve.embedding_schema import (
    EMBEDDING_RESPONSE,
    NO_EMBEDDING_SCHEMA,
    EmbeddingLimits,
    embedding_schema,
)
from parrotchat.serve.schema import Limits, Schema, chat_schema, completion_schema

_ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}

_USAGE: Schema = {
    "type": "object",
    "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
    "properties": {
        "prompt_tokens": {"type": "integer"},
        "completion_tokens": {"type": "integer"},
        "total_tokens": {"type": "integer"},
    },
}


def _completion_response(obj: str, choice: Schema) -> Schema:
    return {
        "type": "object",
        "required": ["id", "object", "created", "model", "choices", "usage"],
        "properties": {
            "id": {"type": "string"},
            "object": {"const": obj},
            "created": {"type": "integer"},
            "model": {"type": "string"},
            "choices": {"type": "array", "items": choice, "minItems": 1, "maxItems": 1},
            "usage": _USAGE,
        },
    }


_FINISH: Schema = {"enum": ["stop", "length"]}

# One server-sent event of a stream (each chunk, an error, and the closing [DONE]).
_EVENT: Schema = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "string",
            "description": "A chunk as JSON, OpenAI's error object, or [DONE] at the end",
        },
        "event": {"const": "message"},
    },
}

_CHAT_RESPONSE = _completion_response(
    "chat.completion",
    {
        "type": "object",
        "required": ["index", "message", "finish_reason"],
        "properties": {
            "index": {"type": "integer"},
            "message": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {"role": {"const": "assistant"}, "content": {"type": "string"}},
            },
            "finish_reason": _FINISH,
        },
    },
)

_TEXT_RESPONSE = _completion_response(
    "text_completion",
    {
        "type": "object",
        "required": ["index", "text", "finish_reason"],
        "properties": {
            "index": {"type": "integer"},
            "text": {"type": "string"},
            "finish_reason": _FINISH,
        },
    },
)

_MODELS: Schema = {
    "type": "object",
    "required": ["object", "data"],
    "properties": {
        "object": {"const": "list"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "object", "created", "owned_by"],
                "properties": {
                    "id": {"type": "string"},
                    "object": {"const": "model"},
                    "created": {"type": "integer"},
                    "owned_by": {"type": "string"},
                },
            },
        },
    },
}

_QUEUE: dict[str, Schema] = {
    "running": {"type": "integer", "description": "requests the engine is answering (0 or 1)"},
    "waiting": {"type": "integer", "description": "requests queued behind it"},
}

_HEALTH: Schema = {
    "type": "object",
    "required": ["status", "running", "waiting"],
    "properties": {
        "status": {"const": "ok"},
        **_QUEUE,
        "embeddings": {
            "type": "object",
            "required": ["running", "waiting"],
            "properties": _QUEUE,
            "description": "the embedding model's queue, when one is served",
        },
    },
}

_ERROR_MEANINGS = {
    "400": "A field is wrong (the message names it and why), or the prompt does not fit",
    "401": "Missing or wrong API key",
    "403": "A cross-origin request from an origin the settings do not allow",
    "404": "No such model on this server",
    "413": "The request body is too large",
    "415": "The body is not application/json",
    "429": "Too many requests wait for the model; see Retry-After",
    "500": "The engine failed",
    "503": "The engine is not available, or the reply was stopped on the server",
}


def _errors(*codes: str) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {code: {"description": _ERROR_MEANINGS[code], "content": content} for code in codes}


def _generation(summary: str, request: Schema, response: Schema) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": request}},
            },
            "responses": {
                "200": {
                    "description": "The reply; with stream: true, server-sent events ending "
                    "with `data: [DONE]`",
                    "content": {
                        "application/json": {"schema": response},
                        "text/event-stream": {"schema": _EVENT},
                    },
                },
                **_errors("400", "401", "403", "404", "413", "415", "429", "500", "503"),
            },
        }
    }


def _embeddings(limits: EmbeddingLimits | None) -> dict[str, Any]:
    if limits is None:
        return {
            "post": {
                "summary": "Not available: no embedding model is loaded",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": NO_EMBEDDING_SCHEMA}},
                },
                "responses": _errors("400", "401", "403", "404", "413", "415"),
            }
        }
    return {
        "post": {
            "summary": f"Vectors for texts, from the embedding model {limits.model_id}",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": embedding_schema(limits)}},
            },
            "responses": {
                "200": {
                    "description": "One vector per text, in order",
                    "content": {"application/json": {"schema": EMBEDDING_RESPONSE}},
                },
                **_errors("400", "401", "403", "404", "413", "415", "429", "500", "503"),
            },
        }
    }


def openapi_document(
    limits: Limits, needs_key: bool, embedding: EmbeddingLimits | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "ParrotChat API",
            "version": __version__,
            "description": "OpenAI-compatible endpoints over the model ParrotChat has loaded.",
        },
        "paths": {
            "/v1/models": {
                "get": {
                    "summary": "The models this server answers with (chat; embeddings if served)",
                    "responses": {
                        "200": {
                            "description": "The models",
                            "content": {"application/json": {"schema": _MODELS}},
                        },
                        **_errors("401", "403"),
                    },
                }
            },
            "/v1/chat/completions": _generation(
                "A reply to a conversation", chat_schema(limits), _CHAT_RESPONSE
            ),
            "/v1/completions": _generation(
                "A continuation of a raw prompt", completion_schema(limits), _TEXT_RESPONSE
            ),
            "/v1/embeddings": _embeddings(embedding),
            "/health": {
                "get": {
                    "summary": "Whether the server is up, and its queue",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Up",
                            "content": {"application/json": {"schema": _HEALTH}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": {"Error": _ERROR}},
    }
    if needs_key:
        doc["components"]["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"apiKey": []}]
    return doc
