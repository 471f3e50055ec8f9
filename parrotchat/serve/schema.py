"""The request bodies the server takes, as JSON Schema: one source for checks and docs.

`validate.py` checks each body against these schemas and `openapi.py` publishes the
same dicts at /openapi.json, so what the document promises and what the server
accepts cannot drift apart. Limits that depend on the loaded model (its name, the
largest `max_tokens`) are filled in per server.

Fields OpenAI defines that this server cannot honour are listed with the only
values that change nothing (null, false, [], 1) and an `x-refusal` saying why any
other value is refused: a client is never left believing a setting took effect.
Unknown fields are refused by `additionalProperties: false`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from parrotchat.core.sampling import MAX_TOP_K

Schema = dict[str, Any]

MAX_STOP_STRINGS = 4  # OpenAI's limit
MAX_STOP_CHARS = 200
MAX_SEED = 2**32 - 1  # llama.cpp's seed is a 32-bit unsigned number


@dataclass(frozen=True)
class Limits:
    model_id: str
    max_tokens: int  # the largest reply a request may ask for
    default_chat_max_tokens: int  # a chat request that names no max_tokens


def nullable(schema: Schema) -> Schema:
    """Clients send null for "not set" (LangChain, many plugins): treated as absent."""
    types = schema.get("type")
    if types is None:
        return {"anyOf": [schema, {"type": "null"}]}
    listed = [types] if isinstance(types, str) else list(types)
    return {**schema, "type": [*listed, "null"]}


def refused(reason: str, allowed: Schema | None = None) -> Schema:
    """A field only accepted with a value that changes nothing."""
    base = allowed if allowed is not None else {"type": "null"}
    return {**base, "x-refusal": reason}


def _number(low: float, high: float, description: str, *, exclusive_low: bool = False) -> Schema:
    bound = {"exclusiveMinimum": low} if exclusive_low else {"minimum": low}
    return nullable({"type": "number", **bound, "maximum": high, "description": description})


def _stop() -> Schema:
    text: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_STOP_CHARS}
    return nullable(
        {
            "anyOf": [text, {"type": "array", "items": text, "maxItems": MAX_STOP_STRINGS}],
            "description": f"Up to {MAX_STOP_STRINGS} strings; the reply ends before the first.",
        }
    )


# stream_options means something only for a stream: refused otherwise, as OpenAI does.
STREAM_OPTIONS_NEED_STREAM: Schema = {
    "anyOf": [
        {"properties": {"stream_options": {"type": "null"}}},
        {"properties": {"stream": {"const": True}}, "required": ["stream"]},
    ],
    "x-refusal": "only allowed when stream is true",
}


def sampling_properties(limits: Limits) -> dict[str, Schema]:
    """What /v1/chat/completions and /v1/completions share."""
    max_tokens = nullable(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": limits.max_tokens,
            "description": f"Most tokens in the reply (this server allows {limits.max_tokens}).",
        }
    )
    return {
        "model": {
            "type": "string",
            "enum": [limits.model_id],
            "description": "The model's name as GET /v1/models lists it; never a file path.",
        },
        "max_tokens": max_tokens,
        "temperature": _number(0, 2, "0 picks the likeliest token every time."),
        "top_p": _number(0, 1, "Nucleus sampling.", exclusive_low=True),
        "seed": nullable(
            {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_SEED,
                "description": "The same seed and settings give the same reply.",
            }
        ),
        "stop": _stop(),
        "presence_penalty": _number(
            -2, 2, "Mapped onto llama.cpp's presence penalty over the last 64 tokens."
        ),
        "frequency_penalty": _number(
            -2, 2, "Mapped onto llama.cpp's frequency penalty over the last 64 tokens."
        ),
        "stream": nullable({"type": "boolean"}),
        "stream_options": nullable(
            {
                "type": "object",
                "properties": {"include_usage": {"type": "boolean"}},
                "additionalProperties": False,
                "description": "Only with stream: true.",
            }
        ),
        "n": refused("only 1 choice per request is supported", nullable({"const": 1})),
        "user": nullable(
            {
                "type": "string",
                "maxLength": 256,
                "description": "Accepted for compatibility; it changes nothing in the reply.",
            }
        ),
        # llama.cpp's own sampling settings, as its server names them.
        "top_k": nullable({"type": "integer", "minimum": 0, "maximum": MAX_TOP_K}),
        "min_p": _number(0, 1, "llama.cpp's min-p sampling."),
        "repeat_penalty": _number(0.5, 2, "llama.cpp's repeat penalty (1: none)."),
    }


_TEXT_PART: Schema = {
    "type": "object",
    "properties": {
        "type": refused("only text parts are supported (this model reads text)", {"const": "text"}),
        "text": {"type": "string"},
    },
    "required": ["type", "text"],
    "additionalProperties": False,
}

_MESSAGE: Schema = {
    "type": "object",
    "properties": {
        "role": {
            "enum": ["system", "developer", "user", "assistant"],
            "x-refusal": "must be system, developer, user or assistant (tools are not supported)",
        },
        "content": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": _TEXT_PART}],
            "description": "Text, or a list of text parts.",
        },
        # What clients echo back from an earlier reply: accepted while empty.
        "refusal": refused("must be null"),
        "tool_calls": refused(
            "tool calls are not supported", nullable({"type": "array", "maxItems": 0})
        ),
        "function_call": refused("function calls are not supported"),
        "audio": refused("audio is not supported"),
        "annotations": refused(
            "annotations are not supported", nullable({"type": "array", "maxItems": 0})
        ),
        "name": refused("participant names are not supported"),
    },
    "required": ["role", "content"],
    "additionalProperties": False,
}


@functools.cache  # one model per server: built once, read by every request
def chat_schema(limits: Limits) -> Schema:
    props = sampling_properties(limits)
    props["max_tokens"] = {
        **props["max_tokens"],
        "description": (
            f"Most tokens in the reply (default {limits.default_chat_max_tokens}, "
            f"at most {limits.max_tokens})."
        ),
    }
    return {
        "type": "object",
        "properties": {
            **props,
            "messages": {"type": "array", "items": _MESSAGE, "minItems": 1},
            "max_completion_tokens": {
                **props["max_tokens"],
                "description": (
                    "The same as max_tokens (OpenAI's newer name); wins when both are given."
                ),
            },
            "logprobs": refused("log probabilities are not supported", nullable({"const": False})),
            "top_logprobs": refused("log probabilities are not supported"),
            "logit_bias": refused(
                "logit_bias is not supported", nullable({"type": "object", "maxProperties": 0})
            ),
            "response_format": nullable(
                {
                    "type": "object",
                    "properties": {
                        "type": refused(
                            "only 'text' is supported (no JSON mode or schemas)",
                            {"const": "text"},
                        )
                    },
                    "required": ["type"],
                    "additionalProperties": False,
                }
            ),
            "tools": refused("tools are not supported", nullable({"type": "array", "maxItems": 0})),
            "tool_choice": refused("tools are not supported", nullable({"const": "none"})),
            "parallel_tool_calls": refused("tools are not supported"),
            "functions": refused("functions are not supported"),
            "function_call": refused("functions are not supported"),
            "modalities": refused("only text is supported", nullable({"const": ["text"]})),
            "audio": refused("audio is not supported"),
            "prediction": refused("predicted outputs are not supported"),
            "reasoning_effort": refused("reasoning_effort is not supported"),
            "store": refused("this server stores nothing", nullable({"const": False})),
            "metadata": refused("this server stores nothing"),
            "service_tier": refused("service tiers are not supported"),
            "web_search_options": refused("web search is not supported"),
        },
        "required": ["model", "messages"],
        "additionalProperties": False,
        "dependentSchemas": {"stream_options": STREAM_OPTIONS_NEED_STREAM},
    }


@functools.cache
def completion_schema(limits: Limits) -> Schema:
    props = sampling_properties(limits)
    props["max_tokens"] = {
        **props["max_tokens"],
        "description": f"Most tokens in the reply (default 16, at most {limits.max_tokens}).",
    }
    return {
        "type": "object",
        "properties": {
            **props,
            "prompt": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": 1,
                        "maxItems": 1,
                        "x-refusal": "one prompt per request (a list of one string, or a string)",
                    },
                ],
                "description": "The text to continue, as it is (no chat template).",
            },
            "echo": refused("echo is not supported", nullable({"const": False})),
            "best_of": refused("best_of is not supported", nullable({"const": 1})),
            "logprobs": refused("log probabilities are not supported"),
            "logit_bias": refused(
                "logit_bias is not supported", nullable({"type": "object", "maxProperties": 0})
            ),
            "suffix": refused("suffix (fill in the middle) is not supported"),
        },
        "required": ["model", "prompt"],
        "additionalProperties": False,
        "dependentSchemas": {"stream_options": STREAM_OPTIONS_NEED_STREAM},
    }
