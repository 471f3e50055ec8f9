"""The command line as people type it: options where habit puts them, readable times,
a help text that says what plain `parrotchat` does. Real processes, real files."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
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


def run_with_terminal_stderr(
    *args: str, timeout: float = 180, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run parrotchat with stderr on a pseudo-terminal (a person watching) and stdout
    on a pipe (what a script keeps). Returns (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "parrotchat", *args],
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    os.close(slave)
    seen = bytearray()
    reader = threading.Thread(target=_drain, args=(master, seen), daemon=True)
    reader.start()
    try:
        out, _ = proc.communicate(None if stdin is None else stdin.encode(), timeout=timeout)
    finally:
        proc.kill()
    reader.join(10)
    os.close(master)
    return proc.returncode, out.decode("utf-8"), seen.decode("utf-8", "replace")


def _drain(fd: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every writer closed the terminal
            return
        if not chunk:
            return
        into.extend(chunk)


def test_ask_shows_loading_progress_on_a_terminal_only(tmp_path: Path, starter_model: Path) -> None:
    ask = ("--data-dir", str(tmp_path), "ask", "Say hi.", "--max-tokens", "8")
    code, out, terminal = run_with_terminal_stderr(*ask)
    assert code == 0, terminal
    assert re.search(r"\rLoading SmolLM2-135M-Instruct… \d+ %", terminal), repr(terminal)
    # Then how far the engine got reading the message, up to its first word (#17.6).
    assert re.search(r"\rReading your message… 0 %.*100 %", terminal), repr(terminal)
    # The note is wiped (spaces over it) before the reply and the stats line.
    assert re.search(r"100 %\r +\r\[chat 1, ", terminal), repr(terminal)
    assert out.strip() and "Loading" not in out, "the reply on stdout carries no progress"

    # A pipe (a script) gets the reply and the stats line, nothing else.
    piped = parrot(*ask)
    assert piped.returncode == 0, piped.stderr
    assert "Loading" not in piped.stderr and "%" not in piped.stderr, piped.stderr
    assert "Reading" not in piped.stderr, piped.stderr


def test_chat_says_how_far_it_read_each_message(tmp_path: Path, starter_model: Path) -> None:
    # Greedy: sampled, the second reply may end within 4 tokens, and a reply that ends
    # by itself gets no stats line (the anchor below).
    chat = ("--data-dir", str(tmp_path), "chat", "--temperature", "0", "--max-tokens", "4")
    code, out, terminal = run_with_terminal_stderr(*chat, stdin="Say hi.\nAnd bye.\n")
    assert code == 0, terminal
    assert terminal.count("\rReading your message… 0 %") == 2, repr(terminal)
    # Wiped (spaces over it) before the reply and its stats line: nothing of it stays.
    wiped = re.findall(r"Reading your message… 100 %\r +\r\[chat 1, ", terminal)
    assert len(wiped) == 2, repr(terminal)
    assert out.strip() and "Reading" not in out


def test_chat_from_a_pipe_is_a_saved_multi_turn_chat(tmp_path: Path, starter_model: Path) -> None:
    home = ("--data-dir", str(tmp_path))
    lines = "What is a parrot? One sentence.\n\nAnd a crow?\n/exit\nnever sent\n"
    result = parrot(*home, "chat", "--temperature", "0", "--max-tokens", "24", stdin=lines)
    assert result.returncode == 0, result.stderr
    assert "> " not in result.stdout, "no prompt when nobody types"
    (listed,) = json.loads(parrot(*home, "chats", "list", "--json").stdout)
    assert listed["title"] == "What is a parrot? One sentence."
    assert f"[chat {listed['id']} saved]" in result.stderr
    shown = json.loads(parrot(*home, "chats", "show", str(listed["id"]), "--json").stdout)
    messages = shown["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "And a crow?"
    assert "never sent" not in json.dumps(shown), "/exit ends the conversation"
    replies = [m["content"].strip() for m in messages[1::2]]
    assert all(replies) and all(r in result.stdout for r in replies)
    assert messages[1]["sampling"]["temperature"] == 0  # the options went with every turn

    # The end of the input (Ctrl-D) leaves too; --chat goes on with the same chat; a
    # message of several lines goes between triple quotes.
    block = '"""Which is bigger:\n\na parrot\nor a crow?\n"""\n'
    again = parrot(*home, "chat", "--chat", str(listed["id"]), stdin=block)
    assert again.returncode == 0, again.stderr
    shown = json.loads(parrot(*home, "chats", "show", str(listed["id"]), "--json").stdout)
    assert shown["messages"][4]["content"] == "Which is bigger:\n\na parrot\nor a crow?"
    assert len(shown["messages"]) == 6 and shown["messages"][5]["content"].strip()


def test_ctrl_c_in_a_terminal_chat_stops_the_reply_and_keeps_the_chat(
    tmp_path: Path, starter_model: Path
) -> None:
    """A person at a terminal: the prompt, a long reply stopped with Ctrl-C (SIGINT to
    the terminal's process group, as the terminal sends it), then another turn."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(tmp_path), "chat",
         "--max-tokens", "120", "--temperature", "0.7"],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "TERM": "dumb"},
    )  # fmt: skip
    os.close(slave)
    seen = bytearray()
    reader = threading.Thread(target=_drain, args=(master, seen), daemon=True)
    reader.start()

    def wait_for(pattern: str, start: int = 0, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, seen[start:].decode("utf-8", "replace"))
            if found:
                return start + len(seen[start:].decode("utf-8", "replace")[: found.end()].encode())
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in {seen.decode('utf-8', 'replace')!r}")

    try:
        at = wait_for(r"Ctrl-D or /exit leaves\.\s*\r?\n> ")
        os.write(master, b"Write a long story about a parrot and a crow.\n")
        at = wait_for(r"crow\.\r?\n", at)  # the terminal's echo of the line typed
        at = wait_for(r"\w+ \w+ \w+ \w+ \w+", at)  # the reply has begun
        os.killpg(proc.pid, signal.SIGINT)
        at = wait_for(r"stop: cancelled\]\s*\r?\n> ", at)  # told, and back at the prompt
        os.write(master, b"Thanks!\n")
        at = wait_for(r"Thanks!\r?\n", at)
        at = wait_for(r"\n> ", at)
        os.write(master, b"/exit\n")
        assert proc.wait(timeout=60) == 0, seen.decode("utf-8", "replace")
    finally:
        proc.kill()
        reader.join(10)
        os.close(master)
    (listed,) = json.loads(parrot("--data-dir", str(tmp_path), "chats", "list", "--json").stdout)
    shown = json.loads(
        parrot("--data-dir", str(tmp_path), "chats", "show", str(listed["id"]), "--json").stdout
    )
    messages = shown["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    stopped = messages[1]
    assert stopped["content"].strip(), "what was written before Ctrl-C is kept"
    assert stopped["stats"]["stop_reason"] == "cancelled" and stopped["status"] == "complete"
    assert stopped["stats"].get("reply_tokens", 0) < 120
    assert messages[2]["content"] == "Thanks!" and messages[3]["content"].strip()


def test_the_starter_model_is_shown_and_suggested_by_its_clean_name(
    tmp_path: Path, starter_model: Path
) -> None:
    home = ("--data-dir", str(tmp_path))
    listed = parrot(*home, "models", "list")
    assert listed.returncode == 0 and "SmolLM2-135M-Instruct " in listed.stdout, listed.stdout
    assert "Smollm2 135M 8k" not in listed.stdout
    (starter,) = json.loads(parrot(*home, "models", "list", "--json").stdout)
    assert starter["display_name"] == "SmolLM2-135M-Instruct"
    wrong = parrot(*home, "ask", "hi", "--model", "smollm3")
    assert wrong.returncode == 1 and "did you mean: SmolLM2-135M-Instruct?" in wrong.stderr
