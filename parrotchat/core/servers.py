"""Saved OpenAI-compatible servers (llama-server, vLLM, Ollama on a GPU box in the network).

A server has a name, a base URL, an optional CA bundle file (closed networks run their
own certificate authorities), a proxy and timeouts. They live in `servers.json` beside
the settings. The API key goes to the operating system's credential store where one
is usable (core/credentials.py); else it stays in `servers.json`, which is then kept
owner-only (0600), and `key_location` says which, for the window and `servers list`.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from parrotchat.core.atomic_file import write_atomic
from parrotchat.core.credentials import CredentialStore
from parrotchat.core.errors import ParrotError, StorageError

SCHEMA_VERSION = 1
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 300.0  # a big model on a busy box can think for minutes
NO_PROXY = "none"  # proxy setting: connect directly, ignoring HTTP(S)_PROXY

KeyLocation = Literal["keyring", "file", "none"]


@dataclass(frozen=True)
class ServerConfig:
    name: str
    base_url: str  # normalised: scheme://host[:port][/prefix], without a trailing /v1
    ca_bundle: str | None = None  # PEM file of extra trusted CAs
    proxy: str | None = None  # None: the system's (HTTP(S)_PROXY); "none": direct; else a URL
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    context_length: int | None = None  # for servers that do not say (llama-cpp-python, Ollama)
    api_key: str | None = field(default=None, repr=False)  # loaded, never written here

    @property
    def label(self) -> str:
        """How error lines name the server: "Server gpu-box (https://gpu:8000)"."""
        if self.name == self.base_url:
            return f"Server {self.base_url}"
        return f"Server {self.name} ({self.base_url})"

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "base_url": self.base_url,
            "ca_bundle": self.ca_bundle,
            "proxy": self.proxy,
            "connect_timeout_s": self.connect_timeout_s,
            "read_timeout_s": self.read_timeout_s,
            "context_length": self.context_length,
        }


def normalize_base_url(url: str) -> str:
    """`http://gpu:8000/v1/` -> `http://gpu:8000`; a URL we cannot use is one clear line."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ParrotError(f"Server URL '{url}': must start with http:// or https://")
    if not parts.hostname:
        raise ParrotError(f"Server URL '{url}': has no host name")
    try:
        parts.port  # noqa: B018 - parsing the port raises on a bad one
    except ValueError:
        raise ParrotError(f"Server URL '{url}': the port is not a number from 0 to 65535") from None
    if parts.query or parts.fragment:
        raise ParrotError(f"Server URL '{url}': must not carry ?query or #fragment")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):  # users paste the OpenAI base URL; endpoints are found from the root
        path = path[: -len("/v1")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def check_name(name: str) -> str:
    clean = name.strip()
    if not clean or "://" in clean or any(c in clean for c in "\n\r\t"):
        raise ParrotError(f"Server name '{name}': use a short name such as gpu-box (not a URL)")
    if len(clean) > 64:
        raise ParrotError(f"Server name '{name[:20]}…': longer than 64 characters")
    return clean


def check_ca_bundle(path: str) -> str:
    """The CA bundle must be a readable PEM file: caught here, not at the first chat."""
    p = Path(path).expanduser()
    try:
        head = p.read_bytes()[:1_000_000]
    except FileNotFoundError:
        raise ParrotError(f"CA bundle {p}: not found") from None
    except OSError as exc:
        raise ParrotError(f"CA bundle {p}: cannot be read ({exc.strerror or exc})") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise ParrotError(f"CA bundle {p}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return str(p.resolve())


def check_proxy(proxy: str) -> str:
    if proxy.strip().lower() == NO_PROXY:
        return NO_PROXY
    parts = urlsplit(proxy.strip())
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise ParrotError(
            f"Proxy '{proxy}': give a URL such as http://proxy:3128, or 'none' to connect directly"
        )
    return proxy.strip()


def _config_from(record: object, where: Path) -> ServerConfig:
    if not isinstance(record, dict):
        raise StorageError(f"{where}: a server entry is not a JSON object")
    try:
        return ServerConfig(
            name=check_name(str(record["name"])),
            base_url=normalize_base_url(str(record["base_url"])),
            ca_bundle=record.get("ca_bundle") or None,
            proxy=record.get("proxy") or None,
            connect_timeout_s=float(record.get("connect_timeout_s", DEFAULT_CONNECT_TIMEOUT_S)),
            read_timeout_s=float(record.get("read_timeout_s", DEFAULT_READ_TIMEOUT_S)),
            context_length=int(record["context_length"]) if record.get("context_length") else None,
        )
    except (KeyError, TypeError, ValueError, ParrotError) as exc:
        raise StorageError(
            f"{where}: server entry {record.get('name')!r} is damaged ({exc})"
        ) from exc


class ServerStore:
    """The saved servers and their keys. Reads the file on every call: it is tiny."""

    def __init__(self, path: Path, credentials: CredentialStore | None = None) -> None:
        self.path = path
        self.credentials = credentials or CredentialStore()

    # --- file ---

    def _read(self) -> list[dict[str, Any]]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot be read ({exc.strerror or exc})") from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StorageError(
                f"{self.path}: not valid JSON (line {exc.lineno}); fix or remove the file"
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("servers"), list):
            raise StorageError(f"{self.path}: holds no server list; fix or remove the file")
        version = data.get("schema_version", 1)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StorageError(f"{self.path}: written by a newer ParrotChat (version {version})")
        return [r for r in data["servers"] if isinstance(r, dict)]

    def _write(self, records: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"schema_version": SCHEMA_VERSION, "servers": records}, indent=2)
        write_atomic(self.path, text + "\n")
        # New files are 0600 already (write_atomic); one a user loosened is tightened
        # again whenever it holds a key.
        if any(r.get("api_key_in") == "file" for r in records) and os.name == "posix":
            os.chmod(self.path, stat.S_IRUSR | stat.S_IWUSR)

    # --- servers ---

    def names(self) -> list[str]:
        return [str(r.get("name")) for r in self._read()]

    def servers(self) -> list[ServerConfig]:
        return [_config_from(r, self.path) for r in self._read()]

    def get(self, name: str, *, with_key: bool = True) -> ServerConfig:
        for record in self._read():
            if record.get("name") == name:
                config = _config_from(record, self.path)
                return replace(config, api_key=self._key(record)) if with_key else config
        saved = ", ".join(self.names()) or "none saved yet"
        raise ParrotError(
            f"No saved server named '{name}' (saved: {saved}); add one with "
            "`parrotchat servers add NAME URL`"
        )

    def resolve(self, name_or_url: str, api_key: str | None = None) -> ServerConfig:
        """A saved server by name, or an unsaved one from a bare URL; `api_key` overrides."""
        if "://" in name_or_url:
            url = normalize_base_url(name_or_url)
            return ServerConfig(name=url, base_url=url, api_key=api_key)
        config = self.get(name_or_url, with_key=api_key is None)
        return replace(config, api_key=api_key) if api_key is not None else config

    def save(self, config: ServerConfig, api_key: str | None = None) -> KeyLocation:
        """Add or replace a server; returns where its key went."""
        records = [r for r in self._read() if r.get("name") != config.name]
        record = config.to_record()
        account = _account(config.name)
        location: KeyLocation = "none"
        self.credentials.delete(account)
        if api_key:
            if self.credentials.set(account, api_key):
                location = "keyring"
            else:
                location = "file"
                record["api_key"] = api_key
        record["api_key_in"] = location
        records.append(record)
        self._write(records)
        return location

    def remove(self, name: str) -> None:
        records = self._read()
        kept = [r for r in records if r.get("name") != name]
        if len(kept) == len(records):
            self.get(name)  # raises the one-line "no saved server" error
        self._write(kept)
        self.credentials.delete(_account(name))

    def key_location(self, name: str) -> KeyLocation:
        for record in self._read():
            if record.get("name") == name:
                where = record.get("api_key_in")
                return where if where in ("keyring", "file") else "none"
        return "none"

    def _key(self, record: dict[str, Any]) -> str | None:
        match record.get("api_key_in"):
            case "keyring":
                key = self.credentials.get(_account(str(record["name"])))
                if key is None:
                    raise ParrotError(
                        f"Server {record['name']}: its API key is not in the credential store "
                        f"any more ({self.credentials.backend() or 'none usable now'}); add the "
                        "server again with --api-key-env"
                    )
                return key
            case "file":
                value = record.get("api_key")
                return str(value) if value else None
        return None


def _account(name: str) -> str:
    return f"server:{name}"


def describe_key_location(location: KeyLocation, store: ServerStore) -> str:
    match location:
        case "keyring":
            return f"in the system credential store ({store.credentials.backend() or 'keyring'})"
        case "file":
            return f"in {store.path.name} (readable by you only)"
    return "no API key"
