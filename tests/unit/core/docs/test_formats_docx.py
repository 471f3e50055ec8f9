"""Word .docx: real files from python-docx; headings become sections, tables stay in place."""

from __future__ import annotations

import zipfile
from pathlib import Path

import doc_factory as f
import pytest

from parrotchat.core.docs.formats import DocumentError, Limits, iter_passages


def test_paragraphs_headings_and_table_in_reading_order(tmp_path: Path) -> None:
    path = f.make_docx(
        tmp_path / "plan.docx",
        ["사업 계획서입니다.", "The budget follows.", "표 다음 문단.", "Schedule: March."],
        headings={1: "3. 예산", 3: "4. Schedule"},
        table=[["항목", "금액"], ["인건비", "1억 원"]],
        table_after=1,
    )

    passages = list(iter_passages(path))

    assert [p.section for p in passages] == [None, "3. 예산", "4. Schedule"]
    assert passages[0].text == "사업 계획서입니다."
    assert passages[1].text == (
        "3. 예산\n\nThe budget follows.\n\n항목 | 금액\n인건비 | 1억 원\n\n표 다음 문단."
    )
    assert passages[2].text == "4. Schedule\n\nSchedule: March."
    assert all(p.page is None for p in passages)


@pytest.mark.parametrize("fraction", [0.3, 0.9])
def test_truncated_docx_is_damaged(tmp_path: Path, fraction: float) -> None:
    path = f.truncate(f.make_docx(tmp_path / "cut.docx", ["내용 " * 500]), fraction)

    with pytest.raises(DocumentError, match=r"cut\.docx: is damaged"):
        list(iter_passages(path))


def test_zip_bomb_is_refused_without_unpacking(tmp_path: Path) -> None:
    path = f.make_zip_bomb(tmp_path / "bomb.docx", unpacked_mib=2048)

    with pytest.raises(DocumentError, match=r"bomb\.docx: looks like a zip bomb"):
        list(iter_passages(path))


def test_a_smaller_bomb_is_caught_by_its_ratio(tmp_path: Path) -> None:
    path = f.make_zip_bomb(tmp_path / "small-bomb.docx", unpacked_mib=50)

    with pytest.raises(DocumentError, match=r"small-bomb\.docx: looks like a zip bomb \(word/"):
        list(iter_passages(path))


def test_too_many_members_is_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(50):
            archive.writestr(f"junk/{i}.xml", "<x/>")

    with pytest.raises(DocumentError, match=r"many\.docx: looks like a zip bomb \(50 members"):
        list(iter_passages(path, limits=Limits(zip_members=20)))


def test_a_zip_that_is_not_a_word_document(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")

    with pytest.raises(DocumentError, match=r"other\.docx: is not a Word document"):
        list(iter_passages(path))


def test_a_damaged_member_is_named(tmp_path: Path) -> None:
    path = f.make_docx(tmp_path / "crc.docx", ["손상된 문서 " * 200])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("word/document.xml")
    # Flip bytes inside the member's compressed data: its CRC no longer matches.
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    path.write_bytes(bytes(data))

    with pytest.raises(DocumentError, match=r"crc\.docx: is damaged"):
        list(iter_passages(path))
