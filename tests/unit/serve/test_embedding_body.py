"""POST /v1/embeddings bodies: what is taken, what is refused, and that a refusal names
the field; and the answer's two encodings."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values

from parrotchat.engine.protocol import Embedded
from parrotchat.serve.embedding_body import EmbeddingCall, embedding_call
from parrotchat.serve.embedding_schema import MAX_INPUT_CHARS, MAX_INPUTS, EmbeddingLimits
from parrotchat.serve.embeddings import embedding_reply
from parrotchat.serve.errors import ApiError
from parrotchat.serve.request_body import parse_json

LIMITS = EmbeddingLimits("bge-m3", dimensions=4, n_ctx=512)
CHAT = "smollm2"


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "bge-m3", "input": "hello", **fields}


def refusal(given: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as info:
        embedding_call(given, LIMITS, CHAT)
    return info.value


def test_a_text_or_a_list_becomes_one_command_that_refuses_rather_than_cuts() -> None:
    one = embedding_call(body(), LIMITS, CHAT)
    assert one.command.texts == ["hello"] and one.command.too_long == "refuse"
    assert not one.listed and not one.base64 and one.param(0) == "input"
    many = embedding_call(body(input=["a", "b"], encoding_format="base64"), LIMITS, CHAT)
    assert many.command.texts == ["a", "b"] and many.listed and many.base64
    assert many.param(1) == "input[1]"


def test_fields_that_change_nothing_are_taken() -> None:
    call = embedding_call(
        body(model="BGE-M3", dimensions=4, user="me", encoding_format="float"), LIMITS, CHAT
    )
    assert not call.base64
    nulls = embedding_call(body(dimensions=None, user=None, encoding_format=None), LIMITS, CHAT)
    assert nulls.command.texts == ["hello"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"input": [1, 2, 3]}, "input: token ids are not taken"),
        ({"input": [[1, 2], [3]]}, "input: token ids are not taken"),
        ({"input": ""}, "input: must not be empty"),
        ({"input": []}, "input: must not be empty"),
        ({"input": ["ok", ""]}, "input[1]: must not be empty"),
        ({"input": 7}, "input: expected text or a list, got a whole number"),
        ({"input": ["a"] * (MAX_INPUTS + 1)}, f"input: has {MAX_INPUTS + 1} items, more than"),
        ({"input": ["x" * MAX_INPUT_CHARS, "y"]}, f"input: {MAX_INPUT_CHARS + 1} characters"),
        ({"dimensions": 2}, "dimensions: this model's vectors have 4 dimensions"),
        ({"encoding_format": "int8"}, 'encoding_format: "int8" is not one of'),
        ({"user": 5}, "user: expected text or null"),
        ({"truncate": "END"}, "truncate: unknown field"),
        ({"model": CHAT}, f"model: '{CHAT}' answers chats; embeddings come from 'bge-m3'"),
        ({"model": "/models/bge-m3.gguf"}, "model: name a model"),
    ],
)
def test_refusals_name_the_field(fields: dict[str, Any], message: str) -> None:
    error = refusal(body(**fields))
    assert error.status == 400 and error.message.startswith(message), error.message
    assert error.param == message.split(":")[0]


def test_an_unknown_model_is_404_naming_the_embedding_model() -> None:
    error = refusal(body(model="text-embedding-3-small"))
    assert error.status == 404 and "'bge-m3'" in error.message
    missing = refusal({"input": "hello"})
    assert missing.status == 400 and missing.message == "model: missing (required)"


def test_the_answer_as_numbers_or_as_little_endian_float32_base64() -> None:
    vectors = [[0.5, -0.25, 0.125, 1.0], [0.0, 1.0, 0.0, 0.0]]
    embedded = Embedded(1, vectors, tokens=9)
    for encoded in (False, True):
        call = EmbeddingCall(embedding_call(body(input=["a", "b"]), LIMITS).command, True, encoded)
        reply = json.loads(embedding_reply(call, "bge-m3", embedded))
        assert reply["object"] == "list" and reply["model"] == "bge-m3"
        assert reply["usage"] == {"prompt_tokens": 9, "total_tokens": 9}
        assert [d["index"] for d in reply["data"]] == [0, 1]
        got = [d["embedding"] for d in reply["data"]]
        if encoded:
            got = [list(struct.unpack("<4f", base64.b64decode(g))) for g in got]
        assert got == vectors


fields = st.sampled_from(
    ["model", "input", "encoding_format", "dimensions", "user", "messages", "bogus"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(fields, json_values, max_size=6))
def test_any_body_is_taken_or_refused_with_a_4xx(given_body: dict[str, Any]) -> None:
    given_body.setdefault("model", "bge-m3")
    try:
        call = embedding_call(parse_json(json.dumps(given_body).encode()), LIMITS, CHAT)
    except ApiError as error:
        assert 400 <= error.status < 500 and error.message
        return
    assert call.command.texts and all(isinstance(t, str) and t for t in call.command.texts)
