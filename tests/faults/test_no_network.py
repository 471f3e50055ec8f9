"""With no network at all, chatting, the window and importing models all work, and never try.

The chat, GUI and import tests run again in a child pytest inside a network
namespace with no interfaces (`unshare -n`, where the kernel lets us), with a guard
in every Python process (tests/faults/netguard/sitecustomize.py) that logs and
refuses any connect, datagram or name lookup. Passing tests prove the paths work
offline; an empty guard log proves nothing even tried to reach the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NETGUARD = Path(__file__).with_name("netguard")

# Chat (engine and CLI), the window, and model import: everything that is not the hub.
OFFLINE_PATHS = [
    "tests/integration/test_engine_chat.py::test_streams_a_real_reply_with_stats",
    "tests/integration/test_engine_chat.py::test_second_turn_processes_only_the_new_tokens",
    "tests/integration/test_cli.py::test_self_test_json_on_the_starter_model",
    "tests/integration/test_cli.py::test_ask_streams_saves_and_continues_a_chat",
    "tests/integration/test_cli.py::test_import_of_a_bad_file_names_file_and_reason",
    "tests/integration/test_cli.py::test_models_list_import_and_remove",
    "tests/gui/test_chat_window.py",
    "tests/gui/test_restart.py",
    "tests/gui/test_models_window.py::test_library_lists_models_with_details",
    "tests/gui/test_models_window.py::test_import_bad_file_names_it_and_adds_nothing",
    "tests/gui/test_models_window.py::test_import_copy_then_remove",
    "tests/unit/core/test_model_library.py",
]


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10)
    return probe.returncode == 0


def _guarded_env(log: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(NETGUARD), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "PARROTCHAT_NETGUARD_LOG": str(log),
        "QT_QPA_PLATFORM": "offscreen",
    }


def test_the_guard_catches_and_logs_a_connection(tmp_path: Path) -> None:
    """The guard itself works: otherwise an empty log would prove nothing."""
    log = tmp_path / "net.log"
    code = "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_guarded_env(log), capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "network use during a no-network run" in out.stderr
    assert "connect" in log.read_text()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_chat_window_and_import_work_with_no_network(tmp_path: Path) -> None:
    log = tmp_path / "net.log"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not build"]
    cmd += ["--basetemp", str(tmp_path / "run"), *OFFLINE_PATHS]
    isolated = _can_unshare()
    if isolated:
        cmd = ["unshare", "-n", *cmd]
    out = subprocess.run(
        cmd, cwd=REPO, env=_guarded_env(log), capture_output=True, text=True, timeout=580
    )
    summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    attempts = log.read_text() if log.exists() else ""
    assert attempts == "", f"network was attempted:\n{attempts[:4000]}"
    where = "an empty network namespace (unshare -n)" if isolated else "the socket guard only"
    print(f"\nFIGURES no network: {summary} in {where}; network attempts logged: 0")
