"""Prompt slices: in order, whole, never longer than a batch, never more calls than plain."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from parrotchat.engine.local.runtime import KV_PAD, prompt_chunks


@given(
    n_past=st.integers(0, 5000),
    n=st.integers(1, 5000),
    n_batch=st.sampled_from([32, 64, 256, 300, 512, 1000, 2048]),
)
def test_slices_cover_the_prompt_in_order_within_the_batch(
    n_past: int, n: int, n_batch: int
) -> None:
    chunks = prompt_chunks(n_past, n, n_batch)
    assert chunks[0][0] == 0 and chunks[-1][1] == n
    assert all(a < b <= a + n_batch for a, b in chunks)
    assert all(prev[1] == nxt[0] for prev, nxt in itertools.pairwise(chunks))
    assert len(chunks) <= -(-n // n_batch), "never more llama_decode calls than plain slices"


def test_after_a_cached_prefix_slices_end_on_the_kv_padding() -> None:
    # 30 cached tokens, 1,650 new: plain slices would end at 542, 1054, 1566.
    chunks = prompt_chunks(30, 1650, 512)
    assert [(30 + b) % KV_PAD for _, b in chunks[:-1]] == [0] * (len(chunks) - 1)
    assert len(chunks) == 4
