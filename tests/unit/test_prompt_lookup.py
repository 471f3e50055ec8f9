"""Prompt lookup: what it drafts, and how long a draft it dares from what batches cost."""

from __future__ import annotations

from parrotchat.engine.local.prompt_lookup import MAX_DRAFT, BatchCosts, PromptLookup


def sure(lookup: PromptLookup) -> PromptLookup:
    """A lookup whose drafts were all kept so far, on a machine where batches are cheap."""
    lookup.policy._probe = False
    lookup.policy.rate = 1.0
    return lookup


def test_drafts_what_followed_the_last_ngram_before() -> None:
    lookup = sure(PromptLookup([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]))
    assert lookup.draft(MAX_DRAFT) == [4, 5, 6, 7, 8]
    assert lookup.draft(2) == [4, 5]


def test_a_reply_starts_with_a_short_try() -> None:
    lookup = PromptLookup([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3])
    assert lookup.draft(MAX_DRAFT) == [4]


def test_longest_match_wins_and_latest_occurrence() -> None:
    # "2 3" was followed by 9 most recently, "1 2 3" only by 4.
    lookup = PromptLookup([1, 2, 3, 4, 7, 2, 3, 9, 1, 2, 3])
    assert lookup.draft(1) == [4]
    lookup = PromptLookup([5, 2, 3, 4, 7, 2, 3, 9, 8, 2, 3])
    assert lookup.draft(1) == [9]


def test_nothing_to_copy_drafts_nothing() -> None:
    assert PromptLookup([1, 2, 3, 4]).draft(MAX_DRAFT) == []


def test_low_acceptance_pauses_drafting_then_tries_again() -> None:
    lookup = PromptLookup([1, 2, 3, 1, 2, 3, 1, 2])
    rounds = 0
    while draft := lookup.draft(MAX_DRAFT):
        lookup.verified(len(draft), 0)
        rounds += 1
    assert 0 < rounds < 5
    assert lookup.stats.accepted == 0
    pauses = 0
    while not (draft := lookup.draft(MAX_DRAFT)):
        pauses += 1
    assert pauses >= 16
    assert len(draft) == 1  # then one short try


def test_full_acceptance_lengthens_drafts_to_the_most() -> None:
    lookup = PromptLookup(list(range(100)) + list(range(3)))
    lengths = []
    for _ in range(20):
        draft = lookup.draft(MAX_DRAFT)
        lengths.append(len(draft))
        lookup.verified(len(draft), len(draft))
        lookup.extend(draft)
    assert lengths[-1] == MAX_DRAFT and lengths == sorted(lengths)
    assert lookup.stats.drafted == lookup.stats.accepted == sum(lengths)


def measured(ratio: float) -> BatchCosts:
    """Costs as measured on a machine where each extra token of a batch costs `ratio`
    of a one-token decode."""
    costs = BatchCosts()
    for _ in range(30):
        costs.record(1, 0.010)
        for k in range(2, MAX_DRAFT + 2):
            costs.record(k, 0.010 * (1 + ratio * (k - 1)))
    return costs


def test_what_batches_cost_decides_the_draft_length() -> None:
    context = list(range(100)) + list(range(3))
    # A small model on the CPU (each extra token ~0.9 of a decode): 80 % kept does not
    # pay for any draft.
    dear = PromptLookup(context, costs=measured(0.9))
    dear.policy._probe, dear.policy.rate = False, 0.8
    assert dear.draft(MAX_DRAFT) == []
    # A large model whose decode waits on memory (each extra token ~0.1): 60 % kept
    # already pays for long drafts.
    cheap = PromptLookup(context, costs=measured(0.1))
    cheap.policy._probe, cheap.policy.rate = False, 0.6
    assert len(cheap.draft(MAX_DRAFT)) >= 3


def test_a_draft_model_pays_for_its_guesses() -> None:
    costs = measured(0.3)
    lookup = PromptLookup(list(range(100)) + list(range(3)), costs=costs)
    policy = lookup.policy
    policy._probe, policy.rate = False, 0.7
    free = policy.length(MAX_DRAFT)
    costs.record_guesses(4, 4 * 0.010 * 0.5)  # each guess half a decode of the chat model
    assert 0 <= policy.length(MAX_DRAFT, guessed=True) < free


def test_one_slow_decode_does_not_stop_drafting() -> None:
    costs = measured(0.3)
    before = costs.ratio[2]
    costs.record(2, 5.0)  # the machine stalled once
    assert costs.ratio[2] <= 0.8 * before + 0.2 * 3.0 + 1e-9


def test_a_single_matching_token_drafts_nothing() -> None:
    lookup = sure(PromptLookup([7, 40, 7, 41, 8, 7]))
    assert lookup.draft(MAX_DRAFT) == []
    lookup = sure(PromptLookup([7, 40, 41, 8, 7, 40]))
    assert lookup.draft(MAX_DRAFT) == [41, 8, 7, 40]
