"""`parrotchat servers …` and `ask --server`, as an admin types them: real processes, a real
server (llama-cpp-python's, on the starter model, on 127.0.0.1), real files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from llama_cpp_server import TEST_API_KEY, LlamaCppServer
from test_cli import one_line_error, parrot

KEY_ENV = {"GPU_BOX_KEY": TEST_API_KEY, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_add_list_test_ask_and_remove_a_server(
    tmp_path: Path, llama_cpp_server: LlamaCppServer
) -> None:
    url = f"{llama_cpp_server.url}/v1"
    added = parrot(
        "servers",
        "add",
        "gpu-box",
        url,
        "--api-key-env",
        "GPU_BOX_KEY",
        "--context",
        "2048",
        home=tmp_path,
        env=KEY_ENV,
    )
    assert added.returncode == 0, added.stderr
    assert "Saved server gpu-box" in added.stdout and "readable by you only" in added.stdout

    servers_file = tmp_path / "config" / "servers.json"
    assert TEST_API_KEY in servers_file.read_text()  # no credential store on this machine
    if os.name == "posix":
        assert stat.S_IMODE(servers_file.stat().st_mode) == 0o600

    listed = parrot("servers", "list", "--json", home=tmp_path, env=KEY_ENV)
    report = json.loads(listed.stdout)
    assert report["credential_store"] is None
    [entry] = report["servers"]
    assert entry["name"] == "gpu-box" and entry["base_url"] == llama_cpp_server.url
    assert entry["api_key"] == "file" and TEST_API_KEY not in listed.stdout

    tested = parrot("servers", "test", "gpu-box", home=tmp_path, env=KEY_ENV)
    assert tested.returncode == 0, tested.stderr
    assert "llama-cpp-python" in tested.stdout and "answered in" in tested.stdout
    assert "smollm2  (context 2048)" in tested.stdout

    asked = parrot(
        "ask",
        "--server",
        "gpu-box",
        "Name one bird.",
        "--max-tokens",
        "12",
        home=tmp_path,
        env=KEY_ENV,
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert "tokens/s" in asked.stderr
    shown = json.loads(parrot("chats", "show", "1", "--json", home=tmp_path).stdout)
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
    reply = shown["messages"][-1]
    assert reply["content"] == asked.stdout.strip("\n")
    assert reply["model"] == "smollm2 on gpu-box"

    removed = parrot("servers", "remove", "gpu-box", home=tmp_path, env=KEY_ENV)
    assert removed.returncode == 0
    assert json.loads(servers_file.read_text())["servers"] == []


def test_ask_a_bare_url_with_a_key_from_the_environment(
    tmp_path: Path, llama_cpp_server: LlamaCppServer
) -> None:
    asked = parrot(
        "ask",
        "--server",
        llama_cpp_server.url,
        "--api-key-env",
        "GPU_BOX_KEY",
        "--model",
        "smollm2",
        "Say hi.",
        "--max-tokens",
        "6",
        home=tmp_path,
        env=KEY_ENV,
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert not (tmp_path / "config" / "servers.json").exists()  # nothing was saved


def test_server_mistakes_are_one_line(tmp_path: Path, llama_cpp_server: LlamaCppServer) -> None:
    no_key = one_line_error(
        parrot("ask", "--server", llama_cpp_server.url, "hi", home=tmp_path, env=KEY_ENV)
    )
    assert "asks for an API key" in no_key and llama_cpp_server.url in no_key
    unknown = one_line_error(parrot("ask", "--server", "gpu-box", "hi", home=tmp_path))
    assert "No saved server named 'gpu-box'" in unknown
    missing_env = one_line_error(
        parrot("servers", "add", "x", "http://x:1", "--api-key-env", "NOPE_UNSET", home=tmp_path)
    )
    assert "NOPE_UNSET is not set" in missing_env
    bad_url = one_line_error(parrot("servers", "add", "x", "x:8080", home=tmp_path))
    assert "must start with http:// or https://" in bad_url
    wrong_model = one_line_error(
        parrot(
            "servers",
            "test",
            llama_cpp_server.url,
            "--api-key-env",
            "GPU_BOX_KEY",
            home=tmp_path,
            env={**KEY_ENV, "GPU_BOX_KEY": "wrong"},
        )
    )
    assert "refused the API key" in wrong_model
    fmt = one_line_error(
        parrot("ask", "--server", "x", "--chat-format", "chatml", "hi", home=tmp_path)
    )
    assert "--chat-format is for local models" in fmt
