"""Hub failures in the user's language: what happened, and what to do about it.

The hub client's messages name the socket error, which is right for admins (the CLI
prints them as they are). A person in the window gets "cannot reach the hub" and what
to check instead of "[Errno 111] Connection refused".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication

from parrotchat.core.errors import ParrotError
from parrotchat.core.hub.config import HubError, HubOfflineError


def plain_hub_message(exc: ParrotError, endpoint: str | None = None) -> str:
    """One or two plain sentences for a failed hub call (safe on any thread)."""
    if isinstance(exc, HubOfflineError):
        return QCoreApplication.translate(
            "HubMessages", "ParrotChat is in offline mode, so the model hub is not contacted."
        )
    if isinstance(exc, HubError) and exc.network:
        where = urlsplit(endpoint).netloc if endpoint else ""
        text = (
            QCoreApplication.translate("HubMessages", "Cannot reach the model hub at %1.")
            if where
            else QCoreApplication.translate("HubMessages", "Cannot reach the model hub.")
        ).replace("%1", where)
        advice = QCoreApplication.translate(
            "HubMessages",
            "Check the network connection, or set your organisation's mirror under "
            "Network in the Download tab.",
        )
        return f"{text} {advice}"
    return QCoreApplication.translate("HubMessages", "The model hub request failed: %1").replace(
        "%1", str(exc)
    )
