"""`parrotchat ask --docs NAME`: the collections an answer is written from, and the
sources printed under it."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from parrotchat.cli.context import CliContext
from parrotchat.cli.docs_embedder import query_embedder
from parrotchat.service.doc_answers import DocumentQuery, check_collections, sources_of


@contextmanager
def document_query(ctx: CliContext, names: Sequence[str]) -> Iterator[DocumentQuery]:
    """The index opened on these collections; ParrotError for a name it does not have
    (said before any model is loaded)."""
    from parrotchat.core.docs.index import DocumentIndex

    index = DocumentIndex(ctx.paths.documents_db)
    try:
        check_collections(index, names)
        with query_embedder(ctx, index, as_json=False) as (embed, embedder):
            yield DocumentQuery(
                index, list(dict.fromkeys(names)), embed_query=embed, embedder=embedder
            )
    finally:
        index.close()


def print_sources(stats: dict[str, Any], out: TextIO = sys.stdout) -> None:
    """The sources under the answer, one a line ("[1] /docs/report.pdf, p. 3"), and
    how many passages did not fit; or that no passage matched."""
    sources = sources_of(stats)
    left_out = int(stats.get("sources_left_out") or 0)
    out.write("\n")
    if not sources and not left_out:
        out.write("No passage of the documents matched the question.\n")
        return
    out.write("Sources:\n")
    for source in sources:
        out.write(f"[{source.number}] {source.label(full_path=True)}\n")
    if left_out:
        out.write(f"({left_out} more matching passages left out to fit the context)\n")
