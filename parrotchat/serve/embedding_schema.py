"""POST /v1/embeddings as JSON Schema: the body the server checks, the answer it gives.

Like schema.py for the generation endpoints, one set of dicts drives both the checks
(validate.py) and /openapi.json. The bounds are ours (OpenAI's are 2048 inputs and
300,000 tokens): a request holds the embedding model while it runs, and a CPU reads a
few hundred to a few thousand tokens a second, so a quarter of a million characters
(about 60,000 tokens) is already minutes of work on a small machine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from parrotchat.serve.schema import Schema, nullable, refused

MAX_INPUTS = 2048  # texts per request (OpenAI's limit)
MAX_INPUT_CHARS = 262_144  # characters in all of a request's texts


@dataclass(frozen=True)
class EmbeddingLimits:
    model_id: str
    dimensions: int  # the width of the model's vectors
    n_ctx: int  # the longest text it reads, in tokens


@functools.cache  # one embedding model per server: built once, read by every request
def embedding_schema(limits: EmbeddingLimits) -> Schema:
    text: Schema = {"type": "string", "minLength": 1}
    width = limits.dimensions
    return {
        "type": "object",
        "properties": {
            "model": {
                "type": "string",
                "enum": [limits.model_id],
                "description": "The embedding model's name as GET /v1/models lists it.",
            },
            "input": {
                "anyOf": [
                    text,
                    {"type": "array", "items": text, "minItems": 1, "maxItems": MAX_INPUTS},
                ],
                "description": (
                    f"A text, or a list of up to {MAX_INPUTS} texts ({MAX_INPUT_CHARS} "
                    f"characters in all), each at most {limits.n_ctx} tokens; never cut. "
                    "Token ids are refused: the server tokenizes with the model's own "
                    "tokenizer."
                ),
            },
            "encoding_format": nullable(
                {
                    "enum": ["float", "base64"],
                    "description": "float (the default): lists of numbers; base64: each "
                    "vector's little-endian float32 bytes, base64-encoded.",
                }
            ),
            "dimensions": refused(
                f"this model's vectors have {width} dimensions and cannot be shortened",
                nullable({"const": width}),
            ),
            "user": nullable(
                {
                    "type": "string",
                    "maxLength": 256,
                    "description": "Accepted for compatibility; it changes nothing.",
                }
            ),
        },
        "required": ["model", "input"],
        "additionalProperties": False,
    }


# Without an embedding model the endpoint only refuses (404): any body it can read will do.
NO_EMBEDDING_SCHEMA: Schema = {
    "type": "object",
    "properties": {"model": {"type": "string"}, "input": {}},
    "required": ["model", "input"],
}

EMBEDDING_RESPONSE: Schema = {
    "type": "object",
    "required": ["object", "data", "model", "usage"],
    "properties": {
        "object": {"const": "list"},
        "data": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["object", "index", "embedding"],
                "properties": {
                    "object": {"const": "embedding"},
                    "index": {"type": "integer", "minimum": 0},
                    "embedding": {
                        "anyOf": [
                            {"type": "array", "items": {"type": "number"}, "minItems": 1},
                            {"type": "string", "contentEncoding": "base64"},
                        ]
                    },
                },
            },
        },
        "model": {"type": "string"},
        "usage": {
            "type": "object",
            "required": ["prompt_tokens", "total_tokens"],
            "properties": {
                "prompt_tokens": {"type": "integer", "minimum": 0},
                "total_tokens": {"type": "integer", "minimum": 0},
            },
        },
    },
}
