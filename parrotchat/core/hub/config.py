"""How ParrotChat reaches a model hub: endpoint, token, proxy, the offline switch, and the
errors a hub feature raises. Plain data: importing this module opens nothing and does not
import huggingface_hub (that is `hub_client.py`'s job).

Which endpoint wins: `--endpoint` on the command line, then `HF_ENDPOINT` in the
environment, then Settings → Network, then https://huggingface.co.

Offline: the setting, `--offline`, or `HF_HUB_OFFLINE=1` in the environment. With it on,
every hub call raises `HubOfflineError` before any socket exists.

Tokens: the token from Settings is sent to the configured endpoint only. Without one,
huggingface_hub's own saved login (`hf auth login`, `HF_TOKEN`) is used on the official
huggingface.co endpoint and never sent to a mirror.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings

DEFAULT_ENDPOINT = "https://huggingface.co"
ENDPOINT_ENV = "HF_ENDPOINT"
OFFLINE_ENV = "HF_HUB_OFFLINE"
OFFLINE_MESSAGE = "Hub search is off: ParrotChat is in offline mode (Settings → Network)"
# Where huggingface.co itself sends LFS and Xet downloads (cdn-lfs.hf.co,
# cas-bridge.xethub.hf.co, ...): allowed redirect targets for the official endpoint only.
OFFICIAL_CDN_SUFFIXES = (".hf.co", ".huggingface.co")


class HubError(ParrotError):
    """A hub search, listing or download failed; the message names what and why.
    `transient`: a dropped connection, a timeout or a 5xx answer; trying again may help.
    `network`: the hub could not be reached at all (refused, unreachable, timed out), so
    the window can say so in plain words rather than show the socket error."""

    def __init__(self, message: str, transient: bool = False, *, network: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.network = network


class HubOfflineError(HubError):
    """A hub feature was used while the offline switch is on."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def check_endpoint(url: str) -> str:
    """An http(s) base URL without a trailing slash, or a HubError naming the problem."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HubError(f"Hub endpoint '{url}' is not an http:// or https:// address")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise HubError(f"Hub endpoint '{url}' must be a plain address (no query, no login)")
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class HubConfig:
    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = None
    proxy: str | None = None  # None: the system proxy (environment, Windows/macOS settings)
    offline: bool = False
    offline_reason: str = OFFLINE_MESSAGE
    # Extra hosts a download may be redirected to (an internal CDN in front of a mirror).
    download_hosts: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        endpoint: str | None = None,
        offline: bool | None = None,
        environ: Mapping[str, str] | None = None,
        download_hosts: tuple[str, ...] = (),
    ) -> HubConfig:
        """The settings, overridden by the environment, overridden by the arguments
        (the CLI's `--endpoint` and `--offline`)."""
        env = os.environ if environ is None else environ
        chosen = endpoint or env.get(ENDPOINT_ENV) or settings.hub_endpoint or DEFAULT_ENDPOINT
        reason = OFFLINE_MESSAGE
        is_offline = bool(offline) or settings.offline
        if not is_offline and _truthy(env.get(OFFLINE_ENV)):
            is_offline = True
            reason = f"Hub search is off: {OFFLINE_ENV} is set in the environment"
        return cls(
            endpoint=check_endpoint(chosen),
            token=settings.hub_token or None,
            proxy=settings.proxy or None,
            offline=is_offline,
            offline_reason=reason,
            download_hosts=tuple(h.lower() for h in download_hosts),
        )

    @property
    def host(self) -> str:
        return (urlsplit(self.endpoint).hostname or "").lower()

    @property
    def is_official(self) -> bool:
        return self.host in ("huggingface.co", "hf.co")

    def require_online(self) -> None:
        if self.offline:
            raise HubOfflineError(self.offline_reason)

    def may_redirect_to(self, host: str) -> bool:
        """Downloads follow a redirect only to the endpoint's own host or a subdomain of
        it (a mirror's `cdn.mirror.example`), to hosts listed in `download_hosts`, or,
        for huggingface.co itself, to its *.hf.co CDN. Nothing else, however it is
        spelled: a hostile or misconfigured mirror cannot send a download elsewhere."""
        host = host.lower().rstrip(".")
        if host == self.host or host.endswith(f".{self.host}") or host in self.download_hosts:
            return True
        return self.is_official and host.endswith(OFFICIAL_CDN_SUFFIXES)
