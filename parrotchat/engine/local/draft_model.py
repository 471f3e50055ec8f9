"""A draft model: a small GGUF of the chat model's vocabulary that guesses its next tokens.

Prompt lookup (prompt_lookup.py) only drafts where the reply copies its context; in
free chat it finds nothing. A small model of the same vocabulary guesses there: it
reads the same tokens as the chat model and proposes the next few, greedily, one
decode each of its own. The chat model then checks the whole draft in one batch
exactly as it checks prompt lookup's (runtime.py `_decode_drafted`), so the reply is
the chat model's alone; a wrong guess costs time, never a different token.

The runtime builds the `llama_cpp.Llama` (with the same load hooks and fallbacks as
the chat model's) and hands it in: llama_cpp keeps its one importer, and this module
uses only the facade's `eval` and its context's KV and logits calls.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt


class DraftModel:
    """Owns the draft `Llama` and keeps its KV cache on the chat's accepted tokens.

    Not thread-safe: the runtime calls it from the engine's worker only.
    """

    def __init__(self, llm: Any, cancel: threading.Event) -> None:
        self.llm = llm
        self.path: str = llm.model_path
        self.cancel = cancel
        self._n_vocab: int = llm.n_vocab()

    def propose(self, context: npt.NDArray[np.intc], limit: int) -> list[int]:
        """Up to `limit` tokens the draft model expects after `context` (the chat's
        tokens so far, the sampled but not yet decoded one last); [] if cancelled."""
        llm = self.llm
        limit = min(limit, llm.n_ctx() - len(context))
        if limit <= 0 or len(context) == 0:
            return []
        try:
            if not self._sync(context):
                return []
            proposed: list[int] = []
            for i in range(limit):
                logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(self._n_vocab,))
                token = int(np.argmax(logits))
                proposed.append(token)
                if i + 1 < limit:  # the last guess needs no logits after it
                    llm.eval([token])
            return proposed
        except RuntimeError:
            # A failed decode in the draft context loses only the guesses: start it
            # afresh next time, and let this step run without a draft.
            self.reset()
            return []

    def _sync(self, context: npt.NDArray[np.intc]) -> bool:
        """Make the draft's KV cache hold exactly `context`, reusing the common prefix
        (its own earlier guesses that the chat model kept included)."""
        llm = self.llm
        held = llm.input_ids[: llm.n_tokens]
        n = min(len(held), len(context))
        differ = np.flatnonzero(held[:n] != context[:n])
        prefix = int(differ[0]) if differ.size else n
        # The last token is decoded again where it is held already: its logits are gone.
        prefix = min(prefix, len(context) - 1)
        llm._ctx.kv_cache_seq_rm(-1, prefix, -1)
        llm.n_tokens = prefix
        rest = context[prefix:].tolist()
        step = max(1, int(llm.n_batch))
        for start in range(0, len(rest), step):
            if self.cancel.is_set():  # the first guess after a new prompt reads it whole
                return False
            llm.eval(rest[start : start + step])
        return True

    def reset(self) -> None:
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        self.llm.n_tokens = 0

    def close(self) -> None:
        self.llm.close()
