"""A long PDF (made by PDFium, page by page): progress by page, cancel mid-document,
one chunk per page with its number."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_factory import make_big_pdf

from parrotchat.core.docs.index import DocumentIndex, IndexProgress, index_collection
from parrotchat.core.docs.index import indexer as indexer_module

PAGES = 2_000


def test_a_long_pdf_reports_pages_can_be_cancelled_midway_and_is_then_indexed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = make_big_pdf(tmp_path / "long.pdf", pages=PAGES)
    monkeypatch.setattr(indexer_module, "PROGRESS_INTERVAL_S", 0.0)
    with DocumentIndex(tmp_path / "documents.sqlite3") as index:
        index.add_paths("long", [pdf])
        seen: list[IndexProgress] = []

        def stop() -> bool:
            return bool(seen) and (seen[-1].page or 0) >= 300

        report = index_collection(index, "long", progress=seen.append, should_stop=stop)
        assert report.cancelled and report.indexed == 0
        pages = [p.page for p in seen if p.page is not None]
        assert pages == sorted(pages) and 300 <= pages[-1] < PAGES
        (info,) = index.files("long")
        assert (info.status, info.chunks) == ("pending", 0)
        assert index.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        report = index_collection(index, "long")
        assert report.indexed == 1 and not report.cancelled
        (info,) = index.files("long")
        assert (info.status, info.pages, info.chunks) == ("indexed", PAGES, PAGES)
        rows = index.conn.execute("SELECT page FROM chunks ORDER BY ordinal").fetchall()
        assert [r[0] for r in rows] == list(range(1, PAGES + 1))
        hits = index.search("분기 보고서", top_k=3)
        assert len(hits) == 3 and all(h.file == str(pdf) and h.page for h in hits)
