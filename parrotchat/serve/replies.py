"""The JSON OpenAI's clients expect back: whole replies, stream chunks, usage.

A streamed token costs one small string join: the parts of a chunk that never
change within a reply are encoded once, when the reply starts.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Literal

from parrotchat.serve.errors import ApiError

DONE = b"data: [DONE]\n\n"

# How the engine's stop reasons read in OpenAI's terms. "cancelled" is not here: a
# client that left gets nothing, and a reply stopped on the server is an error.
FINISH_REASONS = {
    "finished": "stop",
    "stop_string": "stop",
    "length": "length",
    "context_full": "length",
}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def usage(stats: dict[str, Any]) -> dict[str, Any]:
    prompt = int(stats.get("prompt_tokens", 0))
    reply = int(stats.get("reply_tokens", 0))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": reply,
        "total_tokens": prompt + reply,
        # Tokens read from the KV cache of an earlier turn rather than processed again.
        "prompt_tokens_details": {"cached_tokens": int(stats.get("cached_tokens", 0))},
    }


class ReplyShape:
    """One reply's id, timestamps and framing, for either endpoint."""

    def __init__(
        self, kind: Literal["chat", "completion"], model: str, include_usage: bool
    ) -> None:
        self.kind = kind
        self.model = model
        self.include_usage = include_usage
        self.id = ("chatcmpl-" if kind == "chat" else "cmpl-") + secrets.token_hex(12)
        self.created = int(time.time())
        obj = "chat.completion.chunk" if kind == "chat" else "text_completion"
        head = f'data: {{"id":"{self.id}","object":"{obj}","created":{self.created},'
        head += f'"model":{_dumps(model)},"choices":[{{"index":0,'
        head += '"delta":{"content":' if kind == "chat" else '"text":'
        tail = "}" if kind == "chat" else ""
        tail += ',"logprobs":null,"finish_reason":null}]'
        # OpenAI sends "usage": null on every chunk but the last when usage was asked for.
        tail += ',"usage":null}\n\n' if include_usage else "}\n\n"
        self._head, self._tail = head, tail

    def token_chunk(self, text: str) -> bytes:
        return (self._head + _dumps(text) + self._tail).encode("utf-8")

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        obj = "chat.completion.chunk" if self.kind == "chat" else "text_completion"
        data: dict[str, Any] = {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        if self.include_usage:
            data["usage"] = None
        data.update(extra)
        return f"data: {_dumps(data)}\n\n".encode()

    def first_chunk(self) -> bytes:
        """Chat streams open with the assistant's role, as OpenAI's do."""
        if self.kind != "chat":
            return b""
        delta = {"role": "assistant", "content": ""}
        return self._chunk([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}])

    def final_chunks(self, finish_reason: str, stats: dict[str, Any]) -> bytes:
        choice: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": finish_reason}
        if self.kind == "chat":
            choice["delta"] = {}
        else:
            choice["text"] = ""
        out = self._chunk([choice])
        if self.include_usage:
            out += self._chunk([], usage=usage(stats))
        return out + DONE

    def error_chunk(self, error: ApiError) -> bytes:
        """A failure after the stream began: OpenAI's error object as an event, then [DONE]."""
        return f"data: {_dumps(error.body())}\n\n".encode() + DONE

    def whole(self, text: str, finish_reason: str, stats: dict[str, Any]) -> dict[str, Any]:
        if self.kind == "chat":
            choice: dict[str, Any] = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}
            obj = "text_completion"
        return {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.model,
            "choices": [choice],
            "usage": usage(stats),
        }
