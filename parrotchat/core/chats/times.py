"""The store's timestamps (UTC, ISO 8601, e.g. 2025-03-01T09:30:00.123Z) as people and
scripts want them: local time to read, ISO 8601 in UTC to parse."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_stored(timestamp: str) -> datetime | None:
    """The stored time as an aware datetime; None for text that is no timestamp."""
    try:
        # fromisoformat reads "Z" only from Python 3.11 on.
        moment = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def local_time(timestamp: str) -> str:
    """In this computer's time zone, to the minute: "2025-03-01 18:30"."""
    moment = parse_stored(timestamp)
    if moment is None:
        return timestamp  # shown as stored rather than lost
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def iso_utc(timestamp: str) -> str:
    """ISO 8601 in UTC, as the store writes it, for scripts: "2025-03-01T09:30:00.123Z"."""
    moment = parse_stored(timestamp)
    if moment is None:
        return timestamp
    utc = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return utc.replace("+00:00", "Z")
