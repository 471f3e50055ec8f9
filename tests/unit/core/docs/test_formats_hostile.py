"""Every reader, fed damaged and hostile bytes: a DocumentError naming the file, nothing else."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import doc_factory as f
import pytest

from parrotchat.core.docs.formats import SUPPORTED_SUFFIXES, DocumentError, iter_passages

MAKERS: dict[str, Callable[[Path], Path]] = {
    ".txt": lambda p: (p.write_text("예산 보고서\n\n본문 text", "utf-8"), p)[1],
    ".md": lambda p: (p.write_text("# 제목\n\n본문 text", "utf-8"), p)[1],
    ".html": lambda p: f.make_html(p, "제목", [("개요", ["본문 text"])]),
    ".htm": lambda p: f.make_html(p, "제목", [("개요", ["본문 text"])]),
    ".pdf": lambda p: f.make_pdf(p, ["첫 페이지 본문 text", "둘째 페이지"]),
    ".docx": lambda p: f.make_docx(p, ["본문 text", "둘째"], {0: "제목"}, [["a", "b"]]),
    ".hwpx": lambda p: f.make_hwpx(p, [["본문 text", [["a", "b"]]], ["둘째 구역"]]),
    ".hwp": lambda p: f.make_hwp(p, sections=[["본문 text\t탭", [["a", "b"]]], ["둘째 구역"]]),
}


def test_every_supported_suffix_has_a_maker() -> None:
    assert set(MAKERS) <= SUPPORTED_SUFFIXES
    assert {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".hwpx", ".hwp"} <= set(MAKERS)


@pytest.mark.parametrize("suffix", sorted(MAKERS))
def test_the_valid_file_reads(tmp_path: Path, suffix: str) -> None:
    passages = list(iter_passages(MAKERS[suffix](tmp_path / f"good{suffix}")))

    assert "본문 text" in "\n".join(p.text for p in passages)


@pytest.mark.parametrize("suffix", sorted(MAKERS))
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.touch()

    with pytest.raises(DocumentError, match=rf"empty{suffix}: is empty \(0 bytes\)"):
        list(iter_passages(path))


@pytest.mark.parametrize("suffix", sorted(MAKERS))
def test_binary_junk(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(random.Random(suffix).randbytes(20_000))

    with pytest.raises(DocumentError) as caught:
        list(iter_passages(path))

    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


@pytest.mark.parametrize("name", ["archive.zip", "script.sh", "README", "photo.JPG"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"#!/bin/sh\necho never run\n")

    with pytest.raises(DocumentError, match=r"is not a supported document type"):
        list(iter_passages(path))


def test_suffix_case_does_not_matter(tmp_path: Path) -> None:
    path = f.make_pdf(tmp_path / "SCAN.PDF", ["대문자 확장자"])

    assert [p.text for p in iter_passages(path)] == ["대문자 확장자"]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    damaged = bytearray(data)
    match rng.randrange(3):
        case 0:  # bit rot: a few bytes flipped
            for _ in range(rng.randint(1, 12)):
                damaged[rng.randrange(len(damaged))] ^= rng.randint(1, 255)
        case 1:  # cut short anywhere
            del damaged[rng.randrange(1, len(damaged)) :]
        case _:  # a run of junk written over the middle
            start = rng.randrange(len(damaged))
            damaged[start : start + 64] = rng.randbytes(64)
    return bytes(damaged)


@pytest.mark.parametrize("suffix", sorted(MAKERS))
def test_damaged_files_never_raise_anything_else(tmp_path: Path, suffix: str) -> None:
    good = MAKERS[suffix](tmp_path / f"good{suffix}").read_bytes()
    rng = random.Random(f"damage{suffix}")
    outcomes = {"read": 0, "refused": 0}
    for attempt in range(40):
        path = tmp_path / f"damaged{attempt}{suffix}"
        path.write_bytes(_mutate(good, rng))
        try:
            passages = list(iter_passages(path))
        except DocumentError as exc:
            assert str(exc).startswith(f"{path}: "), str(exc)
            assert "\n" not in str(exc)
            outcomes["refused"] += 1
        else:
            assert all(isinstance(p.text, str) for p in passages)
            outcomes["read"] += 1
    assert outcomes["refused"] > 0
