"""Who may connect: addresses, Host names, origins and keys."""

from __future__ import annotations

import socket

import pytest

from parrotchat.core.errors import ParrotError
from parrotchat.serve.config import ServeConfig, allowed_hosts, is_loopback
from parrotchat.serve.guard import AccessPolicy


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("gpu-box.internal", False),  # a name may resolve anywhere
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_an_outside_address_needs_a_key() -> None:
    with pytest.raises(ParrotError, match="--api-key-env"):
        ServeConfig(host="0.0.0.0").check()
    assert ServeConfig(host="0.0.0.0", api_key="k" * 32).check() == []
    assert "characters" in ServeConfig(host="0.0.0.0", api_key="short").check()[0]
    with pytest.raises(ParrotError, match="not an origin"):
        ServeConfig(allowed_origins=("localhost:3000",)).check()


def test_host_names_on_loopback_are_only_loopback_names() -> None:
    hosts = allowed_hosts(ServeConfig(host_names=("LLM.Team.Internal",)), 8080)
    assert {"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "llm.team.internal:8080"} == hosts
    assert socket.gethostname().lower() + ":8080" not in hosts


def test_host_names_on_all_interfaces_include_the_machine() -> None:
    hosts = allowed_hosts(ServeConfig(host="0.0.0.0", api_key="k" * 32), 9000)
    assert f"{socket.gethostname().lower()}:9000" in hosts
    assert "127.0.0.1:9000" in hosts
    assert not any(h.endswith(":8080") for h in hosts)


def test_keys_and_origins() -> None:
    policy = AccessPolicy.create(
        frozenset({"127.0.0.1:8080"}), ("http://localhost:3000/",), "secret-key", 1024
    )
    assert policy.key_ok("Bearer secret-key") and policy.key_ok("bearer  secret-key")
    assert not policy.key_ok("Bearer secret-keyX") and not policy.key_ok("secret-key")
    assert not policy.key_ok(None) and not policy.key_ok("Basic c2VjcmV0LWtleQ==")
    assert policy.origin_ok("http://LOCALHOST:3000") and not policy.origin_ok("http://evil")
    assert policy.host_ok("127.0.0.1:8080") and not policy.host_ok("127.0.0.1:8081")
    assert not policy.host_ok(None)
    open_policy = AccessPolicy.create(frozenset(), (), None, 1024)
    assert open_policy.key_ok(None)
