"""The command line as people type it: options where habit puts them, readable times,
a help text that says what plain `parrotchat` does. Real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from parrotchat.core.chats.store import ChatStore


def parrot(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", *args],
        capture_output=True,
        text=True,
        timeout=180,
        input=stdin,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )


def test_global_options_work_after_the_command_too(tmp_path: Path) -> None:
    with ChatStore(tmp_path / "data" / "chats.sqlite3") as store:
        store.create_chat("Kept in the portable folder")
    before = parrot("--data-dir", str(tmp_path), "--json", "chats", "list")
    after = parrot("chats", "list", "--json", "--data-dir", str(tmp_path))
    assert before.returncode == after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert json.loads(after.stdout)[0]["title"] == "Kept in the portable folder"

    # --offline after the command is taken, not refused: the search is what says no.
    for args in (
        ("--offline", "models", "search", "qwen"),
        ("models", "search", "qwen", "--offline"),
        ("models", "--offline", "search", "qwen"),
    ):
        result = parrot("--data-dir", str(tmp_path), *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "offline mode" in result.stderr, (args, result.stderr)
        assert "unrecognized arguments" not in result.stderr

    # A command's own option of the same name keeps its meaning: `ask --model` names
    # the model to ask; one that does not exist is named in the error.
    result = parrot("--data-dir", str(tmp_path), "ask", "hi", "--model", "no-such-model")
    assert result.returncode == 1 and "no-such-model" in result.stderr


def test_help_says_that_plain_parrotchat_opens_the_window(tmp_path: Path) -> None:
    result = parrot("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "with no COMMAND, opens the chat window" in text
    assert "before or after the COMMAND" in text
    sub = " ".join(parrot("chats", "list", "--help").stdout.split())
    assert "--offline" in sub and "--data-dir DIR" in sub


def test_chats_list_shows_local_time_and_json_gives_iso_8601(tmp_path: Path) -> None:
    with ChatStore(tmp_path / "data" / "chats.sqlite3") as store:
        chat = store.create_chat("Seoul time")
        store.add_message(chat, "user", "What time is it?")
    (listed,) = json.loads(parrot("--data-dir", str(tmp_path), "chats", "list", "--json").stdout)
    for key in ("created_at", "updated_at"):
        parsed = datetime.fromisoformat(listed[key].replace("Z", "+00:00"))
        assert parsed.utcoffset() == timedelta(0), listed[key]
    updated = datetime.fromisoformat(listed["updated_at"].replace("Z", "+00:00"))

    # Korea has no daylight saving time: UTC+9 all year, a clear test of "local".
    plain = parrot("--data-dir", str(tmp_path), "chats", "list", env={"TZ": "Asia/Seoul"})
    assert plain.returncode == 0, plain.stderr
    seoul = (updated + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    assert seoul in plain.stdout and "Seoul time" in plain.stdout, plain.stdout
    assert "T" not in plain.stdout.split("Seoul time")[0], "no raw ISO timestamp for people"
