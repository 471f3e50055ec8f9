"""Hangul .hwp (HWP 5): OLE compound files with zlib-compressed section records."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import doc_factory as f
import olefile
import pytest

from parrotchat.core.docs.formats import DocumentError, Limits, iter_passages


def test_paragraphs_controls_tables_and_sections(tmp_path: Path) -> None:
    path = f.make_hwp(
        tmp_path / "보고서.hwp",
        sections=[
            [
                "2026년 예산 보고",
                "항목\t금액",
                "첫 줄\n둘째 줄",
                [["구분", "금액"], ["인건비", "1억 원"]],
            ],
            ["Section two, in English."],
        ],
    )

    passages = list(iter_passages(path))

    assert [(p.section, p.text) for p in passages] == [
        (
            "Section 1",
            "2026년 예산 보고\n\n항목\t금액\n\n첫 줄\n둘째 줄\n\n구분 | 금액\n\n인건비 | 1억 원",
        ),
        ("Section 2", "Section two, in English."),
    ]


def test_a_table_caption_is_a_paragraph_of_its_own(tmp_path: Path) -> None:
    records = f.hwp_section_records(
        ["표 앞", [["A0", "B0"], ["A1", "B1"]], "표 뒤"], caption="표 1 예산"
    )
    path = _hwp_with_section(tmp_path / "caption.hwp", records, flags=0)

    text = "\n\n".join(p.text for p in iter_passages(path))

    assert text == "표 앞\n\n표 1 예산\n\nA0 | B0\n\nA1 | B1\n\n표 뒤"


@pytest.mark.parametrize("compressed", [True, False])
def test_long_paragraphs_and_large_streams(tmp_path: Path, compressed: bool) -> None:
    # A paragraph over 4095 bytes uses the record header's extended size; a stream over
    # 4096 bytes leaves the compound file's mini stream for regular sectors.
    long_paragraph = " ".join(f"긴문단{i}" for i in range(900))
    rng = random.Random(13)  # hex noise: compressed, the stream still passes 4096 bytes
    paragraphs = [long_paragraph] + [f"문단 {i}: {rng.getrandbits(128):x}" for i in range(300)]
    path = f.make_hwp(tmp_path / "long.hwp", paragraphs, compressed=compressed)
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.get_size("BodyText/Section0") >= 4096

    text = "\n\n".join(p.text for p in iter_passages(path))

    assert text.replace("\n\n", " ").split() == " ".join(paragraphs).split()


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        (f.HWP_PASSWORD, r"is encrypted \(password-protected\)"),
        (f.HWP_DISTRIBUTION, r"is a distribution document"),
    ],
)
def test_protected_documents_are_refused(tmp_path: Path, flag: int, reason: str) -> None:
    path = f.make_hwp(tmp_path / "locked.hwp", ["비밀"], flags=flag)

    with pytest.raises(DocumentError, match=rf"locked\.hwp: {reason}"):
        list(iter_passages(path))


@pytest.mark.parametrize("fraction", [0.3, 0.8])
def test_truncated_hwp_is_damaged(tmp_path: Path, fraction: float) -> None:
    path = f.truncate(f.make_hwp(tmp_path / "cut.hwp", ["내용 " * 3000]), fraction)

    with pytest.raises(DocumentError, match=r"cut\.hwp: is damaged"):
        list(iter_passages(path))


def _hwp_with_section(path: Path, section: bytes, flags: int = f.HWP_COMPRESSED) -> Path:
    f.write_cfb(path, {"FileHeader": f.hwp_file_header(flags), "BodyText/Section0": section})
    return path


def test_a_section_cut_short_inside_the_compound_file(tmp_path: Path) -> None:
    records = f.hwp_section_records([f"문단 {i} " * 20 for i in range(200)])
    compressed = zlib.compress(records, 9)[2:-4]  # raw deflate, as HWP stores it
    path = _hwp_with_section(tmp_path / "short.hwp", compressed[: len(compressed) // 2])

    with pytest.raises(DocumentError, match=r"short\.hwp: is damaged \(BodyText/Section0 is cut"):
        list(iter_passages(path))


def test_a_section_that_is_not_compressed_data(tmp_path: Path) -> None:
    path = _hwp_with_section(tmp_path / "noise.hwp", bytes(range(7, 256)) * 30)

    with pytest.raises(DocumentError, match=r"noise\.hwp: is damaged \(BodyText/Section0 is not"):
        list(iter_passages(path))


def test_an_incomplete_last_record(tmp_path: Path) -> None:
    records = f.hwp_section_records(["온전한 문단", "잘린 문단"])
    path = _hwp_with_section(tmp_path / "partial.hwp", records[:-5], flags=0)

    with pytest.raises(DocumentError, match=r"partial\.hwp: is damaged .*incomplete"):
        list(iter_passages(path))


def test_a_section_that_inflates_past_the_limit(tmp_path: Path) -> None:
    records = f.hwp_record(f.HWPTAG_PARA_TEXT, 0, b"\x00" * (8 << 20))
    compressed = zlib.compress(records, 9)[2:-4]
    path = _hwp_with_section(tmp_path / "bomb.hwp", compressed)

    with pytest.raises(DocumentError, match=r"bomb\.hwp: looks like a compression bomb"):
        list(iter_passages(path, limits=Limits(hwp_section_bytes=1 << 20)))


def test_not_an_hwp_inside(tmp_path: Path) -> None:
    old = tmp_path / "old.hwp"
    old.write_bytes(b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + bytes(200))
    with pytest.raises(DocumentError, match=r"old\.hwp: is an HWP 3 document"):
        list(iter_passages(old))

    other = tmp_path / "word.hwp"
    f.write_cfb(other, {"WordDocument": b"\x00" * 100})
    with pytest.raises(DocumentError, match=r"word\.hwp: is not an HWP 5 document \(no FileHeader"):
        list(iter_passages(other))
