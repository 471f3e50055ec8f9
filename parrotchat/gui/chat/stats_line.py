"""The quiet line under a reply: tokens, speed, time to first token, why it stopped."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from parrotchat.gui.runtime_messages import plain


def stop_reason_text(reason: str) -> str:
    names = {
        "finished": QCoreApplication.translate("StatsLine", "finished"),
        "length": QCoreApplication.translate("StatsLine", "length limit"),
        "stop_string": QCoreApplication.translate("StatsLine", "stop string"),
        "cancelled": QCoreApplication.translate("StatsLine", "stopped by you"),
        "context_full": QCoreApplication.translate("StatsLine", "context full"),
        "error": QCoreApplication.translate("StatsLine", "error"),
    }
    return names.get(reason, reason)


def format_stats(stats: dict[str, Any] | None, status: str) -> str:
    """One line for a reply; empty while there is nothing to say."""
    stats = stats or {}
    parts: list[str] = []
    if status in ("error", "interrupted"):
        label = (
            QCoreApplication.translate("StatsLine", "Interrupted")
            if status == "interrupted"
            else QCoreApplication.translate("StatsLine", "Failed")
        )
        reason = stats.get("reason")  # the engine's words, in English in the chat file
        parts.append(f"⚠ {label}: {plain(str(reason))}" if reason else f"⚠ {label}")
    elif status == "streaming":
        parts.append(
            QCoreApplication.translate(
                "StatsLine", "Cut off: ParrotChat closed before the reply finished"
            )
        )
    tokens = stats.get("reply_tokens")
    if isinstance(tokens, int) and tokens > 0:
        parts.append(
            QCoreApplication.translate("StatsLine", "%1 tokens").replace("%1", str(tokens))
        )
    speed = stats.get("tokens_per_s")
    if isinstance(speed, (int, float)) and speed > 0:
        parts.append(
            QCoreApplication.translate("StatsLine", "%1 tokens/s").replace("%1", f"{speed:.1f}")
        )
    ttft = stats.get("ttft_s")
    if isinstance(ttft, (int, float)) and ttft > 0:
        parts.append(
            QCoreApplication.translate("StatsLine", "first token %1 s").replace("%1", f"{ttft:.2f}")
        )
    drafted = stats.get("draft_tokens")
    accepted = stats.get("accepted_tokens")
    if isinstance(drafted, int) and drafted > 0 and isinstance(accepted, int):
        parts.append(
            QCoreApplication.translate("StatsLine", "drafted %1, accepted %2")
            .replace("%1", str(drafted))
            .replace("%2", str(accepted))
        )
    reason = stats.get("stop_reason")
    if isinstance(reason, str) and status not in ("error", "interrupted"):
        parts.append(stop_reason_text(reason))
    used = stats.get("sources_used")
    if isinstance(used, int) and "sources" in stats:
        parts.append(
            QCoreApplication.translate("StatsLine", "sources used: %1").replace("%1", str(used))
        )
        left_out = stats.get("sources_left_out")
        if isinstance(left_out, int) and left_out > 0:
            parts.append(
                QCoreApplication.translate("StatsLine", "sources left out: %1").replace(
                    "%1", str(left_out)
                )
            )
    dropped = stats.get("dropped_messages")
    if isinstance(dropped, int) and dropped > 0:
        parts.append(
            QCoreApplication.translate("StatsLine", "%1 oldest messages left out").replace(
                "%1", str(dropped)
            )
        )
    return " · ".join(parts)
