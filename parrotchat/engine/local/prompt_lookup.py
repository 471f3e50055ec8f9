"""Prompt-lookup drafting: guess the next few tokens from earlier text in the context.

Translations, summaries and answers about a document repeat long runs of the prompt.
When the last n tokens (n = 3, 2, 1) occurred earlier, the tokens that followed them
there are proposed as a draft; the model checks a whole draft in one batch and the
engine keeps the part its own sampler agrees with (runtime.py). Nothing here touches
llama.cpp: this module only decides what to propose and how much.

How much to propose follows what a batch costs. Measured on the 2-core test machine
(SmolLM2-135M, 1 thread, 1,500 tokens of context), a batch of k tokens costs, in
single-token decodes: k=2 1.46, k=3 1.8, k=4 2.4, k=6 3.1, k=8 4.3, k=16 7.2 (and
1.64 for k=2 while the machine was busier). A draft of d tokens pays only when the
expected number kept beats that extra cost: a per-token acceptance of roughly 0.46-0.55
for d=1, 0.53 for d=2, 0.68 for d=3, 0.72 for d=5. Below that, drafting pauses for a
while and tries again later, so that chat with nothing to copy is not slowed down.
"""

from __future__ import annotations

from dataclasses import dataclass

# The verify batch is the pending token plus the draft. Longer drafts stop paying: with
# the costs above, even at 0.91 of drafted tokens kept, 5 beats 3 and 7 (1.56x, 1.44x,
# 1.35x expected tokens per unit of time).
MAX_DRAFT = 5
MAX_ORDER = 3  # the longest n-gram matched

# Per-token acceptance (a running average) each draft length needs to pay for itself,
# from the batch costs above.
_LENGTH_FOR_RATE = ((0.88, 5), (0.8, 4), (0.7, 3), (0.6, 2), (0.52, 1))
# Short drafts first: measured on free chat, starting at 4-token drafts cost 4-18 % of
# the decode speed before the pause set in; full acceptance lengthens them within 3 drafts.
_START_RATE = 0.62
_RATE_KEEP = 0.7  # weight of the running average's history per draft
_PAUSE_MIN = 16  # tokens decoded without drafts after the rate fell too low
_PAUSE_MAX = 256


@dataclass
class DraftStats:
    drafted: int = 0
    accepted: int = 0


class DraftPolicy:
    """How long the next draft may be, from how many of the earlier ones were kept.

    One per draft source and reply: prompt lookup and a draft model earn their rates
    apart, so that a source whose guesses fail pauses alone.
    """

    def __init__(self, stats: DraftStats | None = None) -> None:
        self.rate = _START_RATE
        self._pause = 0
        self._pause_len = _PAUSE_MIN
        self.stats = stats or DraftStats()

    def length(self, limit: int) -> int:
        """The draft length that pays now, at most `limit`; 0 while drafting pauses.

        Each call stands for one decode step (the pause counts steps)."""
        if self._pause > 0:
            self._pause -= 1
            return 0
        for rate, n in _LENGTH_FOR_RATE:
            if self.rate >= rate:
                return max(0, min(n, limit))
        self._pause = self._pause_len
        self._pause_len = min(_PAUSE_MAX, self._pause_len * 2)
        self.rate = _LENGTH_FOR_RATE[0][0]  # after the pause, try again
        return 0

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

    def __init__(self, context: list[int], stats: DraftStats | None = None) -> None:
        self.tokens: list[int] = []
        # n-gram -> where its latest occurrence's continuation starts in self.tokens
        self._next: dict[tuple[int, ...], int] = {}
        self.policy = DraftPolicy(stats)
        self.stats = self.policy.stats
        self.extend(context)

    def extend(self, tokens: list[int]) -> None:
        seq = self.tokens
        index = self._next
        for token in tokens:
            end = len(seq)
            # The n-grams ending just before `token` now have a continuation.
            for n in range(1, MAX_ORDER + 1):
                if end >= n:
                    index[tuple(seq[end - n : end])] = end
            seq.append(token)

    def draft(self, limit: int) -> list[int]:
        """Up to `limit` tokens that may follow the context; [] when drafting does not pay."""
        length = self.policy.length(limit)
        if length <= 0:
            return []
        seq = self.tokens
        end = len(seq)
        for n in range(MAX_ORDER, 0, -1):
            if end < n:
                continue
            start = self._next.get(tuple(seq[end - n : end]))
            if start is not None:
                # One matching token says little about what follows it.
                return seq[start : start + (length if n > 1 else min(length, 2))]
        return []

    def verified(self, drafted: int, accepted: int) -> None:
        self.policy.verified(drafted, accepted)
