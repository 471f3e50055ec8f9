"""The embedder's own logic over a scripted engine: requests, prefixes, the second pass
over the index (resumable, stoppable, never looping). The real engine and index run in
tests/integration/test_engine_embed.py and test_cli_docs_embedder.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest
from scripted_engine import ScriptedEngine

from parrotchat.core.errors import EngineError
from parrotchat.core.models.info import ModelInfo, read_model_info
from parrotchat.core.settings import Settings
from parrotchat.engine.protocol import Embedded, EmbedRequest, Event, Loaded, LoadRequest
from parrotchat.service.embedder import Embedder, EmbedProgress, embed_pending, text_prefixes


class MemoryStore:
    """The two calls of the document index the second pass uses, in a dict."""

    def __init__(self, texts: list[str], keep: bool = True) -> None:
        self.texts = dict(enumerate(texts, 1))
        self.vectors: dict[int, list[float]] = {}
        self.keep = keep

    def chunks_without_vectors(self, embedder: str, limit: int) -> list[tuple[int, str]]:
        return [(i, t) for i, t in self.texts.items() if i not in self.vectors][:limit]

    def count_without_vectors(self, embedder: str) -> int:
        return len(self.texts) - len(self.vectors)

    def store_vectors(self, embedder: str, vectors: list[tuple[int, list[float]]]) -> None:
        if self.keep:
            self.vectors.update(vectors)


def scripted() -> ScriptedEngine:
    def answer(req_id: int) -> Iterable[Event]:
        match engine.requests[-1]:
            case LoadRequest():
                return [Loaded(req_id, {"n_embd": 2})]
            case EmbedRequest(texts=texts):
                return [Embedded(req_id, [[float(len(t)), 0.0] for t in texts], len(texts))]
        raise AssertionError("unexpected command")

    engine = ScriptedEngine(answer)
    return engine


@pytest.fixture
def model(starter_model: Path) -> ModelInfo:
    return read_model_info(starter_model)


def test_loads_for_embeddings_and_embeds_in_order(model: ModelInfo) -> None:
    engine = scripted()
    embedder = Embedder(engine, model, Settings(threads=3, batch_size=4096)).start()
    (load,) = engine.requests
    assert isinstance(load, LoadRequest) and load.embedding and load.threads == 3
    assert load.batch <= load.n_ctx  # a batch never larger than the context
    assert embedder.dimensions == 2 and embedder.id == model.path.name
    assert embedder.embed(["a", "bbb"]) == [[1.0, 0.0], [3.0, 0.0]]


def test_models_trained_with_prefixes_get_them(model: ModelInfo) -> None:
    assert text_prefixes("multilingual-e5-large-instruct-Q8_0.gguf") == ("query: ", "passage: ")
    assert text_prefixes("nomic-embed-text-v1.5.Q8_0.gguf")[0] == "search_query: "
    assert text_prefixes("bge-m3-Q8_0.gguf") == ("", "")
    assert text_prefixes("gemma-3-4b-it-Q4_K_M.gguf") == ("", "")
    engine = scripted()
    e5 = replace(model, path=Path("multilingual-e5-small-Q8_0.gguf"))
    embedder = Embedder(engine, e5, Settings()).start()
    embedder.embed(["text"])
    embedder.embed_query("question")
    assert [r.texts for r in engine.requests if isinstance(r, EmbedRequest)] == [
        ["passage: text"],
        ["query: question"],
    ]


def test_the_second_pass_embeds_every_chunk_a_request_at_a_time(model: ModelInfo) -> None:
    store = MemoryStore([f"chunk {i}" for i in range(10)])
    seen: list[EmbedProgress] = []
    embedder = Embedder(scripted(), model, Settings()).start()
    report = embed_pending(store, embedder, progress=seen.append, request_texts=4)
    assert report.embedded == 10 and not report.cancelled and report.tokens == 10
    assert sorted(store.vectors) == list(range(1, 11))
    assert [(p.done, p.total) for p in seen] == [(4, 10), (8, 10), (10, 10)]


def test_a_stopped_pass_goes_on_where_it_left_off(model: ModelInfo) -> None:
    store = MemoryStore([f"chunk {i}" for i in range(10)])
    engine = scripted()
    embedder = Embedder(engine, model, Settings()).start()
    asked = iter([False, True])
    first = embed_pending(store, embedder, should_stop=lambda: next(asked), request_texts=4)
    assert first.cancelled and first.embedded == 4 and len(store.vectors) == 4
    second = embed_pending(store, embedder, request_texts=4)
    assert second.embedded == 6 and len(store.vectors) == 10
    sent = [t for r in engine.requests if isinstance(r, EmbedRequest) for t in r.texts]
    assert len(sent) == 10  # nothing embedded twice


def test_an_index_that_keeps_no_vectors_stops_the_pass(model: ModelInfo) -> None:
    store = MemoryStore(["one", "two"], keep=False)
    embedder = Embedder(scripted(), model, Settings()).start()
    with pytest.raises(EngineError, match="did not keep the vectors"):
        embed_pending(store, embedder)
