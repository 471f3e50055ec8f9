"""Draft ahead on the real starter model: drafts are checked, rolled back and counted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.local.prompt_lookup import MAX_DRAFT
from parrotchat.engine.local.runtime import LlamaRuntime
from parrotchat.engine.protocol import ReplyStats

REPEAT = "Repeat exactly: the quick brown fox jumps over the lazy dog. " * 2


@pytest.fixture(scope="module")
def runtime(starter_model: Path) -> Iterator[LlamaRuntime]:
    rt = LlamaRuntime(threading.Event())
    rt.load(str(starter_model), 1024, 0, 1, 512, None, lambda _f: None)
    yield rt
    rt.unload()


def reply(
    rt: LlamaRuntime, text: str, fresh: bool = True, **sampling: object
) -> tuple[str, ReplyStats]:
    if fresh:  # nothing cached from an earlier test
        assert rt.llm is not None
        rt.llm.n_tokens = 0
        rt.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    params = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=48)
    out: list[str] = []
    stats = rt.chat(
        [{"role": "user", "content": text}],
        params.with_overrides(dict(sampling)),
        "drop_oldest",
        None,
        lambda text, _n: out.append(text),
    )
    return "".join(out), stats


def test_drafts_are_checked_and_counted_only_when_on(runtime: LlamaRuntime) -> None:
    text, stats = reply(runtime, REPEAT)
    assert "quick brown fox" in text
    assert stats.draft_tokens > 0
    assert 0 < stats.accepted_tokens <= stats.draft_tokens
    _, plain = reply(runtime, REPEAT, draft_ahead=False)
    assert (plain.draft_tokens, plain.accepted_tokens) == (0, 0)


def test_max_tokens_and_stop_strings_hold_with_drafts(runtime: LlamaRuntime) -> None:
    for n in (1, 2, 5, 9):
        _, stats = reply(runtime, REPEAT, max_tokens=n)
        assert (stats.reply_tokens, stats.stop_reason) == (n, "length")
    text, stats = reply(runtime, REPEAT, stop=["lazy"])
    assert stats.stop_reason == "stop_string"
    assert "lazy" not in text and "brown fox" in text


def test_cancel_stops_a_drafted_reply_within_a_batch(runtime: LlamaRuntime) -> None:
    seen: list[str] = []

    def emit(piece: str, _n: int) -> None:
        seen.append(piece)
        if len(seen) == 3:
            runtime.cancel.set()

    assert runtime.llm is not None
    runtime.llm.n_tokens = 0
    params = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=200)
    stats = runtime.chat([{"role": "user", "content": REPEAT}], params, "drop_oldest", None, emit)
    assert stats.stop_reason == "cancelled"
    assert stats.reply_tokens <= 3 + MAX_DRAFT + 1
    runtime.cancel.clear()


def test_next_turn_reuses_the_cache_after_drafts(runtime: LlamaRuntime) -> None:
    first, stats1 = reply(runtime, REPEAT)
    assert stats1.draft_tokens > 0
    assert runtime.llm is not None
    # The cache holds exactly the prompt and the reply's decoded tokens: no rejected draft.
    held = runtime.llm.detokenize(
        runtime.llm.input_ids[stats1.prompt_tokens : runtime.llm.n_tokens].tolist()
    ).decode("utf-8", errors="replace")
    assert first.startswith(held)
    _, again = reply(runtime, REPEAT, fresh=False)
    assert again.cached_tokens == stats1.prompt_tokens - 1


def test_seeded_sampling_repeats_with_drafts(runtime: LlamaRuntime) -> None:
    a, _ = reply(runtime, REPEAT, temperature=0.8, seed=7, repeat_penalty=1.1)
    b, _ = reply(runtime, REPEAT, temperature=0.8, seed=7, repeat_penalty=1.1)
    assert a == b and a


WORDS = st.sampled_from(["parrot", "green", "seed", "sky", "talks", "the", "a", "river", "Seoul"])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(WORDS, min_size=3, max_size=12), repeats=st.integers(1, 4))
def test_every_drafted_reply_leaves_a_consistent_cache(
    runtime: LlamaRuntime, words: list[str], repeats: int
) -> None:
    prompt = "Copy this text: " + " ".join(words * repeats)
    text, stats = reply(runtime, prompt, max_tokens=24)
    assert runtime.llm is not None
    assert stats.reply_tokens <= 24
    assert stats.accepted_tokens <= stats.draft_tokens
    # Every decoded reply token in the cache is a token of the reply, in order.
    kept = runtime.llm.n_tokens - stats.prompt_tokens
    assert stats.reply_tokens - 1 <= kept <= stats.reply_tokens
    held = runtime.llm.detokenize(
        runtime.llm.input_ids[stats.prompt_tokens : runtime.llm.n_tokens].tolist()
    ).decode("utf-8", errors="replace")
    assert text.startswith(held.rstrip("\ufffd"))
