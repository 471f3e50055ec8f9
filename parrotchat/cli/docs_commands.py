"""`parrotchat docs …`: document collections (add, list, rescan, remove, search).

Indexing shows a progress line on a terminal (nothing in a pipe or with --json),
then one line per file that could not be read, with its reason, and a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parrotchat.cli.docs_embedder import (
    add_embedder_command,
    embed_new_passages,
    query_vector,
    run_embedder,
)
from parrotchat.cli.progress import ProgressLine
from parrotchat.core.errors import ParrotError

if TYPE_CHECKING:  # the parser imports this module: the rest loads when a docs command runs
    from parrotchat.cli.context import CliContext
    from parrotchat.core.docs.index import DocumentIndex, IndexProgress, IndexReport

# The collection `docs add` fills when none is named.
DEFAULT_COLLECTION = "documents"
# Characters of a passage shown per result in plain output.
SHOWN_TEXT = 240


def add_docs_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    docs = sub.add_parser(
        "docs",
        help="document collections to answer from: add, list, rescan, remove, search",
        description="Collections of documents (.txt .md .html .pdf .docx .hwpx .hwp) indexed "
        "on this machine for `parrotchat ask --docs NAME`. Files are read, never run, and "
        "nothing leaves the machine.",
    )
    docs_sub = docs.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
    da = docs_sub.add_parser(
        "add", help="add files and folders to a collection (made if new) and index them"
    )
    da.add_argument("paths", nargs="+", metavar="PATH", help="a document or a folder of them")
    da.add_argument(
        "--collection", metavar="NAME", default=DEFAULT_COLLECTION, help="(default: documents)"
    )
    da.add_argument("--json", action="store_true", dest="sub_json")
    dl = docs_sub.add_parser("list", help="the collections; with --collection, its files")
    dl.add_argument("--collection", metavar="NAME", help="list this collection's files")
    dl.add_argument("--json", action="store_true", dest="sub_json")
    dr = docs_sub.add_parser(
        "rescan", help="index again: new and changed files read, vanished ones dropped"
    )
    dr.add_argument("--collection", metavar="NAME", help="(default: every collection)")
    dr.add_argument("--json", action="store_true", dest="sub_json")
    dx = docs_sub.add_parser("remove", help="forget a collection and its index (files stay)")
    dx.add_argument("name")
    ds = docs_sub.add_parser("search", help="the passages that best match a query")
    ds.add_argument("query", metavar="QUERY")
    ds.add_argument(
        "--collection",
        action="append",
        metavar="NAME",
        help="search this collection (repeat for more; default: all)",
    )
    ds.add_argument("--top", type=int, default=5, metavar="K", help="results (default 5)")
    ds.add_argument("--json", action="store_true", dest="sub_json")
    add_embedder_command(docs_sub)


def run_docs(ctx: CliContext, args: argparse.Namespace) -> int:
    as_json = bool(getattr(args, "sub_json", False) or args.json)
    command = args.docs_command
    if command == "embedder":
        return run_embedder(ctx, args)
    with open_index(ctx) as index:
        if command == "add":
            return _add(ctx, index, args.paths, args.collection, as_json)
        if command == "list":
            _list(index, args.collection, as_json)
        elif command == "rescan":
            names = [args.collection] if args.collection else [c.name for c in index.collections()]
            if args.collection:
                index.collection_id(args.collection)  # named, and missing: said before work
            reports = {name: _index(index, name, as_json) for name in names}
            embed_new_passages(ctx, index, as_json)
            _print_reports(index, reports, as_json)
        elif command == "remove":
            index.remove_collection(args.name)
            print(f"Collection '{args.name}' removed (its files are untouched)", file=sys.stderr)
        elif command == "search":
            _search(ctx, index, args.query, args.collection, args.top, as_json)
        return 0


@contextmanager
def open_index(ctx: CliContext) -> Iterator[DocumentIndex]:
    from parrotchat.core.docs.index import DocumentIndex

    index = DocumentIndex(ctx.paths.documents_db)
    try:
        yield index
    finally:
        index.close()


def _add(
    ctx: CliContext, index: DocumentIndex, given: list[str], collection: str, as_json: bool
) -> int:
    paths = [_checked_path(p) for p in given]
    index.add_paths(collection, paths)
    report = _index(index, collection, as_json)
    embed_new_passages(ctx, index, as_json)
    _print_reports(index, {collection: report}, as_json)
    return 0


def _checked_path(given: str) -> Path:
    """The path, absolute; ParrotError naming it when it cannot be a document or folder."""
    from parrotchat.core.docs.formats import SUPPORTED_SUFFIXES

    path = Path(given).expanduser()
    if not path.exists():
        raise ParrotError(f"{given}: no such file or folder")
    if path.is_file() and path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kinds = " ".join(sorted(SUPPORTED_SUFFIXES))
        raise ParrotError(f"{given}: not a supported document type (supported: {kinds})")
    if not os.access(path, os.R_OK):
        raise ParrotError(f"{given}: permission denied")
    return path.absolute()


def _index(index: DocumentIndex, collection: str, as_json: bool) -> IndexReport:
    from parrotchat.core.docs.index import index_collection

    line = ProgressLine(sys.stderr, enabled=not as_json)

    def progress(p: IndexProgress) -> None:
        if p.current is None:
            return
        count = f"{p.files_done + 1}/{p.files_total}"
        page = f", p. {p.page}" if p.page else ""
        line.show(f"Indexing {collection}: {count} {Path(p.current).name}{page}")
        line.update(p.bytes_done / p.bytes_total if p.bytes_total else 0.0)

    try:
        return index_collection(index, collection, progress=progress)
    finally:
        line.clear()


def _print_reports(index: DocumentIndex, reports: dict[str, IndexReport], as_json: bool) -> None:
    infos = {c.name: c for c in index.collections()}
    if as_json:
        rows = [
            {"collection": name, **asdict(report), "failed": _failed_json(report)}
            | _totals(infos, name)
            for name, report in reports.items()
        ]
        print(json.dumps({"collections": rows}, ensure_ascii=False))
        return
    for name, report in reports.items():
        for path, reason in report.failed:
            print(f"Failed: {path}: {reason}")
        info = infos.get(name)
        totals = f" ({_files(info.files)}, {_passages(info.chunks)} in all)" if info else ""
        stopped = ", stopped before the end" if report.cancelled else ""
        print(
            f"{name}: {report.indexed} indexed, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.failed)} failed{stopped}{totals}"
        )


def _failed_json(report: IndexReport) -> list[dict[str, str]]:
    return [{"file": path, "reason": reason} for path, reason in report.failed]


def _totals(infos: dict[str, Any], name: str) -> dict[str, int]:
    info = infos.get(name)
    return {"files": info.files, "chunks": info.chunks} if info else {}


def _list(index: DocumentIndex, collection: str | None, as_json: bool) -> None:
    if collection is None:
        collections = index.collections()
        if as_json:
            print(json.dumps({"collections": [asdict(c) for c in collections]}, ensure_ascii=False))
            return
        if not collections:
            print(
                "No document collections yet: add some with parrotchat docs add PATH",
                file=sys.stderr,
            )
        for c in collections:
            failed = f", {c.failed} failed" if c.failed else ""
            print(f"{c.name}: {_files(c.files)}, {_passages(c.chunks)}{failed}")
            for root in c.roots:
                print(f"  {root}")
        return
    files = index.files(collection)
    if as_json:
        print(
            json.dumps(
                {"collection": collection, "files": [asdict(f) for f in files]}, ensure_ascii=False
            )
        )
        return
    for f in files:
        detail = f": {f.reason}" if f.reason else f" ({_passages(f.chunks)})"
        print(f"{f.status:<8} {f.path}{detail}")


def _search(
    ctx: CliContext,
    index: DocumentIndex,
    query: str,
    collections: list[str] | None,
    top: int,
    as_json: bool,
) -> None:
    if not query.strip():
        raise ParrotError("Nothing to search for: the query is empty")
    if top < 1:
        raise ParrotError(f"--top must be at least 1 (got {top})")
    for name in collections or []:
        index.collection_id(name)  # a misspelt name is said before a model loads
    vector, embedder = query_vector(ctx, index, query, as_json)
    hits = index.search(
        query, collections=collections, top_k=top, query_vector=vector, embedder=embedder
    )
    if as_json:
        results = [
            {
                "file": h.file,
                "page": h.page,
                "section": h.section,
                "score": h.score,
                "text": h.text,
                "start": h.start,
                "end": h.end,
                "chunk_id": h.chunk_id,
            }
            for h in hits
        ]
        print(json.dumps({"results": results}, ensure_ascii=False))
        return
    if not hits:
        print("No passage matched the query", file=sys.stderr)
    for n, h in enumerate(hits, 1):
        where = f", p. {h.page}" if h.page is not None else ""
        section = f" ({h.section})" if h.section else ""
        text = " ".join(h.text.split())
        if len(text) > SHOWN_TEXT:
            text = text[: SHOWN_TEXT - 1] + "…"
        print(f"[{n}] {h.file}{where}{section}  score {h.score:.3g}\n    {text}")


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"


def _passages(count: int) -> str:
    return "1 passage" if count == 1 else f"{count} passages"
