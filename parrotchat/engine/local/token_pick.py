"""Picking the next token from the logits of one position of the last decode.

Sampling with temperature, a seed or OpenAI's frequency and presence penalties runs
llama.cpp's own sampler chain (`ChainPick`). Greedy decoding, with or without the
repeat penalty, is what benchmarks, scripts at temperature 0 and every comparison of
two replies use, and it needs no chain: `ArgmaxPick`. llama.cpp's `llama_sampler_sample`
copies all logits into an array of (token, logit, p) records (49,152 of them, 590 KB,
for the starter model), then the penalty stage looks every one of them up in a hash map
of recent tokens, then greedy scans them: 0.45 ms a token on the 2-core test machine,
4 % of a decode step there. `ArgmaxPick` reads the logits where llama.cpp keeps them,
penalises only the (at most 64) recent tokens, on a copy, and takes numpy's argmax:
about 0.05 ms.

Both give the same token, bit for bit (tests/integration/test_token_pick.py runs them
side by side on the starter model): the penalty is llama.cpp's float32 arithmetic (a
logit at or below zero is multiplied by it, one above divided), counted over the same
window of picked tokens; greedy and `np.argmax` alike keep the first of equal maxima;
tokens banned by `ignore_eos` become minus infinity, as the chain's logit-bias stage
makes them.

The runtime hands in llama.cpp's calls (`llama_cpp` keeps its one importer).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from parrotchat.core.errors import EngineError


class ChainPick:
    """llama.cpp's sampler chain. `sample(index)` is `llama_sampler_sample` on it: it
    samples, and accepts the token into the chain's state (penalties' history, the
    random generator)."""

    def __init__(self, chain: Any, sample: Callable[[int], int]) -> None:
        self.chain = chain  # the LlamaSampler that owns the C chain: kept alive here
        self._sample = sample

    def __call__(self, index: int) -> int:
        return int(self._sample(index))


class ArgmaxPick:
    """Greedy: the first token of highest logit after the repeat penalty over the
    last `last_n` picked tokens, never one of `banned`. `logits_at(index)` is
    `llama_get_logits_ith` on the context: a float pointer, NULL where there are none."""

    def __init__(
        self,
        logits_at: Callable[[int], Any],
        n_vocab: int,
        banned: Sequence[int] = (),
        repeat_penalty: float = 1.0,
        last_n: int = 64,
    ) -> None:
        self._logits_at = logits_at
        self._shape = (n_vocab,)
        self._banned = np.asarray(sorted(set(banned)), dtype=np.intp)
        self._banned_set = frozenset(int(t) for t in banned)
        self._penalty = np.float32(repeat_penalty)  # llama.cpp keeps it as a float
        self._recent: deque[int] | None = (
            deque(maxlen=last_n) if repeat_penalty != 1.0 and last_n > 0 else None
        )

    def __call__(self, index: int) -> int:
        pointer = self._logits_at(index)
        if not pointer:  # llama.cpp logged why; the chain would abort the process here
            raise EngineError(f"llama.cpp has no logits for position {index} of the last batch")
        row = np.ctypeslib.as_array(pointer, shape=self._shape)  # a view: no copy
        recent = self._recent
        if recent:
            ids = np.fromiter(set(recent), dtype=np.intp)
            logits = row[ids]
            penalty = self._penalty
            row = row.copy()  # llama.cpp's buffer stays as the model left it
            row[ids] = np.where(logits <= 0, logits * penalty, logits / penalty)
        token = int(row.argmax())
        if token in self._banned_set:
            row = row.copy()
            row[self._banned] = -np.inf
            token = int(row.argmax())
        if recent is not None:
            recent.append(token)
        return token
