"""Request bodies: what is taken, what is refused, and that a refusal names the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values

from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.protocol import ChatRequest, CompleteRequest
from parrotchat.serve.errors import ApiError
from parrotchat.serve.request_body import chat_call, completion_call, parse_json
from parrotchat.serve.schema import Limits

LIMITS = Limits("smollm2", max_tokens=512, default_chat_max_tokens=256)
DEFAULTS = SamplingParams()


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "smollm2", "messages": [{"role": "user", "content": "Hi"}], **fields}


def refusal(body: dict[str, Any], parse: Any = chat_call) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse(body, LIMITS, DEFAULTS)
    return info.value


def test_a_plain_chat_maps_onto_the_engine_command() -> None:
    call = chat_call(
        chat(temperature=0, top_p=0.5, seed=7, stop="END", presence_penalty=0.5, max_tokens=9),
        LIMITS,
        DEFAULTS,
    )
    assert isinstance(call.command, ChatRequest)
    assert call.command.overflow == "stop"  # never cut a client's conversation silently
    sampling = call.command.sampling
    assert sampling["temperature"] == 0.0 and sampling["top_p"] == 0.5 and sampling["seed"] == 7
    assert sampling["stop"] == ["END"] and sampling["max_tokens"] == 9
    assert sampling["presence_penalty"] == 0.5
    assert sampling["top_k"] == DEFAULTS.top_k  # not given: the user's settings
    assert not call.stream and not call.include_usage


def test_defaults_and_aliases() -> None:
    assert chat_call(chat(), LIMITS, DEFAULTS).command.sampling["max_tokens"] == 256
    call = chat_call(chat(max_completion_tokens=5, stream=True), LIMITS, DEFAULTS)
    assert call.command.sampling["max_tokens"] == 5 and call.stream
    both = chat_call(chat(max_tokens=3, max_completion_tokens=7), LIMITS, DEFAULTS)
    assert both.command.sampling["max_tokens"] == 7  # the newer name wins, as in vLLM
    body = {"model": "SMOLLM2", "prompt": ["Once upon"], "stream": True}
    body["stream_options"] = {"include_usage": True}
    done = completion_call(body, LIMITS, DEFAULTS)
    assert isinstance(done.command, CompleteRequest) and done.command.prompt == "Once upon"
    assert done.command.sampling["max_tokens"] == 16 and done.include_usage


def test_message_shapes_clients_send() -> None:
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": "ok", "refusal": None, "tool_calls": []},
        {"role": "user", "content": "next"},
    ]
    call = chat_call(chat(messages=messages), LIMITS, DEFAULTS)
    assert isinstance(call.command, ChatRequest)
    assert call.command.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "a\nb"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "next"},
    ]


def test_nulls_mean_not_given() -> None:
    call = chat_call(chat(temperature=None, stop=None, tools=None, n=None), LIMITS, DEFAULTS)
    assert call.command.sampling["temperature"] == DEFAULTS.temperature


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stream": False, "stream_options": {}}, "stream_options: only allowed when stream"),
        ({"top_k": True}, "top_k: expected a whole number or null, got true or false"),
        ({"messages": [{"role": "user", "content": "\ud800"}]}, "messages[0].content: holds an"),
        (
            {"messages": [{"role": "user", "content": "x", "name": "bob"}]},
            "messages[0].name: participant names",
        ),
        ({"temperature": 1e308}, "temperature: 1e+308 is above the maximum of 2"),
    ],
)
def test_refusals_name_the_field(fields: dict[str, Any], message: str) -> None:
    error = refusal(chat(**fields))
    assert error.status == 400 and error.message.startswith(message), error.message


def test_model_names_not_paths() -> None:
    assert refusal(chat(model="C:\\models\\x.gguf")).status == 400
    unknown = refusal(chat(model="gpt-4o"))
    assert unknown.status == 404 and "smollm2" in unknown.message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\xff", "not UTF-8"),
        (b"[1]", "must be a JSON object"),
        (b'{"a": Infinity}', "Infinity is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_bodies_that_are_not_json_objects(raw: bytes, message: str) -> None:
    with pytest.raises(ApiError, match=message):
        parse_json(raw)


fields = st.sampled_from(
    [
        "model",
        "messages",
        "prompt",
        "max_tokens",
        "temperature",
        "top_p",
        "seed",
        "stop",
        "stream",
        "stream_options",
        "n",
        "tools",
        "logprobs",
        "response_format",
        "presence_penalty",
        "bogus",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(fields, json_values, max_size=8), st.booleans())
def test_any_body_is_taken_or_refused_with_a_4xx(body: dict[str, Any], as_chat: bool) -> None:
    body.setdefault("model", "smollm2")
    try:
        raw = json.dumps(body).encode()
        parse = chat_call if as_chat else completion_call
        call = parse(parse_json(raw), LIMITS, DEFAULTS)
    except ApiError as error:
        assert 400 <= error.status < 500 and error.message
        return
    SamplingParams.from_dict(call.command.sampling)  # the engine will take it
