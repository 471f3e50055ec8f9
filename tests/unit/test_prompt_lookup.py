"""Prompt lookup: what it drafts, and when it stops drafting."""

from __future__ import annotations

from parrotchat.engine.local.prompt_lookup import MAX_DRAFT, PromptLookup


def test_drafts_what_followed_the_last_ngram_before() -> None:
    lookup = PromptLookup([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3])
    draft = lookup.draft(MAX_DRAFT)
    assert len(draft) >= 2 and draft == [4, 5, 6, 7, 8][: len(draft)]
    assert lookup.draft(2) == [4, 5]


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
    while lookup.draft(MAX_DRAFT):
        lookup.verified(MAX_DRAFT, 0)
        rounds += 1
    assert 0 < rounds < 10
    assert lookup.stats.accepted == 0
    pauses = 0
    while not lookup.draft(MAX_DRAFT):
        pauses += 1
    assert pauses >= 16  # then it drafts again


def test_full_acceptance_keeps_long_drafts() -> None:
    lookup = PromptLookup(list(range(40)) + list(range(20)))
    lengths = []
    for _ in range(6):
        draft = lookup.draft(MAX_DRAFT)
        lengths.append(len(draft))
        lookup.verified(len(draft), len(draft))
        lookup.extend(draft)
    assert lengths[-1] == MAX_DRAFT and lengths == sorted(lengths)
    assert lookup.stats.drafted == lookup.stats.accepted == sum(lengths)
