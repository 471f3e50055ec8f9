"""schemathesis against `parrotchat serve`'s own /openapi.json: no 5xx, no hang, no drift.

A bounded run of schemathesis's CLI (its own process, as CI would run it) with every
check but response time: valid bodies must be accepted, invalid ones refused with a
documented 4xx, responses (streams included) must match the document, requests
without the key must be refused. The replies are kept to 8 tokens so that the run
spends its time on variety, not on generating text. The server has an embedding model
(the starter as a stand-in), so /v1/embeddings is fuzzed answering, not only refusing.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_process import ServeProcess

KEY = "schema-key-0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[ServeProcess]:
    settings = {
        # Fuzzed chats run to a thousand tokens and more; one that does not fit is a correct
        # 400 (context_length_exceeded) that schemathesis would count as a valid body refused.
        "context_length": 8192,
        "threads": 2,
        "serve_max_tokens": 8,
        "serve_max_waiting": 4,
    }
    home = tmp_path_factory.mktemp("serve-schema")
    # The starter stands in for an embedding model too, so that /v1/embeddings is fuzzed
    # as it answers, not only as it refuses.
    with ServeProcess(
        home,
        "--api-key-env",
        "PARROT_TEST_KEY",
        "--embedding-model",
        str(starter_model),
        settings=settings,
        env={"PARROT_TEST_KEY": KEY},
    ) as s:
        yield s


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_drift(
    server: ServeProcess, tmp_path: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.root}/openapi.json",
        "--header",
        f"Authorization: Bearer {KEY}",
        "--checks",
        "all",
        "--max-response-time",
        "300",  # a loaded CI machine is slow; a hang is what the request timeout catches
        "--request-timeout",
        "120",
        "--max-examples",
        "15",
        "--max-time",
        "240",
        "--seed",
        "20261204",
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    # The failures first (the request that broke, with its curl line), then the totals.
    out = result.stdout
    failures = out.find("FAILURES")
    summary = (out[failures : failures + 6000] if failures >= 0 else "") + out[-1500:]
    assert result.returncode == 0, summary
    assert "Network Error" not in result.stdout, summary  # a timed-out request: a hang
    idle = {"running": 0, "waiting": 0}
    assert server.health() == {"status": "ok", **idle, "embeddings": idle}
