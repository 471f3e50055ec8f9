"""Where the server listens and who may talk to it, checked before anything starts.

Safe by default: it listens on 127.0.0.1 only; an address other machines can reach
needs an API key; the Host header must name this server (a web page that points
its own domain at 127.0.0.1, DNS rebinding, is refused); browsers' cross-origin
requests are refused unless their origin is allowed in the settings.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from parrotchat.core.errors import ParrotError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY_BYTES = 4 * 2**20  # a long document in a prompt fits; a flood does not
MIN_KEY_CHARS = 16
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


@dataclass(frozen=True)
class ServeConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    allowed_origins: tuple[str, ...] = ()  # e.g. "http://localhost:3000"
    host_names: tuple[str, ...] = ()  # more names clients reach this machine by
    max_waiting: int = 16
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_tokens: int = 0  # the largest reply a request may ask for; 0: the context length

    def check(self) -> list[str]:
        """Raise ParrotError for an unsafe or impossible setup; return warnings."""
        if not 0 <= self.port <= 65535:
            raise ParrotError(f"Port {self.port} is not a port number (0–65535)")
        if not is_loopback(self.host) and not self.api_key:
            raise ParrotError(
                f"--host {self.host} lets other computers connect; give them a key to use "
                "with --api-key-env VAR (the name of an environment variable holding the key)"
            )
        for origin in self.allowed_origins:
            if origin != "null" and "://" not in origin:
                raise ParrotError(
                    f"Allowed origin '{origin}' is not an origin like http://localhost:3000"
                )
        warnings = []
        if self.api_key is not None and len(self.api_key) < MIN_KEY_CHARS:
            warnings.append(
                f"the API key has {len(self.api_key)} characters; one of at least "
                f"{MIN_KEY_CHARS} random characters is much harder to guess"
            )
        return warnings


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to an outside address


def _host_form(name: str) -> str:
    """A name as it appears in a Host header (IPv6 addresses in brackets)."""
    name = name.lower()
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def allowed_hosts(config: ServeConfig, port: int) -> frozenset[str]:
    """Every `host:port` a client's Host header may carry for this server.

    `port` is the port actually bound (the config may say 0: any free port).
    """
    names: list[str] = list(_LOOPBACK_NAMES)
    if not is_loopback(config.host):
        names += [config.host, socket.gethostname(), socket.getfqdn()]
        if config.host in ("0.0.0.0", "::", ""):
            names += _interface_addresses()
    names += config.host_names
    forms = {_host_form(n) for n in names if n}
    hosts = {f"{form}:{port}" for form in forms}
    if port == 80:  # a Host header may leave out the default port
        hosts |= forms
    return frozenset(hosts)


def _interface_addresses() -> list[str]:
    import psutil

    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                found.append(address.address.split("%", 1)[0])  # drop an IPv6 zone
    return found
