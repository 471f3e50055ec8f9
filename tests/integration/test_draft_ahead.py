"""Draft ahead on the real starter model: drafts are checked, rolled back and counted."""

from __future__ import annotations

import threading
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_replies import reply

from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.local.prompt_lookup import MAX_DRAFT
from parrotchat.engine.local.runtime import LlamaRuntime

REPEAT = "Repeat exactly: the quick brown fox jumps over the lazy dog. " * 2


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


TEXTS = st.sampled_from(
    [
        "The parrot repeats every word it hears in the kitchen.",
        "서울의 앵무새는 아침마다 같은 노래를 부릅니다.",
        "Copy this list: apples, pears, plums, apples, pears, plums.",
        "def add(a, b):\n    return a + b\n",
        "Rain falls on the green river while the sky stays grey.",
    ]
)

# Prompts the model copies in part and rewrites in part, so that drafts are both kept and
# rejected.
PROMPTS = st.sampled_from(
    [
        "Repeat this text exactly: {}",
        "Summarize in one sentence: {}",
        "Translate into Korean: {}",
        "Why is this true? {}",
        "Answer using these words: {}",
    ]
)


def test_this_build_gives_batches_the_logits_of_single_tokens(starter_model: Path) -> None:
    """The README's install builds llama.cpp without llamafile's sgemm; with it, a batch
    sums in another order and the engine would not draft at all (the next test). The
    check runs once, at the first reply with draft ahead on."""
    rt = LlamaRuntime(threading.Event())
    info = rt.load(str(starter_model), 1024, 0, 2, 512, None, lambda _f: None)
    try:
        assert info.exact_drafts is None
        _, plain = reply(rt, REPEAT, draft_ahead=False)
        assert info.exact_drafts is None and plain.exact_drafts is None
        # Stopped before the check could tell (a client that walked away at once): the
        # reply ends cancelled without waiting for it, and the next reply checks.
        rt.cancel.set()
        _, stopped = reply(rt, REPEAT)
        rt.cancel.clear()
        assert stopped.stop_reason == "cancelled" and stopped.reply_tokens == 0
        assert info.exact_drafts is None
        text, stats = reply(rt, REPEAT)
        assert info.exact_drafts is True and stats.exact_drafts is True
        assert "quick brown fox" in text and stats.draft_tokens > 0
    finally:
        rt.unload()


def test_no_drafts_where_batches_are_not_exact(runtime: LlamaRuntime) -> None:
    assert runtime.info is not None
    runtime.info.exact_drafts = False
    try:
        text, stats = reply(runtime, REPEAT)
    finally:
        runtime.info.exact_drafts = True
    assert "quick brown fox" in text
    assert (stats.draft_tokens, stats.accepted_tokens) == (0, 0)


def reply_bytes(rt: LlamaRuntime, prompt: str, draft: bool, **sampling: object) -> bytes:
    text, _ = reply(rt, prompt, max_tokens=40, draft_ahead=draft, **sampling)
    return text.encode("utf-8")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(form=PROMPTS, text=TEXTS, repeats=st.integers(1, 3))
def test_greedy_replies_are_byte_identical_with_drafts(
    runtime: LlamaRuntime, form: str, text: str, repeats: int
) -> None:
    prompt = form.format(" ".join([text] * repeats))
    _, stats = reply(runtime, prompt, max_tokens=40)
    assert reply_bytes(runtime, prompt, True) == reply_bytes(runtime, prompt, False)
    assert stats.accepted_tokens <= stats.draft_tokens


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    form=PROMPTS,
    text=TEXTS,
    seed=st.integers(0, 2**31 - 1),
    temperature=st.sampled_from([0.3, 0.8, 1.2]),
    penalty=st.sampled_from([1.0, 1.15]),
)
def test_sampled_replies_are_the_same_draw_with_drafts(
    runtime: LlamaRuntime, form: str, text: str, seed: int, temperature: float, penalty: float
) -> None:
    """Same seed, same reply: the sampler draws once per kept token, from the same logits,
    so drafts change neither the distribution nor the single draw."""
    prompt = form.format(text)
    sampling = {"temperature": temperature, "seed": seed, "repeat_penalty": penalty}
    drafted = reply_bytes(runtime, prompt, True, **sampling)
    assert drafted == reply_bytes(runtime, prompt, False, **sampling)


def test_sampled_drafts_are_kept_and_rejected(runtime: LlamaRuntime) -> None:
    """The identity above is not vacuous: at temperature 0.8 over a copy task, drafts are
    both kept and rejected across a few seeds."""
    drafted = accepted = 0
    for seed in range(6):
        _, stats = reply(runtime, REPEAT, temperature=0.8, seed=seed, max_tokens=40)
        drafted += stats.draft_tokens
        accepted += stats.accepted_tokens
    assert 0 < accepted < drafted
