"""PDF: real files from fpdf2 (Korean in an embedded CJK font) read through PDFium."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path

import doc_factory as f
import pytest

from parrotchat.core.docs.formats import DocumentError, iter_passages


def test_text_comes_out_with_its_page_numbers(tmp_path: Path) -> None:
    path = f.make_pdf(
        tmp_path / "report.pdf",
        ["1쪽: 올해 예산은 3억 원이다.", "", "Page three: the deadline is March 5."],
    )

    passages = list(iter_passages(path))

    assert [(p.page, p.text) for p in passages] == [
        (1, "1쪽: 올해 예산은 3억 원이다."),
        (3, "Page three: the deadline is March 5."),
    ]
    assert all(p.section is None for p in passages)


def test_bookmarks_become_sections(tmp_path: Path) -> None:
    path = f.make_pdf(
        tmp_path / "outline.pdf",
        ["표지 cover", "개요 본문", "개요 계속", "예산 본문"],
        outline={2: "1. 개요", 4: "3. 예산"},
    )

    passages = list(iter_passages(path))

    assert [(p.page, p.section) for p in passages] == [
        (1, None),
        (2, "1. 개요"),
        (3, "1. 개요"),
        (4, "3. 예산"),
    ]


def test_a_page_of_many_lines_keeps_every_line(tmp_path: Path) -> None:
    lines = [f"{i}번째 줄 line {i}" for i in range(60)]  # wraps onto a second page
    path = f.make_pdf(tmp_path / "lines.pdf", ["\n".join(lines)])

    passages = list(iter_passages(path))
    text = "\n".join(p.text for p in passages)

    for line in lines:
        assert line in text
    assert {p.page for p in passages} == {1, 2}


def test_password_protected_pdf_is_refused_as_encrypted(tmp_path: Path) -> None:
    path = f.make_encrypted_pdf(tmp_path / "secret.pdf")

    with pytest.raises(DocumentError, match=r"secret\.pdf: is encrypted \(password-protected\)"):
        list(iter_passages(path))


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.97])
def test_truncated_pdf_is_damaged(tmp_path: Path, fraction: float) -> None:
    path = f.make_pdf(tmp_path / "cut.pdf", ["첫 페이지", "second page", "셋째"])
    f.truncate(path, fraction)

    with pytest.raises(DocumentError, match=r"cut\.pdf: is damaged"):
        list(iter_passages(path))


def test_a_pdf_without_a_text_layer_says_so(tmp_path: Path) -> None:
    path = f.make_pdf(tmp_path / "scan.pdf", ["", ""])

    with pytest.raises(DocumentError, match=r"scan\.pdf: has no text layer"):
        list(iter_passages(path))


def test_not_a_pdf_inside(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("just words, not a PDF", encoding="utf-8")

    with pytest.raises(DocumentError, match=r"fake\.pdf: is not a PDF"):
        list(iter_passages(path))


PAGE = "분기 보고서: 매출과 비용을 정리한 쪽입니다. Quarterly report page. " * 12


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return f.make_big_pdf(tmp_path_factory.mktemp("big") / "big.pdf", pages=10_000, text=PAGE)


def test_ten_thousand_pages_stream_page_by_page(big_pdf: Path) -> None:
    # Its text is ~6 million characters; streaming holds about one page at a time.
    whole_text_bytes = 10_000 * len(PAGE) * 2
    started = time.monotonic()
    passages = iter_passages(big_pdf)
    tracemalloc.start()
    try:
        first = [next(passages) for _ in range(100)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < whole_text_bytes / 10
    assert first[0].page == 1 and "분기 보고서" in first[0].text

    last_page = first[-1].page
    count = len(first)
    for passage in passages:
        assert passage.page is not None and passage.page >= (last_page or 0)
        last_page = passage.page
        count += 1

    assert last_page == 10_000
    assert count >= 10_000
    # A gross bound (the machine is shared and slow): minutes would mean it is not streaming.
    assert time.monotonic() - started < 240


def test_stopping_early_closes_the_document(big_pdf: Path) -> None:
    passages = iter_passages(big_pdf)
    assert next(passages).page == 1
    passages.close()  # the indexer's Cancel: no error, nothing left open


def test_threads_reading_pdfs_at_once_get_the_same_text(tmp_path: Path) -> None:
    # PDFium is not thread-safe; the reader serialises its calls, so an indexing thread
    # and the window (or two collections) can read PDFs at the same time.
    path = f.make_big_pdf(tmp_path / "shared.pdf", pages=300, text="동시에 읽기 concurrent read")
    expected = [(p.page, p.text) for p in iter_passages(path)]
    results: list[list[tuple[int | None, str]]] = []

    def read() -> None:
        results.append([(p.page, p.text) for p in iter_passages(path)])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == 4
    assert all(result == expected for result in results)
