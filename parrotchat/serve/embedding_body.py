"""A checked POST /v1/embeddings body, as an engine command.

- `input`: a text or a list of texts, embedded as they are (no prefix is added, unlike
  the documents feature: API clients add their model's own); token ids are refused,
  as this server tokenizes with the model's tokenizer and cannot tell whose ids they are;
- a text longer than the model reads at once is refused by its place (input[3]), never
  cut: the engine is asked to refuse rather than shorten;
- `encoding_format` "base64": each vector's little-endian float32 bytes, as OpenAI's
  Python client asks for by default;
- `dimensions` only where it changes nothing (the model's own width); `user` changes
  nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parrotchat.engine.protocol import EmbedRequest
from parrotchat.serve.embedding_schema import MAX_INPUT_CHARS, EmbeddingLimits, embedding_schema
from parrotchat.serve.errors import bad_request
from parrotchat.serve.request_body import check_model, refuse_other_model
from parrotchat.serve.validate import validate


@dataclass(frozen=True)
class EmbeddingCall:
    command: EmbedRequest
    listed: bool  # input came as a list: a text is named by its place, input[i]
    base64: bool

    def param(self, item: int | None) -> str:
        """The field a problem with the text at `item` is about."""
        return f"input[{item}]" if self.listed and item is not None else "input"


def embedding_call(
    body: dict[str, Any], limits: EmbeddingLimits, chat_model_id: str | None = None
) -> EmbeddingCall:
    if chat_model_id is not None:
        refuse_other_model(
            body,
            chat_model_id,
            f"answers chats; embeddings come from '{limits.model_id}' (GET /v1/models lists both)",
        )
    check_model(body, limits.model_id)
    if _token_ids(body.get("input")):
        raise bad_request(
            "input",
            "token ids are not taken; send the text (a string or a list of strings), "
            "which the server tokenizes with the model's own tokenizer",
        )
    validate(body, embedding_schema(limits))
    given = body["input"]
    texts: list[str] = [given] if isinstance(given, str) else list(given)
    total = sum(len(t) for t in texts)
    if total > MAX_INPUT_CHARS:
        raise bad_request(
            "input",
            f"{total} characters in all, more than {MAX_INPUT_CHARS} per request; "
            "send fewer texts at a time",
        )
    return EmbeddingCall(
        command=EmbedRequest(texts, too_long="refuse"),
        listed=not isinstance(given, str),
        base64=body.get("encoding_format") == "base64",
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _token_ids(value: Any) -> bool:
    """[1, 2, 3] or [[1, 2], [3]]: what clients that count with tiktoken send."""
    if not isinstance(value, list) or not value:
        return False
    if all(_is_int(v) for v in value):
        return True
    return all(isinstance(v, list) and v and all(_is_int(x) for x in v) for v in value)
