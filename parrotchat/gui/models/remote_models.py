"""The saved servers' models, as the model picker lists them.

Listing asks every saved server for its models over the network, so it runs on a
worker thread (ModelController.list_servers); a server that does not answer becomes
one listing with the reason instead of its models.
"""

from __future__ import annotations

from dataclasses import dataclass

from parrotchat.core.errors import ParrotError
from parrotchat.core.servers import ServerStore


@dataclass(frozen=True)
class RemoteChoice:
    """A model on a saved server, as the picker offers it."""

    server: str
    model_id: str
    n_ctx: int | None = None

    @property
    def name(self) -> str:
        """How chats record it: "<model> on <server>"."""
        return f"{self.model_id} on {self.server}"


@dataclass(frozen=True)
class ServerListing:
    """One saved server: its models, or why they could not be listed."""

    server: str
    models: tuple[RemoteChoice, ...] = ()
    error: str | None = None


def list_server_models(store: ServerStore) -> list[ServerListing]:
    """Ask each saved server for its models (blocking: call it on a worker thread)."""
    from parrotchat.engine.remote.probe import check_server

    try:
        configs = store.servers()
    except ParrotError as exc:
        return [ServerListing(store.path.name, error=str(exc))]
    listings = []
    for config in configs:
        try:
            info = check_server(store.get(config.name))
        except Exception as exc:  # every failure is a line in the picker, never a traceback
            listings.append(ServerListing(config.name, error=_reason(str(exc), config.label)))
            continue
        models = tuple(
            RemoteChoice(config.name, m.id, m.n_ctx or info.n_ctx or config.context_length)
            for m in info.models
        )
        listings.append(ServerListing(config.name, models))
    return listings


def _reason(message: str, label: str) -> str:
    # The picker's header already names the server: keep only the reason.
    prefix = f"{label}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
