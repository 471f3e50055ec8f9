"""Embeddings (EmbedRequest) on the real engine, with the starter model as a stand-in
embedding model (a chat model: the engine mean-pools its token vectors)."""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.models.info import read_model_info
from parrotchat.engine.calls import (
    EngineCancelled,
    EngineFailure,
    count_tokens,
    embed_texts,
    load_model,
    stream_chat,
)
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, EmbedRequest, Event, Failed, LoadRequest

CAT = "The cat sat on the mat and purred."
KITTEN = "A kitten is sitting on a rug, purring."
BUDGET = "The finance department cut the travel budget by twelve percent."


@pytest.fixture(scope="module")
def embedding_engine(starter_model: Path) -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    loaded = load_model(
        client,
        LoadRequest(path=str(starter_model), n_ctx=512, batch=256, threads=1, embedding=True),
    )
    assert loaded["embedding"] and loaded["pooling"] == "mean"
    yield client
    client.close()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_one_unit_vector_of_the_models_width_per_text(
    embedding_engine: EngineClient, starter_model: Path
) -> None:
    texts = [CAT, "", "고양이가 매트 위에 앉아 있다.", BUDGET]
    answer = embed_texts(embedding_engine, texts)
    width = read_model_info(starter_model).n_embd
    assert width and len(answer.vectors) == len(texts)
    for vector in answer.vectors:
        assert len(vector) == width
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-4)
    assert answer.tokens >= len(texts) and answer.truncated == 0


def test_the_same_text_gives_the_same_vector_wherever_it_is_in_the_batch(
    embedding_engine: EngineClient,
) -> None:
    alone = embed_texts(embedding_engine, [CAT]).vectors[0]
    packed = embed_texts(embedding_engine, [BUDGET, KITTEN, CAT]).vectors[2]
    assert cosine(alone, packed) > 0.9999


def test_a_related_text_scores_higher_than_an_unrelated_one(
    embedding_engine: EngineClient,
) -> None:
    cat, kitten, budget = embed_texts(embedding_engine, [CAT, KITTEN, BUDGET]).vectors
    assert cosine(cat, kitten) > cosine(cat, budget) + 0.05


def test_a_text_longer_than_the_context_is_cut_and_counted(
    embedding_engine: EngineClient,
) -> None:
    answer = embed_texts(embedding_engine, [CAT, "parrot " * 2000])
    assert answer.truncated == 1
    assert len(answer.vectors) == 2
    assert answer.tokens > 512  # the cut text fills the context, the short one adds its own


def test_a_text_too_long_is_refused_by_its_place_when_asked(
    embedding_engine: EngineClient,
) -> None:
    request = EmbedRequest([CAT, KITTEN, "parrot " * 2000], too_long="refuse")
    (failed,) = list(embedding_engine.events(request))
    assert isinstance(failed, Failed) and failed.kind == "context_full"
    assert failed.item == 2 and "more than the 512" in failed.message
    assert len(embed_texts(embedding_engine, [CAT]).vectors) == 1  # and it embeds again


def test_many_texts_span_several_batches_in_order(embedding_engine: EngineClient) -> None:
    texts = [f"Item number {i}: {CAT if i % 2 else BUDGET}" for i in range(40)]
    vectors = embed_texts(embedding_engine, texts).vectors
    again = embed_texts(embedding_engine, texts[7:8]).vectors[0]
    assert len(vectors) == 40 and cosine(vectors[7], again) > 0.9999


def test_an_embedding_engine_refuses_chat_and_count_clearly(
    embedding_engine: EngineClient,
) -> None:
    messages = [{"role": "user", "content": "hello"}]
    with pytest.raises(EngineFailure, match="loaded for embeddings") as info:
        list(stream_chat(embedding_engine, ChatRequest(messages=messages)))
    assert info.value.kind == "bad_request"
    with pytest.raises(EngineFailure, match="loaded for embeddings") as counted:
        count_tokens(embedding_engine, messages)
    assert counted.value.kind == "bad_request"
    assert len(embed_texts(embedding_engine, [CAT]).vectors) == 1  # still embeds after


def test_a_chat_engine_refuses_to_embed_clearly(starter_model: Path) -> None:
    client = EngineClient()
    client.start()
    try:
        with pytest.raises(EngineFailure, match="No model is loaded") as before:
            embed_texts(client, [CAT])
        assert before.value.kind == "not_loaded"
        load_model(client, LoadRequest(path=str(starter_model), n_ctx=512, threads=1))
        with pytest.raises(EngineFailure, match="loaded for chat") as info:
            embed_texts(client, [CAT])
        assert info.value.kind == "bad_request"
    finally:
        client.close()


def test_cancel_stops_a_long_embed_request_between_or_inside_batches(
    embedding_engine: EngineClient,
) -> None:
    texts = [f"{i} " + "parrot " * 400 for i in range(40)]  # minutes of work, uncancelled
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            embed_texts(embedding_engine, texts)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(2.0)  # well inside the request
    embedding_engine.cancel()
    worker.join(60)  # the whole request would take minutes
    assert not worker.is_alive() and isinstance(outcome[0], EngineCancelled)
    assert len(embed_texts(embedding_engine, [CAT]).vectors) == 1  # and it embeds again


def test_a_cancel_while_the_texts_are_tokenized_is_not_lost(
    embedding_engine: EngineClient,
) -> None:
    # A long first text keeps the engine tokenizing for a while before it reads any:
    # a cancel that lands then must still stop the request (an API client that leaves
    # at once), not let it run for minutes.
    texts = ["parrot " * 300_000] + [f"{i} " + "parrot " * 400 for i in range(40)]
    answers: queue.Queue[Event] = queue.Queue()
    before = embedding_engine.listener
    embedding_engine.listener = answers.put
    try:
        req_id = embedding_engine.submit(EmbedRequest(texts))
        time.sleep(0.05)  # the request has reached the engine, which is tokenizing
        embedding_engine.cancel(req_id)
        answer = answers.get(timeout=60)
    finally:
        embedding_engine.listener = before
    # Cancelled, not answered: a lost cancel ends in Embedded, minutes later. No time
    # bound beyond get()'s: tokenizing the long text alone is seconds on a busy machine.
    assert isinstance(answer, Failed) and answer.kind == "cancelled"
    assert answer.id == req_id
