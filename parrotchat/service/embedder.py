"""Vectors for documents and questions: an embedding model in an engine of its own.

The embedding model never shares a process with the chat model: it is loaded with
`LoadRequest(embedding=True)` into a second engine, so indexing can run beside a
conversation and a crash of one leaves the other. The caller hands in the engine
(the service imports no engine implementation); `Embedder` loads the model, sends the
texts in requests of `REQUEST_TEXTS`, and closes the engine when done.

`embed_pending` is the indexer's second pass: every chunk of the document index
without a vector from this model gets one, a request at a time, each stored at once,
so a run that is stopped or killed goes on where it left off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol

from parrotchat.core.errors import EngineError
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import embed_texts, load_model
from parrotchat.engine.protocol import Engine, LoadRequest
from parrotchat.service.model_load import resolve_gpu_layers

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo

# The longest text read whole, in tokens; longer ones are cut (and counted). Document
# chunks are far shorter; a larger context only costs memory.
EMBED_CONTEXT = 2048
# Texts per engine request: between two requests come a progress report, a stop check
# and a commit of the vectors so far.
REQUEST_TEXTS = 32

TextKind = Literal["document", "query"]

# Models trained with an instruction before each text embed best with it: (query,
# document) prefixes, matched on the model's file or general name.
_PREFIXES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(^|[^a-z0-9])e5([^a-z0-9]|$)"), "query: ", "passage: "),
    (re.compile(r"nomic-embed"), "search_query: ", "search_document: "),
)


def text_prefixes(model_name: str) -> tuple[str, str]:
    """The (query, document) prefixes a model expects; empty for most (bge-m3)."""
    name = model_name.casefold()
    for pattern, query, document in _PREFIXES:
        if pattern.search(name):
            return query, document
    return "", ""


def embedding_load_request(model: ModelInfo, settings: Settings, gpu_offload: bool) -> LoadRequest:
    """How an embedding model is loaded, for the documents and for `parrotchat serve`."""
    n_ctx = min(EMBED_CONTEXT, model.context_length or EMBED_CONTEXT)
    return LoadRequest(
        path=str(model.path),
        n_ctx=n_ctx,
        gpu_layers=resolve_gpu_layers(settings.gpu_layers, gpu_offload),
        threads=settings.threads,
        batch=min(settings.batch_size, n_ctx),
        embedding=True,
    )


class VectorStore(Protocol):
    """What `embed_pending` needs of the document index (core/docs/index)."""

    def chunks_without_vectors(self, embedder: str, limit: int) -> list[tuple[int, str]]: ...

    def count_without_vectors(self, embedder: str) -> int: ...

    def store_vectors(self, embedder: str, vectors: list[tuple[int, list[float]]]) -> None: ...


@dataclass(frozen=True)
class EmbedProgress:
    done: int  # chunks embedded in this run
    total: int  # chunks this run found waiting


@dataclass(frozen=True)
class EmbedReport:
    embedded: int
    tokens: int
    truncated: int  # chunks longer than the model's context, embedded from their start
    cancelled: bool
    seconds: float


class Embedder:
    """An embedding model loaded in its own engine; texts in, unit vectors out."""

    def __init__(self, engine: Engine, model: ModelInfo, settings: Settings) -> None:
        self.engine = engine
        self.model = model
        self._settings = settings
        self._query_prefix, self._document_prefix = text_prefixes(f"{model.path.name} {model.name}")
        self.dimensions = 0
        self.tokens = 0  # read so far, over every request
        self.truncated = 0

    @property
    def id(self) -> str:
        """The key its vectors are stored under: the model's file name (another file,
        another quantization, is another set of vectors)."""
        return self.model.path.name

    @property
    def name(self) -> str:
        return self.model.display_name

    def start(self, on_progress: Callable[[float], None] | None = None) -> Embedder:
        """Start the engine and load the model for embeddings (EngineError if it cannot)."""
        self.engine.start()
        ready = self.engine.ready_info
        request = embedding_load_request(
            self.model, self._settings, ready is not None and ready.gpu_offload
        )
        loaded = load_model(self.engine, request, on_progress)
        self.dimensions = int(loaded.get("n_embd") or 0)
        return self

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Embedder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def embed(self, texts: Sequence[str], kind: TextKind = "document") -> list[list[float]]:
        """One unit vector per text, in order."""
        prefix = self._query_prefix if kind == "query" else self._document_prefix
        answer = embed_texts(self.engine, [prefix + text for text in texts])
        if len(answer.vectors) != len(texts):
            raise EngineError(
                f"The embedding engine answered {len(answer.vectors)} vectors "
                f"for {len(texts)} texts"
            )
        self.tokens += answer.tokens
        self.truncated += answer.truncated
        return answer.vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text], kind="query")[0]


def embed_pending(
    index: VectorStore,
    embedder: Embedder,
    *,
    progress: Callable[[EmbedProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    request_texts: int = REQUEST_TEXTS,
) -> EmbedReport:
    """Give every chunk without a vector from `embedder` one, `request_texts` at a time.

    Each request's vectors are stored before the next is sent, so a stop, a crash or a kill loses at
    most one request's work.
    """
    started = time.perf_counter()
    tokens_before, truncated_before = embedder.tokens, embedder.truncated
    total = index.count_without_vectors(embedder.id)
    done = 0
    cancelled = False
    stored: set[int] = set()
    while True:
        if should_stop is not None and should_stop():
            cancelled = True
            break
        chunks = index.chunks_without_vectors(embedder.id, request_texts)
        if not chunks:
            break
        ids = [chunk_id for chunk_id, _ in chunks]
        if stored.issuperset(ids):
            # The index hands back chunks it was just given vectors for: stop rather
            # than embed them for ever.
            raise EngineError("The document index did not keep the vectors it was given")
        vectors = embedder.embed([text for _, text in chunks])
        index.store_vectors(embedder.id, list(zip(ids, vectors, strict=True)))
        stored.update(ids)
        done += len(chunks)
        if progress is not None:
            progress(EmbedProgress(done, max(total, done)))
    return EmbedReport(
        embedded=done,
        tokens=embedder.tokens - tokens_before,
        truncated=embedder.truncated - truncated_before,
        cancelled=cancelled,
        seconds=time.perf_counter() - started,
    )
