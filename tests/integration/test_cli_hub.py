"""`parrotchat models search|files|download` as an admin runs them: real processes talking
to a real HTTP server on 127.0.0.1 (`--endpoint`), real GGUF bytes, real files."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hub_server import (
    STARTER_NAME,
    STARTER_REPO,
    TINY_REPO,
    HubServer,
    socket_guard,
)

from parrotchat.app import main
from parrotchat.core.hub.config import OFFLINE_MESSAGE


def parrot(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_ENDPOINT": "", **(env or {})},
    )


def spawn(*args: str, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("parrotchat: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_search_and_files(tmp_path: Path, server: HubServer, tiny: dict[str, bytes]) -> None:
    found = parrot("models", "search", "GGUF", "--json", "--endpoint", server.url, home=tmp_path)
    assert found.returncode == 0, found.stderr
    repos = json.loads(found.stdout)
    assert [r["repo_id"] for r in repos] == [STARTER_REPO, TINY_REPO]  # by downloads
    assert repos[0]["parameters"] == 134_515_008
    text = parrot(
        "--endpoint", server.url, "models", "search", "tiny", "--sort", "likes", home=tmp_path
    )
    assert text.returncode == 0 and text.stdout.startswith(TINY_REPO)

    files = parrot("models", "files", TINY_REPO, "--json", "--endpoint", server.url, home=tmp_path)
    assert files.returncode == 0, files.stderr
    choices = {c["path"]: c for c in json.loads(files.stdout)}
    q4 = choices["tiny-Q4_K_M.gguf"]
    assert q4["quantization"] == "Q4_K_M" and q4["size_bytes"] == len(tiny["tiny-Q4_K_M.gguf"])
    assert len(q4["sha256"]) == 64 and q4["fit"] == "fits"
    split = choices["split/tiny-split-Q5_K_M-00001-of-00002.gguf"]
    assert len(split["files"]) == 2 and split["label"] == "tiny-split-Q5_K_M (2 parts)"
    # The largest of Q4_K_M / Q5_K_M / Q4_0 that fits: the two-part Q5_K_M set.
    assert split["recommended"] and sum(c["recommended"] for c in choices.values()) == 1
    assert "Refused file name '../../x.gguf'" in files.stderr  # warned, never offered

    table = parrot("--endpoint", server.url, "models", "files", TINY_REPO, home=tmp_path)
    assert table.returncode == 0
    assert any(ln.startswith("* tiny-split-Q5_K_M (2 parts)") for ln in table.stdout.splitlines())


def test_download_lands_in_the_library_under_its_name(tmp_path: Path, server: HubServer) -> None:
    result = parrot(
        "models", "download", TINY_REPO, "--quant", "F16", "--endpoint", server.url, home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Downloaded tiny (F16" in result.stdout  # the file name, less its quantization
    assert "tiny-F16.gguf: downloading" in result.stderr and "verifying" in result.stderr
    listed = json.loads(parrot("models", "list", "--json", home=tmp_path).stdout)
    (ours,) = [m for m in listed if m["source"] == "library"]
    assert Path(ours["path"]) == tmp_path / "data" / "models" / "tiny-F16.gguf"
    assert ours["name"] == "Tiny F16"
    again = parrot(
        "models", "download", TINY_REPO, "--file", "tiny-F16.gguf", "--json",
        "--endpoint", server.url, home=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["path"] == ours["path"]


def test_download_killed_halfway_resumes_in_a_new_process(
    tmp_path: Path, server: HubServer
) -> None:
    size = server.repos[STARTER_REPO].files[STARTER_NAME].size
    half = size // 2
    server.faults.stall_after[STARTER_NAME] = half
    part = tmp_path / "cache" / "downloads" / STARTER_REPO / f"{STARTER_NAME}.part"
    first = spawn("--endpoint", server.url, "models", "download", STARTER_REPO, home=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size == half):
            assert time.monotonic() < deadline and first.poll() is None, first.stderr
            time.sleep(0.02)
    finally:
        first.kill()  # no clean shutdown: like a crash or a power cut of the app
        first.communicate()
    del server.faults.stall_after[STARTER_NAME]
    server.faults.release.set()

    second = parrot("--endpoint", server.url, "models", "download", STARTER_REPO, home=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "checking" in second.stderr  # the kept half was re-hashed
    assert (tmp_path / "data" / "models" / STARTER_NAME).stat().st_size == size
    assert not part.exists()
    redownloaded = server.bytes_sent[STARTER_NAME] - size
    assert 0 <= redownloaded <= size // 100, redownloaded


def test_failures_are_one_line(tmp_path: Path, server: HubServer) -> None:
    missing = parrot("--endpoint", server.url, "models", "files", "nobody/none", home=tmp_path)
    assert "nobody/none: not found on" in one_line_error(missing)

    server.faults.corrupt["tiny-F16.gguf"] = 100
    corrupt = parrot(
        "--endpoint", server.url, "models", "download", TINY_REPO, "--quant", "F16",
        home=tmp_path,
    )  # fmt: skip
    assert "the download is corrupt" in one_line_error(corrupt)
    assert not (tmp_path / "data" / "models" / "tiny-F16.gguf").exists()

    unknown = parrot(
        "--endpoint", server.url, "models", "download", TINY_REPO, "--quant", "IQ1_S",
        home=tmp_path,
    )  # fmt: skip
    assert "no GGUF quantization IQ1_S" in one_line_error(unknown)

    offline = parrot("--offline", "models", "download", TINY_REPO, home=tmp_path)
    assert OFFLINE_MESSAGE in one_line_error(offline)
    assert len([r for r in server.requests if r.path.startswith("/api/models/nobody")]) == 1


def test_endpoint_from_the_environment(tmp_path: Path, server: HubServer) -> None:
    result = parrot(
        "models", "search", "tiny", "--json", home=tmp_path, env={"HF_ENDPOINT": server.url}
    )
    assert result.returncode == 0, result.stderr
    assert [r["repo_id"] for r in json.loads(result.stdout)] == [TINY_REPO]


def test_offline_cli_makes_no_connection(tmp_path: Path) -> None:
    err = io.StringIO()
    with socket_guard() as attempts, contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(tmp_path), "--offline", "models", "search", "x"])
    assert code == 1 and attempts == []
    assert err.getvalue().strip() == f"parrotchat: error: {OFFLINE_MESSAGE}"


def test_nothing_network_related_loads_for_other_commands(tmp_path: Path) -> None:
    code = (
        "import sys; from parrotchat.app import main; "
        f"rc = main(['--data-dir', {str(tmp_path)!r}, 'models', 'list', '--json']); "
        "loaded = [m for m in ('huggingface_hub', 'httpx2', 'parrotchat.core.hub.client') "
        "if m in sys.modules]; print(rc, loaded, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stderr.strip().endswith("0 []"), result.stderr
