"""Chunking: sizes, boundaries, offsets into the extracted text, pages kept apart."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from parrotchat.core.docs.formats import Passage
from parrotchat.core.docs.index.chunking import (
    CHUNK_MAX,
    CHUNK_MIN,
    PASSAGE_SEPARATOR,
    Chunk,
    chunk_passages,
)


def _extracted(passages: list[Passage]) -> str:
    return PASSAGE_SEPARATOR.join(p.text for p in passages)


def _covered(chunks: list[Chunk], text: str) -> bool:
    """Every non-space character of `text` is inside some chunk."""
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    return all(covered[i] or text[i].isspace() for i in range(len(text)))


def test_english_chunks_end_at_sentences_within_bounds_and_overlap() -> None:
    text = " ".join(f"Sentence {i} tells about the budget of year {2000 + i}." for i in range(300))
    passages = [Passage(text)]
    chunks = list(chunk_passages(passages))

    extracted = _extracted(passages)
    assert len(chunks) > 5
    for c in chunks:
        assert extracted[c.start : c.end] == c.text
        assert len(c.text) <= CHUNK_MAX
        assert c.text.endswith(".") and c.text.startswith("Sentence")
    assert all(len(c.text) >= CHUNK_MIN for c in chunks[:-1])
    # Consecutive chunks overlap (an answer cut by a boundary is whole in one).
    assert all(b.start < a.end for a, b in itertools.pairwise(chunks))
    assert _covered(chunks, extracted)


def test_paragraph_breaks_win_over_sentence_ends() -> None:
    paragraph = "One sentence here. " * 25  # ~475 characters
    passages = [Passage("\n\n".join([paragraph.strip()] * 6))]
    chunks = list(chunk_passages(passages))
    extracted = _extracted(passages)
    for c in chunks[:-1]:
        assert extracted[c.end : c.end + 2] == "\n\n"


def test_korean_without_spaces_is_cut_at_the_length() -> None:
    text = "가나다라마바사아자차카타파하" * 300  # no space, no sentence end
    chunks = list(chunk_passages([Passage(text)]))
    assert all(len(c.text) == CHUNK_MAX for c in chunks[:-1])
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert _covered(chunks, text)


def test_korean_sentences_end_at_their_full_stop() -> None:
    text = " ".join(f"{i}번째 회의에서 예산을 논의했다." for i in range(200))
    chunks = list(chunk_passages([Passage(text)]))
    assert len(chunks) > 3
    assert all(c.text.endswith("논의했다.") for c in chunks)


def test_a_chunk_never_spans_two_pages_or_sections() -> None:
    passages = [
        Passage("첫 페이지의 글. " * 30, page=1),
        Passage("Second page text. " * 100, page=2),
        Passage("Same page, new section. " * 10, page=2, section="3. 예산"),
    ]
    chunks = list(chunk_passages(passages))
    extracted = _extracted(passages)
    assert next(c.page for c in chunks) == 1 and chunks[-1].section == "3. 예산"
    first_page_end = len(passages[0].text)
    for c in chunks:
        assert extracted[c.start : c.end] == c.text
        if c.page == 1:
            assert c.end <= first_page_end
        else:
            assert c.start > first_page_end
    assert {(c.page, c.section) for c in chunks} == {(1, None), (2, None), (2, "3. 예산")}


def test_passages_of_one_page_are_joined_into_one_chunk() -> None:
    passages = [Passage(f"Paragraph {i}.", page=4) for i in range(5)]
    (chunk,) = chunk_passages(passages)
    assert chunk.text == _extracted(passages) and chunk.page == 4
    assert (chunk.start, chunk.end) == (0, len(_extracted(passages)))


def test_blank_passages_make_no_chunk() -> None:
    assert list(chunk_passages([Passage("   \n  ")])) == []


_TEXT = st.lists(
    st.sampled_from(["abc", "가나다", " ", "  ", ".", "\n", "\n\n", "!", "?", "。", "x" * 300]),
    max_size=400,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.sampled_from([None, 1, 2])), min_size=1, max_size=6))
def test_offsets_and_coverage_hold_for_any_text(parts: list[tuple[str, int | None]]) -> None:
    passages = [Passage(text, page=page) for text, page in parts]
    extracted = _extracted(passages)
    chunks = list(chunk_passages(passages))
    for c in chunks:
        assert c.text and c.text == c.text.strip()
        assert extracted[c.start : c.end] == c.text
        assert len(c.text) <= CHUNK_MAX
    assert _covered(chunks, extracted)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
