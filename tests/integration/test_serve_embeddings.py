"""POST /v1/embeddings on a real `parrotchat serve --embedding-model`, through the real
OpenAI client, with the starter model as a stand-in embedding model (mean pooling).

The starter serves both chats and embeddings here, so its embedding name carries the
"-embedding" suffix. One server for the module, one thread per engine.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import openai
import pytest
from serve_process import ServeProcess

KEY = "embed-key-0123456789abcdef"
CAT = "The cat sat on the mat and purred."
KITTEN = "A kitten is sitting on a rug, purring."
BUDGET = "The finance department cut the travel budget by twelve percent."
SETTINGS = {"context_length": 1024, "threads": 1, "serve_max_waiting": 2}
WIDTH = 576  # SmolLM2-135M's n_embd


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("serve-embed")
    with ServeProcess(
        home,
        "--api-key-env",
        "PARROT_TEST_KEY",
        "--embedding-model",
        str(starter_model),
        settings=SETTINGS,
        env={"PARROT_TEST_KEY": KEY},
    ) as s:
        yield s


@pytest.fixture
def client(server: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key=KEY, max_retries=0, timeout=120)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def post(server: ServeProcess, body: dict[str, Any]) -> http.client.HTTPConnection:
    """Send an embeddings request and leave it waiting or running (the caller reads or
    walks away)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    conn.request("POST", "/v1/embeddings", json.dumps(body), headers)
    return conn


def embeddings_queue(server: ServeProcess) -> dict[str, int]:
    queue: dict[str, int] = server.health()["embeddings"]
    return queue


def wait_for(server: ServeProcess, running: int, waiting: int, within: float) -> None:
    deadline = time.monotonic() + within
    while embeddings_queue(server) != {"running": running, "waiting": waiting}:
        assert time.monotonic() < deadline, embeddings_queue(server)
        time.sleep(0.01)


def a_long_request(server: ServeProcess) -> dict[str, Any]:
    """About a minute of work for the starter on one thread: it runs until cancelled."""
    texts = [f"{i} " + "parrot talks about the weather " * 30 for i in range(40)]
    return {"model": server.embedding_model, "input": texts}


# --- the happy paths --------------------------------------------------------------------


