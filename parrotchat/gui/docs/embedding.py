"""The window's embedding model: which one (the `embedding_model` setting), and a
question's vector for a chat's document search.

The model runs in an engine process of its own (service/embedder.py), never in the
chat's. The window starts it lazily, on the first question asked of collections that
have vectors, on a thread of its own: loading takes seconds and the window must not
wait on it. It then stays loaded while the window lives, for the next questions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from parrotchat.core.errors import ParrotError

if TYPE_CHECKING:
    from parrotchat.core.docs.index import DocumentIndex
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.core.settings import Settings
    from parrotchat.service.embedder import Embedder

POOLING_RANK = 4  # llama.cpp's LLAMA_POOLING_TYPE_RANK: a reranker, no embeddings


def find_embedding_model(models_dir: Path, chosen: str) -> ModelInfo:
    """The model the setting names (a library name or a GGUF path); ParrotError if gone."""
    from parrotchat.core.models.library import ModelLibrary
    from parrotchat.core.models.starter import starter_model_path

    return ModelLibrary(models_dir, starter_model_path()).find(chosen)


def start_embedder(model: ModelInfo, settings: Settings) -> Embedder:
    """The model loaded in an engine of its own (ParrotError if it cannot be)."""
    from parrotchat.engine.local.client import EngineClient
    from parrotchat.service.embedder import Embedder

    embedder = Embedder(EngineClient(), model, settings)
    try:
        return embedder.start()
    except BaseException:
        embedder.close()
        raise


def has_vectors(index: DocumentIndex, chosen: str) -> bool:
    """Whether some passage of the index has a vector from this model (its file name
    is the key they are stored under)."""
    total = sum(c.chunks for c in index.collections())
    return total > 0 and index.count_without_vectors(Path(chosen).name) < total


class QueryEmbedder(QObject):
    """Questions to vectors, one at a time on a thread of its own.

    Signals:
        vectorReady(int, object): a request's (vector, embedder id), or (None, None)
            where the question cannot be embedded: it is then searched by its words.
        unavailable(str): the chosen model could not be loaded: the reason. Said once
            per choice; questions are searched by words until the choice changes.
    """

    vectorReady = Signal(int, object)
    unavailable = Signal(str)

    def __init__(self, settings: Settings, models_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.models_dir = models_dir
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-embedder")
        self._embedder: Embedder | None = None  # touched on the pool's thread only
        self._failed: str | None = None  # the choice that could not be loaded
        self._next_id = 0
        self._closed = False

    def wanted(self, index: DocumentIndex) -> bool:
        """Whether a question to this index should be embedded: a model is chosen, it has
        not failed to load, and some passages have its vectors."""
        chosen = self.settings.embedding_model
        return bool(chosen) and chosen != self._failed and has_vectors(index, chosen or "")

    @property
    def loaded(self) -> bool:
        """Whether the chosen model is loaded already (else a request loads it first)."""
        embedder, chosen = self._embedder, self.settings.embedding_model
        return embedder is not None and bool(chosen) and embedder.model.path == Path(chosen or "")

    def request(self, question: str) -> int:
        """Embed the question off the GUI thread; vectorReady(id, …) answers."""
        self._next_id += 1
        req_id = self._next_id
        chosen = self.settings.embedding_model or ""
        self._pool.submit(self._embed, req_id, chosen, question)
        return req_id

    def _embed(self, req_id: int, chosen: str, question: str) -> None:
        answer: tuple[list[float] | None, str | None] = (None, None)
        try:
            embedder = self._loaded(chosen)
            if embedder is not None:
                answer = (embedder.embed_query(question), embedder.id)
        except ParrotError as exc:
            self._drop()
            if self._failed != chosen:
                self._failed = chosen
                if not self._closed:
                    self.unavailable.emit(str(exc))
        if not self._closed:
            self.vectorReady.emit(req_id, answer)

    def _loaded(self, chosen: str) -> Embedder | None:
        if self._closed or not chosen:
            return None
        if self._embedder is not None and self._embedder.model.path == Path(chosen):
            return self._embedder
        self._drop()
        model = find_embedding_model(self.models_dir, chosen)
        self._embedder = start_embedder(model, self.settings)
        return self._embedder

    def _drop(self) -> None:
        embedder, self._embedder = self._embedder, None
        if embedder is not None:
            embedder.close()

    def close(self) -> None:
        """Stop the embedding engine (the window closes); questions waiting are dropped."""
        self._closed = True
        # Not submitted to the pool: shutdown(cancel_futures=True) would cancel a _drop
        # the worker had not picked up yet, and the engine process would outlive us.
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._drop()
