"""From request bytes to an engine command: read (bounded), parse, check, map.

Each step refuses with a 4xx that names the field and the reason. What the API's
fields become in the engine's terms is decided here, in one place:

- `max_tokens` / `max_completion_tokens` (the newer name wins when both are given),
  `temperature`, `top_p`, `seed`, `stop`,
  `top_k`, `min_p`, `repeat_penalty`: taken as they are;
- `presence_penalty`, `frequency_penalty`: llama.cpp's penalties of the same names,
  which look at the last 64 tokens (OpenAI's look at the whole reply);
- fields not given: the user's settings (temperature 0.7 and so on), except
  `max_tokens` of /v1/completions, which defaults to 16 as in OpenAI's API;
- role "developer" is a system message; text parts of one message are joined by a
  newline;
- a chat that does not fit the context is refused (400 context_length_exceeded),
  never cut short silently as the window may do for its own chats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from parrotchat.core.errors import ParrotError
from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.protocol import ChatRequest, CompleteRequest
from parrotchat.serve.asgi_types import Receive
from parrotchat.serve.errors import ApiError, bad_request, too_large
from parrotchat.serve.schema import Limits, chat_schema, completion_schema
from parrotchat.serve.validate import validate

COMPLETION_DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /v1/completions


class ClientGone(Exception):
    """The client closed the connection before its request was read."""


@dataclass(frozen=True)
class GenerationCall:
    kind: Literal["chat", "completion"]
    command: ChatRequest | CompleteRequest
    stream: bool
    include_usage: bool

    @property
    def prompt_param(self) -> str:
        return "messages" if self.kind == "chat" else "prompt"


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"The request body is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise ApiError(400, "The request body is empty; send a JSON object")
    try:
        body = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            f"The request body is not valid JSON ({exc.msg} at line {exc.lineno} "
            f"column {exc.colno})",
        ) from None
    except ValueError as exc:  # NaN, Infinity
        raise ApiError(400, f"The request body is not valid JSON ({exc})") from None
    except RecursionError:
        raise ApiError(400, "The request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def check_model(body: dict[str, Any], model_id: str) -> None:
    """Clients name models; a path or another model's name is refused before anything else."""
    name = body.get("model")
    if not isinstance(name, str):
        return  # missing or not text: the schema says so
    if any(c in name for c in "/\\") or name.lower().endswith(".gguf") or name.startswith("~"):
        raise bad_request(
            "model",
            f"name a model as GET /v1/models lists it ('{model_id}'), not a file path",
            "model_not_found",
        )
    if name.casefold() != model_id.casefold():
        raise ApiError(
            404,
            f"model: there is no model '{name[:100]}' on this server; it serves '{model_id}'",
            param="model",
            code="model_not_found",
        )
    body["model"] = model_id


def refuse_other_model(body: dict[str, Any], other_id: str, reason: str) -> None:
    """A model this server has, named at an endpoint that does not answer with it (the
    embedding model at /v1/chat/completions): a 400 that says where it does answer."""
    name = body.get("model")
    if isinstance(name, str) and name.casefold() == other_id.casefold():
        raise bad_request("model", f"'{other_id}' {reason}")


def chat_call(body: dict[str, Any], limits: Limits, defaults: SamplingParams) -> GenerationCall:
    check_model(body, limits.model_id)
    validate(body, chat_schema(limits))
    # Both given: the newer name wins, as in vLLM (OpenAI deprecated max_tokens for it).
    newer = body.get("max_completion_tokens")
    max_tokens = newer if newer is not None else body.get("max_tokens")
    sampling = _sampling(body, defaults, max_tokens or limits.default_chat_max_tokens)
    messages = [_message(m) for m in body["messages"]]
    command = ChatRequest(messages=messages, sampling=sampling.to_dict(), overflow="stop")
    return GenerationCall("chat", command, *_streaming(body))


def completion_call(
    body: dict[str, Any], limits: Limits, defaults: SamplingParams
) -> GenerationCall:
    check_model(body, limits.model_id)
    validate(body, completion_schema(limits))
    prompt = body["prompt"]
    text = prompt if isinstance(prompt, str) else prompt[0]
    max_tokens = body.get("max_tokens") or COMPLETION_DEFAULT_MAX_TOKENS
    sampling = _sampling(body, defaults, min(max_tokens, limits.max_tokens))
    command = CompleteRequest(prompt=text, sampling=sampling.to_dict())
    return GenerationCall("completion", command, *_streaming(body))


def _streaming(body: dict[str, Any]) -> tuple[bool, bool]:
    options = body.get("stream_options")  # only with stream: true (the schema says so)
    return bool(body.get("stream")), bool(options and options.get("include_usage"))


_SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
    "seed",
)


def _sampling(body: dict[str, Any], defaults: SamplingParams, max_tokens: int) -> SamplingParams:
    overrides: dict[str, Any] = {"max_tokens": int(max_tokens)}
    for name in _SAMPLING_FIELDS:
        value = body.get(name)
        if value is not None:
            overrides[name] = (
                float(value) if isinstance(getattr(defaults, name), float) else int(value)
            )
    stop = body.get("stop")
    if stop is not None:
        overrides["stop"] = (stop,) if isinstance(stop, str) else tuple(stop)
    else:
        overrides["stop"] = ()  # the settings' stop strings are the window's, not the API's
    try:
        return defaults.with_overrides(overrides)
    except ParrotError as exc:  # the schema's bounds should have caught it first
        raise ApiError(400, str(exc)) from None


def _message(m: dict[str, Any]) -> dict[str, str]:
    role = "system" if m["role"] == "developer" else m["role"]
    content = m["content"]
    text = content if isinstance(content, str) else "\n".join(p["text"] for p in content)
    return {"role": role, "content": text}
