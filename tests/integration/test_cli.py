"""The headless CLI, as an admin or a script uses it: real processes, real model, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gguf_factory import write_bad_magic, write_tiny_llama, write_truncated

from parrotchat import __version__


def parrot(
    *args: str, home: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args],
        capture_output=True,
        text=True,
        timeout=180,
        input=stdin,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("parrotchat: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version(tmp_path: Path) -> None:
    result = parrot("--version", home=tmp_path)
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_self_test_json_on_the_starter_model(tmp_path: Path) -> None:
    result = parrot("--self-test", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for key in (
        "model",
        "backend",
        "gpu_layers",
        "load_s",
        "ttft_s",
        "tokens_per_s",
        "tokens",
        "reply",
    ):
        assert key in report
    assert report["backend"] == "CPU" and report["gpu_layers"] == 0
    assert report["reply"].strip() and report["tokens"] > 0 and report["tokens_per_s"] > 0


def test_ask_streams_saves_and_continues_a_chat(tmp_path: Path) -> None:
    first = parrot(
        "ask",
        "What is a parrot? One sentence.",
        "--temperature",
        "0",
        "--max-tokens",
        "40",
        home=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip()
    chats = json.loads(parrot("chats", "list", "--json", home=tmp_path).stdout)
    assert len(chats) == 1 and {"id", "title"} <= chats[0].keys()
    chat_id = chats[0]["id"]
    again = parrot(
        "ask", "--chat", str(chat_id), "And a crow?", "--max-tokens", "20", home=tmp_path
    )
    assert again.returncode == 0, again.stderr
    shown = json.loads(parrot("chats", "show", str(chat_id), "--json", home=tmp_path).stdout)
    roles = [m["role"] for m in shown["messages"]]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert shown["messages"][1]["content"].strip() == first.stdout.strip()
    stats = shown["messages"][3]["stats"]
    assert stats["reply_tokens"] > 0 and stats["stop_reason"] in ("finished", "length")
    assert stats["cached_tokens"] == 0  # a new engine per command: nothing to reuse
    assert "created_at" in shown["messages"][0]


def test_ask_continues_a_chat_with_its_own_settings(tmp_path: Path) -> None:
    # A system prompt of a few hundred tokens: whether it reached the model shows in
    # the prompt's length, and in what the chat's overflow policy says when it cannot fit.
    system = "Answer like a pirate who loves parrots. " * 40
    first = parrot(
        "ask", "Hi", "--system", system, "--temperature", "0", "--max-tokens", "4",
        "--overflow", "stop", home=tmp_path,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    chat_id = json.loads(parrot("chats", "list", "--json", home=tmp_path).stdout)[0]["id"]

    # Continued with no options: the chat's own settings, not the defaults, are used.
    again = parrot("ask", "--chat", str(chat_id), "Who are you?", home=tmp_path)
    assert again.returncode == 0, again.stderr
    shown = json.loads(parrot("chats", "show", str(chat_id), "--json", home=tmp_path).stdout)
    reply = shown["messages"][3]
    assert reply["sampling"]["temperature"] == 0 and reply["sampling"]["max_tokens"] == 4
    assert 0 < reply["stats"]["reply_tokens"] <= 4
    assert reply["stats"]["prompt_tokens"] > 300, "the chat's system prompt was sent"

    # The chat says "stop" when full (the default would drop the oldest turns): a
    # context too small for its system prompt is refused in one line that says so.
    small = parrot("ask", "--chat", str(chat_id), "--context", "256", "More?", home=tmp_path)
    line = one_line_error(small)
    assert "context holds 256" in line and "drop the oldest turns" in line, line
    shown = json.loads(parrot("chats", "show", str(chat_id), "--json", home=tmp_path).stdout)
    assert shown["messages"][-1]["status"] == "error", "the refused turn is kept, with why"


def test_translate_template_sends_the_filled_prompt(tmp_path: Path) -> None:
    result = parrot(
        "ask",
        "--template",
        "translate",
        "--language",
        "ko",
        "Good morning, team.",
        "--max-tokens",
        "16",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (listed,) = json.loads(parrot("chats", "list", "--json", home=tmp_path).stdout)
    assert listed["title"] == "Good morning, team.", "named after the user's text"
    shown = json.loads(parrot("chats", "show", str(listed["id"]), "--json", home=tmp_path).stdout)
    user = shown["messages"][0]["content"]
    assert "Good morning, team." in user and "Korean" in user


def test_user_template_with_unknown_placeholder_is_one_clear_line(tmp_path: Path) -> None:
    templates = tmp_path / "config" / "templates"
    templates.mkdir(parents=True)
    (templates / "oops.json").write_text(
        json.dumps(
            {
                "name": "oops",
                "title": {"en": "Oops"},
                "system": {"en": ""},
                "prompt": {"en": "Fix {txet}"},
                "placeholders": ["text"],
            }
        )
    )
    line = one_line_error(parrot("ask", "--template", "oops", "hello", home=tmp_path))
    assert "oops" in line and "txet" in line


def test_portable_home_keeps_everything_in_one_folder(tmp_path: Path) -> None:
    home = tmp_path / "usb"
    result = subprocess.run(
        [sys.executable, "-m", "parrotchat", "ask", "hi", "--max-tokens", "4"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PARROTCHAT_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr
    assert (home / "data" / "chats.sqlite3").is_file()
    assert (home / "data" / "models").is_dir()


@pytest.mark.parametrize("kind", ["bad_magic", "truncated", "random", "missing"])
def test_import_of_a_bad_file_names_file_and_reason(tmp_path: Path, kind: str) -> None:
    bad = tmp_path / f"{kind}.gguf"
    if kind == "bad_magic":
        write_bad_magic(bad)
    elif kind == "truncated":
        write_truncated(write_tiny_llama(tmp_path / "src.gguf"), bad, 0.5)
    elif kind == "random":
        bad.write_bytes(os.urandom(5000))
    line = one_line_error(parrot("models", "import", str(bad), home=tmp_path / "home"))
    assert bad.name in line
    models_dir = tmp_path / "home" / "data" / "models"
    assert not any(models_dir.iterdir()), "nothing half-written is left behind"


def test_models_list_import_and_remove(tmp_path: Path) -> None:
    tiny = write_tiny_llama(tmp_path / "tiny-model.gguf")
    home = tmp_path / "home"
    assert parrot("models", "import", str(tiny), home=home).returncode == 0
    listed = json.loads(parrot("models", "list", "--json", home=home).stdout)
    names = [m["path"] for m in listed]
    assert any(p.endswith("tiny-model.gguf") for p in names)
    assert any("SmolLM2" in p for p in names), "the starter model is always offered"
    removed = parrot("models", "remove", "tiny-model", home=home)
    assert removed.returncode == 0, removed.stderr
    assert not (home / "data" / "models" / "tiny-model.gguf").exists()


def test_model_without_chat_template_asks_for_a_format(tmp_path: Path) -> None:
    bare = write_tiny_llama(tmp_path / "bare.gguf", chat_template=None)
    line = one_line_error(
        parrot("ask", "--model", str(bare), "hi", "--max-tokens", "4", home=tmp_path)
    )
    assert "no chat template" in line and "chatml" in line
    ok = parrot(
        "ask",
        "--model",
        str(bare),
        "--chat-format",
        "chatml",
        "hi",
        "--max-tokens",
        "4",
        home=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr


HOSTILE = [
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for m in messages %}{{ m.__class__.__init__.__globals__['os'].system('touch PWNED') }}"
    "{% endfor %}",
    "{{ raise_exception.__globals__['__builtins__']['__import__']('os').system('touch PWNED') }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% if %}broken",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_chat_template_never_runs_code(tmp_path: Path, template: str) -> None:
    model = write_tiny_llama(tmp_path / "hostile.gguf", chat_template=template)
    result = parrot(
        "ask",
        "--model",
        str(model),
        "hi",
        "--max-tokens",
        "4",
        home=tmp_path,
        env={"PWD": str(tmp_path)},
    )
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    line = one_line_error(result)
    assert "chat template" in line


def test_bench_reports_the_figures_for_an_exact_reply_length(tmp_path: Path) -> None:
    result = parrot(
        "bench", "--json", "--prompt-tokens", "128", "--reply-tokens", "32", home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for key in ("load_s", "prompt_tokens_per_s", "decode_tokens_per_s", "ttft_s", "peak_rss_mb"):
        assert report[key] > 0, key
    assert report["reply_tokens"] == 32  # end-of-sequence suppressed: always the full length
    assert abs(report["prompt_tokens"] - 128) < 40


def test_models_recommended_lists_the_catalog_without_the_network(tmp_path: Path) -> None:
    # An unreachable hub proves nothing is fetched to show the catalog.
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "1"}
    result = parrot("models", "recommended", "--json", home=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert 12 <= len(entries) <= 20
    for entry in entries:
        for key in ("name", "architecture", "license", "languages", "files", "fit"):
            assert entry[key], (entry["id"], key)
        assert entry["license"]["commercial_use"] in ("yes", "conditions", "no")
        assert all(f["path"].endswith(".gguf") for f in entry["files"])
    assert "ko" in entries[0]["languages"]

    text = parrot("models", "recommended", home=tmp_path, env=env)
    assert text.returncode == 0 and "EXAONE 3.5 2.4B Instruct" in text.stdout


def test_models_recommended_names_a_bad_own_catalog_and_still_lists(tmp_path: Path) -> None:
    own = tmp_path / "config" / "catalog.json"
    own.parent.mkdir(parents=True)
    own.write_text('{"models": [{"id": "x"}]}', encoding="utf-8")
    result = parrot("models", "recommended", "--json", home=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    reason = "'repo' must be a non-empty string"
    assert f"parrotchat: warning: {own}: entry 1 ('x'): {reason}" in result.stderr
    assert json.loads(result.stdout)


def test_bench_runs_a_task_on_a_file_with_drafting_on_and_off(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text(
        "The parrot learned three words: hello, seed and window. " * 6, encoding="utf-8"
    )
    reports = {}
    for mode in ("on", "off"):
        result = parrot(
            "bench", "--json", "--input", str(text), "--reply-tokens", "48",
            "--speculative", mode, home=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        reports[mode] = json.loads(result.stdout)
    assert reports["on"]["draft_tokens"] > 0
    assert 0 <= reports["on"]["accepted_tokens"] <= reports["on"]["draft_tokens"]
    assert reports["off"]["draft_tokens"] == reports["off"]["accepted_tokens"] == 0
    for report in reports.values():
        assert len(report["reply_sha256"]) == 64 and report["prompt_tokens"] > 60


def test_bench_names_an_input_file_it_cannot_read(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.txt"
    result = parrot("bench", "--input", str(missing), "--template", "translate", home=tmp_path)
    assert result.returncode != 0
    line = one_line_error(result)
    assert "nothing.txt" in line and "cannot be read" in line


def test_ask_warns_when_the_draft_model_does_not_fit_and_answers(tmp_path: Path) -> None:
    from parrotchat.core.models.starter import starter_model_path
    from parrotchat.core.paths import AppPaths
    from parrotchat.core.settings import Settings, save_settings

    other = write_tiny_llama(tmp_path / "other-draft.gguf")
    settings = Settings()
    settings.draft_models = {str(starter_model_path()): str(other)}
    save_settings(AppPaths.portable(tmp_path / "home").settings_file, settings)
    result = parrot("ask", "Say hi.", "--max-tokens", "4", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    warnings = [ln for ln in result.stderr.splitlines() if "other-draft.gguf" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("parrotchat: warning: Draft model ")
    assert "different vocabulary" in warnings[0]