def test_both_models_are_listed_by_distinct_names(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    ids = [m.id for m in client.models.list().data]
    assert ids == [server.model, f"{server.model}-embedding"]
    assert server.embedding_model == ids[1]


def test_the_clients_default_base64_and_float_give_the_same_unit_vector(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    default = client.embeddings.create(model=server.embedding_model, input=CAT)
    assert default.model == server.embedding_model and default.object == "list"
    (entry,) = default.data
    assert entry.index == 0 and len(entry.embedding) == WIDTH
    assert math.isclose(math.sqrt(sum(x * x for x in entry.embedding)), 1.0, abs_tol=1e-4)
    assert default.usage.prompt_tokens > 0
    assert default.usage.total_tokens == default.usage.prompt_tokens
    floats = client.embeddings.create(
        model=server.embedding_model, input=CAT, encoding_format="float"
    )
    # base64 carries float32 exactly: the same numbers, not merely close ones.
    assert floats.data[0].embedding == entry.embedding
    raw = client.embeddings.create(
        model=server.embedding_model, input=CAT, encoding_format="base64"
    )
    assert isinstance(raw.data[0].embedding, str)  # asked for: left for the caller to decode


def test_a_list_gives_one_vector_per_text_in_order_and_meaning_shows(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    answer = client.embeddings.create(model=server.embedding_model, input=[CAT, KITTEN, BUDGET])
    assert [d.index for d in answer.data] == [0, 1, 2]
    cat, kitten, budget = (d.embedding for d in answer.data)
    assert cosine(cat, kitten) > cosine(cat, budget) + 0.05
    alone = client.embeddings.create(model=server.embedding_model, input=[BUDGET])
    assert cosine(alone.data[0].embedding, budget) > 0.9999  # packed or alone, the same
    assert answer.usage.prompt_tokens > alone.usage.prompt_tokens


def test_the_chat_model_still_answers_chats(client: openai.OpenAI, server: ServeProcess) -> None:
    reply = client.chat.completions.create(
        model=server.model,
        messages=[{"role": "user", "content": "Name a color."}],
        max_tokens=4,
        temperature=0,
    )
    assert reply.choices[0].message.content


# --- refusals: a 4xx that names the field and the reason -----------------------------------


def refusal(client: openai.OpenAI, **fields: Any) -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as info:
        client.embeddings.create(**fields)
    return info.value


def said(error: openai.APIStatusError) -> str:
    """The server's own message (the client's `message` starts with the status)."""
    body = cast(dict[str, Any], error.body)
    return str(body["message"])


def test_fields_that_would_change_nothing_are_taken_others_refused(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    model = server.embedding_model
    taken = client.embeddings.create(model=model, input="hi", dimensions=WIDTH, user="u-1")
    assert len(taken.data[0].embedding) == WIDTH
    shorter = refusal(client, model=model, input="hi", dimensions=64)
    assert shorter.status_code == 400 and shorter.param == "dimensions"
    assert f"{WIDTH} dimensions" in shorter.message
    unknown = refusal(client, model=model, input="hi", extra_body={"truncate": True})
    assert unknown.status_code == 400 and "truncate: unknown field" in unknown.message


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ([101, 202, 303], "token ids are not taken"),
        ([[101, 202], [303]], "token ids are not taken"),
        ("", "must not be empty"),
        ([], "must not be empty"),
        (["a", 5], "expected text"),
        (["x" * 200_000, "y" * 70_000], "more than 262144"),
    ],
)
def test_bad_input_is_refused_naming_it(
    client: openai.OpenAI, server: ServeProcess, given: Any, reason: str
) -> None:
    error = refusal(client, model=server.embedding_model, input=given)
    assert error.status_code == 400, error.message
    assert said(error).startswith("input") and reason in said(error), said(error)


def test_a_text_longer_than_the_model_reads_is_refused_by_its_place(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    error = refusal(client, model=server.embedding_model, input=[CAT, "parrot " * 3000])
    assert error.status_code == 400 and error.code == "context_length_exceeded"
    assert said(error).startswith("input[1]: ") and "2048" in said(error)
    assert error.param == "input[1]"
    alone = refusal(client, model=server.embedding_model, input="parrot " * 3000)
    assert said(alone).startswith("input: ")


def test_the_wrong_model_is_refused_naming_the_right_one(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    chat_model = refusal(client, model=server.model, input=CAT)
    assert chat_model.status_code == 400 and server.embedding_model in chat_model.message
    other = refusal(client, model="text-embedding-3-small", input=CAT)
    assert other.status_code == 404 and server.embedding_model in other.message
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model=server.embedding_model, messages=[{"role": "user", "content": "Hi"}]
        )
    assert "makes embeddings only" in info.value.message and server.model in info.value.message


# --- the queue: bounded, and clients that leave are dropped ---------------------------------


def test_clients_that_leave_are_dropped_queued_or_running_and_the_bound_holds(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    running = post(server, a_long_request(server))
    wait_for(server, running=1, waiting=0, within=10)
    queued = [post(server, a_long_request(server)) for _ in range(2)]
    wait_for(server, running=1, waiting=2, within=10)
    beyond = refusal(client, model=server.embedding_model, input=CAT)
    assert beyond.status_code == 429 and int(beyond.response.headers["retry-after"]) >= 1
    for conn in queued:
        conn.close()
    # Gross bounds: the long request is a minute of work, more on a busy machine.
    wait_for(server, running=1, waiting=0, within=20)  # the queued ones left the queue
    running.close()
    wait_for(server, running=0, waiting=0, within=20)  # and the running one stopped
    assert server.health()["running"] == 0  # the chat model's queue was never involved
    assert len(client.embeddings.create(model=server.embedding_model, input=CAT).data) == 1


# --- last: a crash of the embedding engine --------------------------------------------------


def test_an_embedding_engine_crash_is_an_error_and_the_engine_comes_back(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    chat_engine, embedding_engine = server.engine_pids()
    running = post(server, a_long_request(server))
    wait_for(server, running=1, waiting=0, within=10)
    os.kill(embedding_engine, 9)
    answer = running.getresponse()
    assert answer.status == 500 and b"engine" in answer.read()
    running.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            again = client.embeddings.create(model=server.embedding_model, input=CAT)
            break
        except openai.APIStatusError as exc:
            assert exc.status_code in (500, 503), exc.message  # refused, never hung
            assert time.monotonic() < deadline, "the embedding engine was not restarted"
            time.sleep(0.5)
    assert len(again.data[0].embedding) == WIDTH
    assert "the embedding engine was restarted" in server.errors.read_text()
    assert server.engine_pids()[0] == chat_engine  # the chat engine was left alone
