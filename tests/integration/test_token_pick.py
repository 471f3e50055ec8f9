"""The engine's own greedy pick (numpy's argmax, the repeat penalty applied to recent
tokens only) against llama.cpp's sampler chain, on the logits of the starter model."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import llama_cpp
import llama_cpp._internals as llama_internals
import numpy as np
import pytest
from runtime_replies import reply

from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.local.runtime import PENALTY_LAST_N, LlamaRuntime
from parrotchat.engine.local.token_pick import ArgmaxPick, ChainPick

PROMPTS = [
    "<|im_start|>user\nSay hi.<|im_end|>\n<|im_start|>assistant\n",
    "1, 2, 3, 4, 5, 6, 7, 8,",
    "The parrot lived in a small shop in Seoul, where it",
    "<|im_start|>user\n서울에 대해 한 문장으로 말해 줘.<|im_end|>\n<|im_start|>assistant\n",
]


def _chain(n_vocab: int, banned: list[int], penalty: float) -> llama_internals.LlamaSampler:
    """What the engine ran before it picked greedy tokens itself: the reference."""
    chain = llama_internals.LlamaSampler()  # type: ignore[no-untyped-call]
    if banned:
        chain.add_logit_bias(n_vocab, {t: float("-inf") for t in banned})
    if penalty != 1.0:
        chain.add_penalties(n_vocab, PENALTY_LAST_N, penalty, 0.0, 0.0)
    chain.add_greedy()  # type: ignore[no-untyped-call]
    return chain


def logits_at(llm: llama_cpp.Llama) -> Callable[[int], Any]:
    return functools.partial(llama_cpp.llama_get_logits_ith, llm.ctx)


def _chain_pick(llm: llama_cpp.Llama, chain: llama_internals.LlamaSampler) -> ChainPick:
    return ChainPick(
        chain, functools.partial(llama_cpp.llama_sampler_sample, chain.sampler, llm.ctx)
    )


@pytest.mark.parametrize(
    ("penalty", "ignore_eos"), [(1.0, False), (1.1, False), (1.3, True), (0.8, True)]
)
def test_argmax_picks_what_the_chain_picks(
    runtime: LlamaRuntime, penalty: float, ignore_eos: bool
) -> None:
    llm = runtime.llm
    assert llm is not None
    n_vocab = llm.n_vocab()
    eog = [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(runtime._vocab, t)]
    banned = eog if ignore_eos else []
    penalised_changed = banned_hit = steps = 0
    for prompt in PROMPTS:
        llm.n_tokens = 0
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        llm.eval(llm.tokenize(prompt.encode(), add_bos=True, special=True))
        ours = ArgmaxPick(logits_at(llm), n_vocab, banned, penalty, PENALTY_LAST_N)
        reference = _chain_pick(llm, _chain(n_vocab, banned, penalty))
        for _ in range(120):
            raw = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), (n_vocab,))
            plain = int(raw.argmax())
            token = ours(-1)
            assert token == reference(-1), (prompt, steps)
            steps += 1
            penalised_changed += plain != token and plain not in banned
            banned_hit += plain in banned
            if token in eog:
                break
            llm.eval([token])
    # The cases did what they are named for: a penalty changed picks, a ban was needed.
    assert steps > 200
    if penalty != 1.0:
        assert penalised_changed > 0
    if ignore_eos:
        assert banned_hit > 0


def test_the_greedy_reply_is_the_chains_reply(
    runtime: LlamaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine's decode loops (plain and drafted), with the default penalty."""

    def chain_picker(self: LlamaRuntime, sampling: SamplingParams, ignore_eos: bool) -> ChainPick:
        assert self.llm is not None
        n_vocab = self.llm.n_vocab()
        return _chain_pick(self.llm, _chain(n_vocab, [], sampling.repeat_penalty))

    prompts = ["Repeat: the quick brown fox jumps over the lazy dog. " * 3, "Tell me a story."]
    ours = [
        reply(runtime, p, max_tokens=96, repeat_penalty=1.1, draft_ahead=d)
        for p in prompts
        for d in (False, True)
    ]
    monkeypatch.setattr(LlamaRuntime, "_picker", chain_picker)
    theirs = [
        reply(runtime, p, max_tokens=96, repeat_penalty=1.1, draft_ahead=d)
        for p in prompts
        for d in (False, True)
    ]
    assert [text for text, _ in ours] == [text for text, _ in theirs]
    assert all(stats.reply_tokens >= 30 for _, stats in ours)
    assert ours[1][1].accepted_tokens > 10  # the drafted loop picked at several positions


def test_no_logits_is_an_engine_error_not_a_crash(runtime: LlamaRuntime) -> None:
    from parrotchat.core.errors import EngineError

    llm = runtime.llm
    assert llm is not None
    llm.n_tokens = 0
    llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    llm.eval(llm.tokenize(b"Hello", add_bos=True))
    pick = ArgmaxPick(logits_at(llm), llm.n_vocab())
    with pytest.raises(EngineError, match="no logits for position 7"):
        pick(7)
