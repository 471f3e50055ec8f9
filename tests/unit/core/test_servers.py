"""Saved servers: addresses, checks, and where each API key is kept."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from parrotchat.core.credentials import CredentialStore
from parrotchat.core.errors import ParrotError, StorageError
from parrotchat.core.servers import (
    ServerConfig,
    ServerStore,
    check_ca_bundle,
    check_name,
    check_proxy,
    normalize_base_url,
)


class MemoryKeyring(KeyringBackend):
    """An OS credential store stand-in that keeps secrets in memory (keyring's own API)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, refuse: bool = False) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}
        self.refuse = refuse

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise keyring.errors.PasswordSetError("the keychain is locked")
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.secrets:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.secrets[(service, username)]


@pytest.fixture
def use_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("http://gpu-box:8080", "http://gpu-box:8080"),
        ("http://gpu-box:8080/", "http://gpu-box:8080"),
        ("http://gpu-box:8080/v1", "http://gpu-box:8080"),
        ("https://llm.corp.example/v1/", "https://llm.corp.example"),
        ("  https://llm.corp.example/ollama/v1 ", "https://llm.corp.example/ollama"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_addresses_are_normalised_to_the_servers_root(given: str, normal: str) -> None:
    assert normalize_base_url(given) == normal


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("gpu-box:8080", "http:// or https://"),
        ("ftp://gpu-box", "http:// or https://"),
        ("http://", "no host"),
        ("http://gpu-box:99999", "port"),
        ("http://gpu-box/v1?key=1", "query"),
    ],
)
def test_unusable_addresses_are_one_line(given: str, reason: str) -> None:
    with pytest.raises(ParrotError) as caught:
        normalize_base_url(given)
    assert reason in str(caught.value) and given in str(caught.value)


def test_names_proxies_and_ca_bundles_are_checked(tmp_path: Path) -> None:
    assert check_name(" gpu-box ") == "gpu-box"
    for bad in ("", "http://gpu-box", "a\nb"):
        with pytest.raises(ParrotError, match="Server name"):
            check_name(bad)
    assert check_proxy("NONE") == "none"
    assert check_proxy("http://proxy.corp:3128") == "http://proxy.corp:3128"
    with pytest.raises(ParrotError, match=re.escape("Proxy 'proxy.corp:3128'")):
        check_proxy("proxy.corp:3128")
    with pytest.raises(ParrotError, match="not found"):
        check_ca_bundle(str(tmp_path / "missing.pem"))
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello")
    with pytest.raises(ParrotError, match="no PEM certificate"):
        check_ca_bundle(str(not_pem))
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert check_ca_bundle(str(pem)) == str(pem.resolve())


def test_without_a_credential_store_the_key_stays_in_an_owner_only_file(
    tmp_path: Path, no_keyring: None
) -> None:
    store = ServerStore(tmp_path / "servers.json")
    assert store.credentials.backend() is None
    where = store.save(ServerConfig("gpu", "http://gpu:8080", read_timeout_s=60), "sk-secret")
    assert where == "file" and store.key_location("gpu") == "file"
    if os.name == "posix":
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    saved = store.get("gpu")
    assert saved.api_key == "sk-secret" and saved.read_timeout_s == 60
    assert "sk-secret" not in repr(saved)
    # A user who loosened the file gets it tightened again on the next save.
    if os.name == "posix":
        store.path.chmod(0o644)
        store.save(ServerConfig("cpu", "http://cpu:8080"), "sk-other")
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_with_a_credential_store_the_key_never_touches_the_file(
    tmp_path: Path, use_keyring: MemoryKeyring
) -> None:
    store = ServerStore(tmp_path / "servers.json")
    assert store.credentials.backend() is not None
    assert store.save(ServerConfig("gpu", "http://gpu:8080"), "sk-secret") == "keyring"
    assert "sk-secret" not in store.path.read_text()
    assert use_keyring.secrets == {("ParrotChat", "server:gpu"): "sk-secret"}
    assert store.get("gpu").api_key == "sk-secret"
    store.remove("gpu")
    assert use_keyring.secrets == {} and store.names() == []


def test_a_store_that_refuses_falls_back_to_the_file_and_says_so(tmp_path: Path) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring(refuse=True))
    try:
        store = ServerStore(tmp_path / "servers.json", CredentialStore())
        assert store.save(ServerConfig("gpu", "http://gpu:8080"), "sk-secret") == "file"
        assert store.get("gpu").api_key == "sk-secret"
    finally:
        keyring.set_keyring(before)


def test_a_key_lost_from_the_credential_store_is_one_line(
    tmp_path: Path, use_keyring: MemoryKeyring
) -> None:
    store = ServerStore(tmp_path / "servers.json")
    store.save(ServerConfig("gpu", "http://gpu:8080"), "sk-secret")
    use_keyring.secrets.clear()  # the user cleaned up their keychain
    with pytest.raises(ParrotError, match="not in the credential store"):
        store.get("gpu")


def test_names_and_urls_resolve(tmp_path: Path, no_keyring: None) -> None:
    store = ServerStore(tmp_path / "servers.json")
    store.save(ServerConfig("gpu", "http://gpu:8080", context_length=8192), "sk-saved")
    assert store.resolve("gpu").api_key == "sk-saved"
    overridden = store.resolve("gpu", api_key="sk-env")
    assert overridden.api_key == "sk-env" and overridden.context_length == 8192
    bare = store.resolve("http://10.0.0.5:8000/v1", api_key="sk-env")
    assert bare.base_url == "http://10.0.0.5:8000" and bare.api_key == "sk-env"
    assert bare.label == "Server http://10.0.0.5:8000"
    with pytest.raises(ParrotError, match="No saved server named 'cpu' \\(saved: gpu\\)"):
        store.resolve("cpu")


def test_saving_again_replaces_and_drops_an_old_key(tmp_path: Path, no_keyring: None) -> None:
    store = ServerStore(tmp_path / "servers.json")
    store.save(ServerConfig("gpu", "http://gpu:8080"), "sk-old")
    store.save(ServerConfig("gpu", "http://gpu:9090"))
    assert store.names() == ["gpu"]
    assert store.get("gpu").base_url == "http://gpu:9090"
    assert store.get("gpu").api_key is None and "sk-old" not in store.path.read_text()
    assert store.key_location("gpu") == "none"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "holds no server list"),
        ('{"schema_version": 99, "servers": []}', "newer ParrotChat"),
        ('{"servers": [{"name": "gpu", "base_url": "gopher://x"}]}', "damaged"),
    ],
)
def test_a_damaged_file_is_one_line_and_left_alone(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "servers.json"
    path.write_text(content)
    with pytest.raises(StorageError) as caught:
        ServerStore(path).servers()
    assert reason in str(caught.value) and str(path) in str(caught.value)
    assert path.read_text() == content


def test_the_file_is_plain_json_an_admin_can_read(tmp_path: Path, no_keyring: None) -> None:
    store = ServerStore(tmp_path / "servers.json")
    store.save(ServerConfig("gpu", "https://gpu:8443", ca_bundle="/etc/corp-ca.pem", proxy="none"))
    data = json.loads(store.path.read_text())
    assert data["schema_version"] == 1
    assert data["servers"][0] == {
        "name": "gpu",
        "base_url": "https://gpu:8443",
        "ca_bundle": "/etc/corp-ca.pem",
        "proxy": "none",
        "connect_timeout_s": 10.0,
        "read_timeout_s": 300.0,
        "context_length": None,
        "api_key_in": "none",
    }
