"""HTML: visible text only, headings as sections, the page's declared charset honoured."""

from __future__ import annotations

from pathlib import Path

import doc_factory as f
import pytest

from parrotchat.core.docs.formats import DocumentError, iter_passages


@pytest.mark.parametrize("encoding", ["utf-8", "euc-kr"])
def test_headings_sections_and_no_script(tmp_path: Path, encoding: str) -> None:
    path = f.make_html(
        tmp_path / "page.html",
        "사업 안내",
        [("1. 개요", ["개요 문단 & 설명", "Second paragraph."]), ("2. 예산", ["총 3억 원"])],
        encoding=encoding,
    )

    passages = list(iter_passages(path))

    assert [(p.section, p.text) for p in passages] == [
        (None, "사업 안내"),
        ("1. 개요", "1. 개요\n\n개요 문단 & 설명\n\nSecond paragraph."),
        ("2. 예산", "2. 예산\n\n총 3억 원"),
    ]
    text = " ".join(p.text for p in passages)
    assert "alert" not in text and "color" not in text


def test_tables_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "table.htm"
    path.write_text(
        "<html><body><p>first<br>second</p><table><tr><th>항목</th><th>금액</th></tr>"
        "<tr><td>인건비</td><td>1억</td></tr></table></body></html>",
        encoding="utf-8",
    )

    text = "\n\n".join(p.text for p in iter_passages(path))

    assert text == "first\n\nsecond\n\n항목 | 금액\n\n인건비 | 1억"


def test_binary_named_html_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.html"
    path.write_bytes(bytes(range(256)) * 10)

    with pytest.raises(DocumentError, match=r"junk\.html: is not text"):
        list(iter_passages(path))


def test_a_page_with_no_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><head><script>x()</script></head><body> </body></html>", "utf-8")

    with pytest.raises(DocumentError, match=r"blank\.html: has no text"):
        list(iter_passages(path))
