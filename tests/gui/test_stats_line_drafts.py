"""The stats line says how much of a reply was drafted ahead and kept."""

from __future__ import annotations

from parrotchat.gui.chat.stats_line import format_stats


def test_drafted_and_accepted_appear_only_when_something_was_drafted(qapp: object) -> None:
    stats = {"reply_tokens": 40, "stop_reason": "finished", "draft_tokens": 30}
    line = format_stats({**stats, "accepted_tokens": 21}, "done")
    assert "drafted 30, accepted 21" in line
    assert "drafted" not in format_stats({**stats, "draft_tokens": 0}, "done")
    assert "drafted" not in format_stats({"reply_tokens": 4}, "done")
