"""Plain text and Markdown: encodings Korean users have, headings as sections, junk refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from parrotchat.core.docs.formats import (
    SUPPORTED_SUFFIXES,
    DocumentError,
    Limits,
    Passage,
    iter_passages,
)


def _text(passages: list[Passage]) -> str:
    return "\n\n".join(p.text for p in passages)


def test_contract_suffixes() -> None:
    assert {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".hwpx", ".hwp"} <= SUPPORTED_SUFFIXES


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr", "utf-16"])
def test_txt_in_every_korean_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "memo.txt"
    path.write_bytes("예산은 삼억 원입니다.\r\n\r\nThe budget is 300 million won.".encode(encoding))

    passages = list(iter_passages(path))

    assert _text(passages) == "예산은 삼억 원입니다.\n\nThe budget is 300 million won."
    assert all(p.page is None and p.section is None for p in passages)
    assert not passages[0].text.startswith("\ufeff")


def test_long_txt_comes_in_several_passages_with_nothing_lost(tmp_path: Path) -> None:
    paragraphs = [f"문단 {i}: paragraph number {i} " + "가나다 " * 40 for i in range(300)]
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")

    passages = list(iter_passages(path))

    assert len(passages) > 10
    assert _text(passages) == "\n\n".join(p.strip() for p in paragraphs)


def test_markdown_headings_label_their_sections(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text(
        "Intro line.\n\n# 1. 개요\n\n사업 개요입니다.\n\n## 3. 예산 ##\n\n총 예산은 3억 원.\n"
        "```\n# not a heading inside code\n```\n",
        encoding="utf-8",
    )

    passages = list(iter_passages(path))

    by_section = {p.section: p.text for p in passages}
    assert by_section[None] == "Intro line."
    assert "사업 개요입니다." in by_section["1. 개요"]
    assert "총 예산은 3억 원." in by_section["3. 예산"]
    assert "# not a heading inside code" in by_section["3. 예산"]


def test_binary_junk_named_md_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes(bytes(range(256)) * 64)

    with pytest.raises(DocumentError, match=r"notes\.md: is not text"):
        list(iter_passages(path))


def test_bytes_in_no_known_encoding_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(b"\xff\xff\xfa\xfb" * 100)  # neither UTF-8 nor CP949

    with pytest.raises(DocumentError, match=r"odd\.txt: is not text in UTF-8 or CP949"):
        list(iter_passages(path))


def test_empty_file_is_named_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.touch()

    with pytest.raises(DocumentError, match=r"empty\.txt: is empty"):
        list(iter_passages(path))


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "program.exe"
    path.write_bytes(b"MZ" + bytes(100))

    with pytest.raises(DocumentError, match=r"program\.exe: is not a supported document type"):
        list(iter_passages(path))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"gone\.txt: does not exist"):
        list(iter_passages(tmp_path / "gone.txt"))
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(DocumentError, match=r"folder\.md: is not a regular file"):
        list(iter_passages(tmp_path / "folder.md"))


def test_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("a" * 5000, encoding="utf-8")

    with pytest.raises(DocumentError, match=r"huge\.txt: is too large"):
        list(iter_passages(path, limits=Limits(text_bytes=4096)))
