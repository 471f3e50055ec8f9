"""Prompt-lookup drafting: guess the next few tokens from earlier text in the context.

Translations, summaries and answers about a document repeat long runs of the prompt.
When the last n tokens (n = 3 or 2) occurred earlier, the tokens that followed them
there are proposed as a draft; the model checks a whole draft in one batch and the
engine keeps the part its own sampler agrees with (runtime.py). Nothing here touches
llama.cpp: this module only decides what to propose and how much.

How much to propose follows what a batch costs, measured while the reply runs
(`BatchCosts`): on the 2-core test machines a batch of k tokens cost k=2 1.46-2.1 and
k=6 3.1-5.0 one-token decodes (SmolLM2-135M, 1,500 tokens of context), so there a draft
pays only when nearly all of it is kept. A large model whose decode waits on memory
pays far less per extra token, and drafts longer. When no draft length beats the plain
loop, drafting pauses for a while and tries again later, so that chat with nothing to
copy is not slowed down.
"""

from __future__ import annotations

from dataclasses import dataclass

# The verify batch is the pending token plus the draft. Longer drafts stop paying: with
# the costs above, even at 0.91 of drafted tokens kept, 5 beats 3 and 7 (1.56x, 1.44x,
# 1.35x expected tokens per unit of time).
MAX_DRAFT = 5
MAX_ORDER = 3  # the longest n-gram matched

# What a batch of k tokens costs in one-token decodes before this reply has measured it.
# Between the two 2-core machines measured (1,500 tokens of context, SmolLM2-135M): k=2
# 1.46-2.1, k=6 3.1-5.0. A large model, whose decode waits on memory, pays far less.
_PRIOR_RATIO = {k: 1.0 + 0.5 * (k - 1) for k in range(2, MAX_DRAFT + 2)}
_COST_KEEP = 0.8  # weight of a cost's history per measured decode
_START_RATE = 0.62
_RATE_KEEP = 0.7  # weight of the running average's history per draft
_MARGIN = 1.03  # a draft must promise 3 % more tokens per second than none
_PAUSE_MIN = 16  # tokens decoded without drafts after drafting stopped paying
_PAUSE_MAX = 256


@dataclass
class DraftStats:
    drafted: int = 0
    accepted: int = 0


class BatchCosts:
    """What a decode of k tokens costs against a decode of one, measured as the reply
    goes (the machine, the model and the context length all change it), starting from
    _PRIOR_RATIO. Shared by every draft source of a reply."""

    def __init__(self) -> None:
        self.single: float | None = None  # seconds of a one-token decode (running average)
        self.ratio = dict(_PRIOR_RATIO)
        self.guess_ratio = 0.0  # a draft model's cost per guessed token, in one-token decodes

    def record(self, k: int, seconds: float) -> None:
        if k == 1:
            self.single = _average(self.single, seconds)
        elif self.single and k in self.ratio:
            # One decode slowed by the rest of the machine must not stop drafting alone.
            sample = min(max(seconds / self.single, 0.9), 1.5 * k)
            self.ratio[k] = _average(self.ratio[k], sample)

    def record_guesses(self, n: int, seconds: float) -> None:
        if n > 0 and self.single:
            self.guess_ratio = _average(self.guess_ratio or None, seconds / n / self.single)


def _average(old: float | None, sample: float) -> float:
    return sample if old is None else _COST_KEEP * old + (1.0 - _COST_KEEP) * sample


class DraftPolicy:
    """How long the next draft may be: the length that promises the most tokens per
    second, from how many of the earlier drafts were kept and what batches cost.

    A draft of d tokens, each kept with probability p once the ones before it were,
    yields 1 + p + ... + p^d tokens for the price of a (d+1)-token batch (plus d guesses
    of a draft model). When no length beats the plain loop, drafting pauses and tries
    again later, so that chat with nothing to copy is not slowed down. One per draft
    source and reply: prompt lookup and a draft model earn their rates apart.
    """

    def __init__(self, stats: DraftStats | None = None, costs: BatchCosts | None = None) -> None:
        self.rate = _START_RATE
        self._pause = 0
        self._pause_len = _PAUSE_MIN
        self._probe = True  # a reply starts with one short try
        self.stats = stats or DraftStats()
        self.costs = costs or BatchCosts()

    def length(self, limit: int, guessed: bool = False) -> int:
        """The draft length that pays now, at most `limit`; 0 while drafting pauses.
        `guessed`: the draft comes from a draft model, whose guesses cost decodes too.

        Each call stands for one decode step (the pause counts steps)."""
        if self._pause > 0:
            self._pause -= 1
            return 0
        per_guess = self.costs.guess_ratio if guessed else 0.0
        best, best_gain, expected, kept = 0, _MARGIN, 1.0, 1.0
        for d in range(1, min(limit, MAX_DRAFT) + 1):
            kept *= self.rate
            expected += kept
            gain = expected / (self.costs.ratio[d + 1] + d * per_guess)
            if gain > best_gain:
                best, best_gain = d, gain
        if self._probe:  # the first draft after a pause: one short try
            self._probe = False
            return min(max(best, 1), limit)
        if best == 0 and limit > 0:
            self._pause = self._pause_len
            self._pause_len = min(_PAUSE_MAX, self._pause_len * 2)
            self.rate = _START_RATE
            self._probe = True
        return best

    def verified(self, drafted: int, accepted: int) -> None:
        """Record how many of a draft's tokens the model agreed with."""
        if drafted == 0:
            return
        self.stats.drafted += drafted
        self.stats.accepted += accepted
        # A fully accepted draft says "as good as the length allows"; a partial one
        # gives the fraction kept.
        observed = 1.0 if accepted == drafted else accepted / drafted
        self.rate = _RATE_KEEP * self.rate + (1.0 - _RATE_KEEP) * observed
        if observed == 1.0:
            self._pause_len = _PAUSE_MIN


class PromptLookup:
    """The context's n-gram index plus an adaptive draft length, for one reply."""

    def __init__(
        self, context: list[int], stats: DraftStats | None = None, costs: BatchCosts | None = None
    ) -> None:
        self.tokens: list[int] = []
        # n-gram -> where its latest occurrence's continuation starts in self.tokens
        self._next: dict[tuple[int, ...], int] = {}
        self.policy = DraftPolicy(stats, costs)
        self.stats = self.policy.stats
        self.extend(context)

    def extend(self, tokens: list[int]) -> None:
        seq = self.tokens
        index = self._next
        for token in tokens:
            end = len(seq)
            # The n-grams ending just before `token` now have a continuation.
            for n in range(2, MAX_ORDER + 1):
                if end >= n:
                    index[tuple(seq[end - n : end])] = end
            seq.append(token)

    def draft(self, limit: int) -> list[int]:
        """Up to `limit` tokens that may follow the context; [] when drafting does not pay.

        Only after a match of 2 or 3 tokens: one matching token says little about what
        follows. Measured with exact replies (2 threads, docs/benchmarks.md): drafting
        after single tokens too made free chat 0.95-0.97 of drafting off, and neither
        translate (1.28 against 1.34 on/off) nor summarize (1.0 against 1.1) gained.
        """
        seq = self.tokens
        end = len(seq)
        for n in range(MAX_ORDER, 1, -1):
            if end < n:
                continue
            start = self._next.get(tuple(seq[end - n : end]))
            if start is not None:
                length = self.policy.length(limit)
                return seq[start : start + length] if length > 0 else []
        return []

    def verified(self, drafted: int, accepted: int) -> None:
        self.policy.verified(drafted, accepted)
