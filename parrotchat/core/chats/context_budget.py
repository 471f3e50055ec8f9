"""Fit a conversation into the context window, never silently.

The engine renders and counts; this module decides which turns go. The system
prompt always stays. Turns are dropped from the oldest, a user message together
with the replies that follow it, so templates that insist on user/assistant
alternation still render. The number of dropped turns is rounded up to a step so
that the prompt's prefix stays the same for a few turns in a row, and the engine's
KV cache keeps being reused instead of re-reading the whole history every turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parrotchat.core.errors import ContextFullError
from parrotchat.core.sampling import OverflowPolicy

Message = dict[str, str]
DROP_STEP_TURNS = 2


@dataclass(frozen=True)
class BudgetResult:
    messages: list[Message]
    prompt_tokens: int
    dropped_messages: int
    reply_budget: int


def reply_reserve(n_ctx: int, max_tokens: int) -> int:
    """Room kept free for the reply: the full max_tokens, but never more than half the window."""
    return max(1, min(max_tokens, n_ctx // 2))


def _turn_starts(messages: Sequence[Message]) -> list[int]:
    """Indexes where a droppable turn starts: each user message after the system prompt."""
    return [i for i, m in enumerate(messages) if m["role"] == "user"]


def fit_messages(
    messages: Sequence[Message],
    count_tokens: Callable[[Sequence[Message]], int],
    n_ctx: int,
    max_tokens: int,
    policy: OverflowPolicy,
) -> BudgetResult:
    """Return the messages to send, or raise ContextFullError naming the numbers."""
    reserve = reply_reserve(n_ctx, max_tokens)
    budget = n_ctx - reserve
    system = [m for m in messages if m["role"] == "system"][:1]
    rest = [m for m in messages if m["role"] != "system"]
    # Candidates are the system prompt plus a suffix of `rest`: their length names them.
    counted: dict[int, int] = {}

    def count(candidate: list[Message]) -> int:
        if len(candidate) not in counted:
            counted[len(candidate)] = count_tokens(candidate)
        return counted[len(candidate)]

    # Every message takes at least one token: more messages than the budget cannot
    # fit, and a 100,000-message chat need not be rendered whole to learn that.
    if policy == "stop" or len(messages) <= budget:
        total = count_tokens(messages)
        if total <= budget:
            return BudgetResult(list(messages), total, 0, n_ctx - total)
        if policy == "stop":
            raise ContextFullError(
                f"This chat needs {total} tokens but the context holds {n_ctx} "
                f"({reserve} kept free for the reply). Start a new chat, raise the context "
                "length, or let ParrotChat drop the oldest turns."
            )
        if len(system) + len(rest) == len(messages):
            counted[len(messages)] = total
    starts = _turn_starts(rest)
    # The last turn (the user's new message) can never be dropped.
    max_drop = len(starts) - 1
    steps = sorted({*range(DROP_STEP_TURNS, max_drop + 1, DROP_STEP_TURNS), max_drop} - {0, -1})
    # Dropping more turns never adds tokens, so the first step that fits is found by
    # bisection: ~log2(turns) renders instead of one per step (quadratic in a long chat).
    # Steps that keep more messages than the budget cannot fit and are not tried.
    low = next((i for i, n in enumerate(steps) if len(rest) - starts[n] <= budget), len(steps))
    high = len(steps)
    fitted: BudgetResult | None = None
    while low < high:
        middle = (low + high) // 2
        candidate = system + rest[starts[steps[middle]] :]
        tokens = count(candidate)
        if tokens <= budget:
            fitted = BudgetResult(candidate, tokens, len(messages) - len(candidate), n_ctx - tokens)
            high = middle
        else:
            low = middle + 1
    if fitted is not None:
        return fitted
    last = system + rest[starts[-1] :] if starts else list(messages)
    tokens = count(last)
    if tokens < n_ctx:
        # Even alone the new message crowds out the full reply reserve: send it with
        # whatever room is left rather than refuse, and say how much that is.
        return BudgetResult(last, tokens, len(messages) - len(last), n_ctx - tokens)
    raise ContextFullError(
        f"The message is {tokens} tokens long with the system prompt, more than the "
        f"context length of {n_ctx}. Shorten it or raise the context length."
    )
