"""Hangul .hwpx: zipped OWPML sections, streamed through expat with any DTD refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import doc_factory as f
import pytest

from parrotchat.core.docs.formats import DocumentError, iter_passages


def test_sections_paragraphs_tabs_and_tables(tmp_path: Path) -> None:
    path = f.make_hwpx(
        tmp_path / "공문.hwpx",
        [
            [
                "제목: 예산 집행 계획",
                "항목\t금액",
                "첫 줄\n둘째 줄",
                [["구분", "금액"], ["인건비", "1억"]],
            ],
            ["Section two is in English.", "마지막 문단 & 끝"],
        ],
    )

    passages = list(iter_passages(path))

    assert [(p.section, p.text) for p in passages] == [
        (
            "Section 1",
            "제목: 예산 집행 계획\n\n항목\t금액\n\n첫 줄\n둘째 줄\n\n구분 | 금액\n\n인건비 | 1억",
        ),
        ("Section 2", "Section two is in English.\n\n마지막 문단 & 끝"),
    ]
    assert all(p.page is None for p in passages)


def test_sections_in_numeric_order(tmp_path: Path) -> None:
    path = f.make_hwpx(tmp_path / "many.hwpx", [[f"구역 {i}"] for i in range(12)])

    passages = list(iter_passages(path))

    assert [p.text for p in passages] == [f"구역 {i}" for i in range(12)]
    assert passages[11].section == "Section 12"


@pytest.mark.parametrize("fraction", [0.4, 0.95])
def test_truncated_hwpx_is_damaged(tmp_path: Path, fraction: float) -> None:
    path = f.truncate(f.make_hwpx(tmp_path / "cut.hwpx", [["내용 " * 300]]), fraction)

    with pytest.raises(DocumentError, match=r"cut\.hwpx: is damaged"):
        list(iter_passages(path))


def test_zip_bomb_named_hwpx(tmp_path: Path) -> None:
    path = f.make_zip_bomb(tmp_path / "bomb.hwpx")

    with pytest.raises(DocumentError, match=r"bomb\.hwpx: looks like a zip bomb"):
        list(iter_passages(path))


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE sec [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;">]>'
        '<hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
        'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph"><hp:p><hp:run><hp:t>&c;</hp:t>'
        "</hp:run></hp:p></hs:sec>"
    )
    path = tmp_path / "laughs.hwpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/hwp+zip")
        archive.writestr("Contents/section0.xml", laughs)

    with pytest.raises(DocumentError, match=r"laughs\.hwpx: is refused .*DTD"):
        list(iter_passages(path))


def test_broken_xml_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "broken.hwpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Contents/section0.xml", "<hs:sec><hp:p><hp:t>열린 태그")

    with pytest.raises(DocumentError, match=r"broken\.hwpx: is damaged \(Contents/section0.xml"):
        list(iter_passages(path))


def test_encrypted_hwpx_is_refused(tmp_path: Path) -> None:
    path = f.make_hwpx(tmp_path / "locked.hwpx", [["비밀"]], encrypted=True)

    with pytest.raises(DocumentError, match=r"locked\.hwpx: is encrypted"):
        list(iter_passages(path))


def test_a_zip_without_sections(tmp_path: Path) -> None:
    path = tmp_path / "other.hwpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(DocumentError, match=r"other\.hwpx: is not an HWPX document"):
        list(iter_passages(path))


def test_a_table_inside_a_cell_stays_in_that_cell(tmp_path: Path) -> None:
    inner = f.hwpx_section_xml([[["안쪽1", "안쪽2"]]])
    inner_table = inner[inner.index("<hp:p") : inner.rindex("</hs:sec>")]
    section = (
        '<hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
        'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph">'
        "<hp:p><hp:run><hp:t>표 앞 글</hp:t><hp:tbl><hp:tr>"
        f"<hp:tc><hp:subList><hp:p><hp:run><hp:t>바깥</hp:t></hp:run></hp:p>{inner_table}"
        "</hp:subList></hp:tc>"
        "<hp:tc><hp:subList><hp:p><hp:run><hp:t>옆 칸</hp:t></hp:run></hp:p></hp:subList></hp:tc>"
        "</hp:tr></hp:tbl><hp:t>표 뒤 글</hp:t></hp:run></hp:p></hs:sec>"
    )
    path = tmp_path / "nested.hwpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Contents/section0.xml", section)

    [passage] = iter_passages(path)

    assert passage.text == "표 앞 글\n\n바깥 안쪽1 | 안쪽2 | 옆 칸\n\n표 뒤 글"
