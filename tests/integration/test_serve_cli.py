"""`parrotchat serve` as an admin starts and stops it: unsafe setups refused in one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openai
import pytest
from serve_process import ServeProcess


def serve(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("parrotchat: error:")]
    return line


def test_an_outside_address_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    started = time.monotonic()
    line = one_line_error(serve(tmp_path, "--host", "0.0.0.0"))
    assert "--host 0.0.0.0 lets other computers connect" in line and "--api-key-env" in line
    assert time.monotonic() - started < 30  # before loading any model


def test_a_key_variable_that_is_not_set_refuses_to_start(tmp_path: Path) -> None:
    env = {"PARROT_UNSET_KEY": ""}
    line = one_line_error(serve(tmp_path, "--api-key-env", "PARROT_UNSET_KEY", env=env))
    assert "PARROT_UNSET_KEY" in line and "not set" in line


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(serve(tmp_path, "--port", str(port)))
    assert f"Port {port} on 127.0.0.1 is already in use" in line


def test_sigterm_stops_it_cleanly_and_takes_the_engine_along(
    tmp_path: Path, starter_model: Path
) -> None:
    server = ServeProcess(tmp_path, settings={"threads": 2, "context_length": 1024}).start()
    engine_pid = server.engine_pid()
    assert server.stop() == 0
    assert "server stopped" in server.errors.read_text()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(engine_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the engine process outlived the server")


def test_an_engine_crash_mid_stream_is_an_error_event_and_the_engine_comes_back(
    tmp_path: Path, starter_model: Path
) -> None:
    with ServeProcess(tmp_path, settings={"threads": 2, "context_length": 1024}) as server:
        client = openai.OpenAI(base_url=server.url, api_key="none", max_retries=0, timeout=120)
        stream = client.chat.completions.create(
            model=server.model,
            messages=[{"role": "user", "content": "Write a very long story."}],
            max_tokens=500,
            stream=True,
        )
        got = 0
        with pytest.raises(openai.APIError) as info:
            for _chunk in stream:
                got += 1
                if got == 3:
                    os.kill(server.engine_pid(), 9)
        assert got >= 3
        assert "engine" in info.value.message and "killed" in info.value.message
        # The server lives on: it restarts the engine, reloads the model, and answers.
        with urllib.request.urlopen(f"{server.root}/health", timeout=10) as answer:
            assert json.loads(answer.read())["status"] == "ok"
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = client.chat.completions.create(
                    model=server.model, messages=[{"role": "user", "content": "Hi"}], max_tokens=3
                )
                break
            except openai.APIStatusError as exc:
                assert exc.status_code in (500, 503), exc.message  # refused, never hung
                assert time.monotonic() < deadline, "the engine was not restarted"
                time.sleep(0.5)
        assert reply.choices[0].message.content is not None
        assert "the engine was restarted" in server.errors.read_text()
