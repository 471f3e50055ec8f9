"""`parrotchat docs embedder [MODEL | --none]`, and the vectors the other docs commands use.

With an embedding model chosen, `docs add` and `docs rescan` give every passage still
without a vector one (a progress line on a terminal), and `docs search` embeds the
query so that the index ranks by words and by meaning together. The model runs in an
engine process of its own. A model that cannot be used is a warning, never a failed
command: the words-only index and search still work.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from parrotchat.cli.progress import ProgressLine
from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import save_settings

if TYPE_CHECKING:
    from parrotchat.cli.context import CliContext
    from parrotchat.core.docs.index import DocumentIndex
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.service.embedder import Embedder

POOLING_RANK = 4  # llama.cpp's LLAMA_POOLING_TYPE_RANK: a reranker


def add_embedder_command(docs_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    de = docs_sub.add_parser(
        "embedder",
        help="the embedding model that lets search match meaning, not only words",
        description="Choose the GGUF embedding model (bge-m3, multilingual-e5, "
        "nomic-embed-text…) that turns passages and questions into vectors; search then "
        "ranks by words and by meaning together. Without MODEL: show the one in use.",
    )
    which = de.add_mutually_exclusive_group()
    which.add_argument("model", nargs="?", metavar="MODEL", help="a library name or a GGUF path")
    which.add_argument("--none", action="store_true", help="search by words alone")
    de.add_argument("--json", action="store_true", dest="sub_json")


def run_embedder(ctx: CliContext, args: argparse.Namespace) -> int:
    as_json = bool(getattr(args, "sub_json", False) or args.json)
    if args.none:
        _save(ctx, None)
        print("No embedding model: documents are searched by their words alone", file=sys.stderr)
    elif args.model:
        model = ctx.library().find(args.model)
        note = embedding_model_note(model)
        _save(ctx, str(model.path))
        if note:
            print(f"note: {note}", file=sys.stderr)
        print(
            f"Passages will be embedded with {model.display_name}; "
            "`parrotchat docs rescan` embeds those already indexed",
            file=sys.stderr,
        )
    path = ctx.settings.embedding_model
    if as_json:
        print(json.dumps({"embedding_model": path}, ensure_ascii=False))
    elif not args.none and not args.model:
        print(path or "none (documents are searched by their words alone)")
    return 0


def embedding_model_note(model: ModelInfo) -> str | None:
    """Refuse a reranker (ParrotError); a note when a chat model stands in for an
    embedding model, which works but ranks poorly."""
    if model.pooling_type == POOLING_RANK:
        raise ParrotError(f"{model.path.name}: a reranker, not an embedding model")
    if model.pooling_type is None and model.chat_template:
        return (
            f"{model.display_name} looks like a chat model (it declares no pooling); "
            "its vectors serve search poorly. Models made for it: bge-m3, "
            "multilingual-e5, nomic-embed-text"
        )
    return None


def _save(ctx: CliContext, path: str | None) -> None:
    ctx.settings = replace(ctx.settings, embedding_model=path)
    save_settings(ctx.paths.settings_file, ctx.settings)


def _chosen_model(ctx: CliContext) -> ModelInfo | None:
    """The embedding model in the settings; None, with a warning, when it cannot be used."""
    chosen = ctx.settings.embedding_model
    if not chosen:
        return None
    try:
        return ctx.library().find(chosen)
    except ParrotError as exc:
        _warn(f"the embedding model cannot be used ({exc}); searching by words alone")
        return None


@contextmanager
def _started(ctx: CliContext, model: ModelInfo, as_json: bool) -> Iterator[Embedder | None]:
    """The model loaded in an engine of its own; None, with a warning, if it fails."""
    from parrotchat.engine.local.client import EngineClient
    from parrotchat.service.embedder import Embedder

    line = ProgressLine(sys.stderr, enabled=not as_json)
    line.show(f"Loading {model.display_name}…")
    embedder = Embedder(EngineClient(), model, ctx.settings)
    try:
        embedder.start(line.update)
    except ParrotError as exc:
        line.clear()
        embedder.close()
        _warn(f"the embedding model {model.display_name} could not be loaded: {exc}")
        yield None
        return
    line.clear()
    try:
        yield embedder
    finally:
        embedder.close()


def embed_new_passages(ctx: CliContext, index: DocumentIndex, as_json: bool) -> None:
    """Vectors for every passage without one, when an embedding model is chosen."""
    from parrotchat.service.embedder import EmbedProgress, embed_pending

    model = _chosen_model(ctx)
    if model is None or index.count_without_vectors(model.path.name) == 0:
        return
    with _started(ctx, model, as_json) as embedder:
        if embedder is None:
            return
        line = ProgressLine(sys.stderr, enabled=not as_json)
        label = f"Embedding passages with {model.display_name}"

        def progress(p: EmbedProgress) -> None:
            line.show(f"{label}: {p.done}/{p.total}")
            line.update(p.done / p.total if p.total else 1.0)

        try:
            report = embed_pending(index, embedder, progress=progress)
        except ParrotError as exc:
            line.clear()
            _warn(f"embedding stopped ({exc}); `parrotchat docs rescan` goes on from there")
            return
        line.clear()
    cut = f", {report.truncated} cut to the model's context" if report.truncated else ""
    if not as_json:
        print(
            f"{report.embedded} passages embedded with {model.display_name} "
            f"in {report.seconds:.1f} s{cut}",
            file=sys.stderr,
        )


QueryEmbedding = tuple[Callable[[str], list[float] | None] | None, str | None]


@contextmanager
def query_embedder(
    ctx: CliContext, index: DocumentIndex, as_json: bool
) -> Iterator[QueryEmbedding]:
    """(a function that embeds a question, the embedder's id) for hybrid searches, the
    model loaded while the block runs; (None, None) when no embedding model is chosen,
    no passage has its vectors yet, or the model cannot be loaded. The function
    returns None, with a warning, where a question cannot be embedded."""
    model = _chosen_model(ctx)
    total = sum(c.chunks for c in index.collections()) if model is not None else 0
    if model is None or total == 0 or index.count_without_vectors(model.path.name) >= total:
        yield None, None
        return
    with _started(ctx, model, as_json) as embedder:
        if embedder is None:
            yield None, None
            return
        loaded = embedder

        def embed(question: str) -> list[float] | None:
            try:
                return loaded.embed_query(question)
            except ParrotError as exc:
                _warn(f"the question could not be embedded ({exc}); searching by words alone")
                return None

        yield embed, embedder.id


def query_vector(
    ctx: CliContext, index: DocumentIndex, query: str, as_json: bool
) -> tuple[list[float] | None, str | None]:
    """(the query's vector, the embedder's id) for one hybrid search, or (None, None)."""
    with query_embedder(ctx, index, as_json) as (embed, embedder):
        vector = embed(query) if embed is not None else None
        return vector, embedder if vector is not None else None


def _warn(text: str) -> None:
    print(f"parrotchat: warning: {text}", file=sys.stderr)
