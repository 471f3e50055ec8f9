"""`parrotchat docs embedder` and hybrid search, as a person uses them: real processes,
a real index file, the starter model as a stand-in embedding model in its own engine."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from parrotchat.core.models.info import read_model_info

TOPICS = {
    "cats.md": "# Cats\n\nThe cat sat on the mat and purred all afternoon by the window.\n",
    "budget.md": "# Budget\n\nThe finance department cut the travel budget by twelve percent.\n",
    "parrots.md": "# Parrots\n\nKakapo parrots cannot fly; they climb trees at night.\n",
    "weather.md": "# Weather\n\nHeavy rain and strong wind are expected along the coast.\n",
    "회의.md": "# 회의\n\n다음 회의는 금요일 오후 세 시에 본관 3층에서 열린다.\n",
}


def parrot(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def ok(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    result = parrot(*args, home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def results(*args: str, home: Path) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(ok(*args, "--json", home=home).stdout)["results"]
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("topics")
    for name, text in TOPICS.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_choosing_showing_and_clearing_the_embedding_model(
    tmp_path: Path, starter_model: Path
) -> None:
    assert "none" in ok("docs", "embedder", home=tmp_path).stdout
    chosen = ok("docs", "embedder", str(starter_model), home=tmp_path)
    assert "looks like a chat model" in chosen.stderr  # a stand-in, and the user is told
    assert "docs rescan" in chosen.stderr
    shown = json.loads(ok("docs", "embedder", "--json", home=tmp_path).stdout)
    assert shown == {"embedding_model": str(starter_model)}
    settings = json.loads((tmp_path / "config" / "settings.json").read_text(encoding="utf-8"))
    assert settings["embedding_model"] == str(starter_model)
    ok("docs", "embedder", "--none", home=tmp_path)
    assert json.loads(ok("docs", "embedder", "--json", home=tmp_path).stdout) == {
        "embedding_model": None
    }


def test_an_unknown_model_is_one_clear_line(tmp_path: Path) -> None:
    result = parrot("docs", "embedder", "no-such-embedder", home=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("parrotchat: error: ") and "no-such-embedder" in line


def test_a_vanished_embedding_model_leaves_indexing_and_search_working(
    tmp_path: Path, folder: Path, starter_model: Path
) -> None:
    copy = tmp_path / "stand-in.gguf"
    copy.write_bytes(starter_model.read_bytes())
    ok("docs", "embedder", str(copy), home=tmp_path)
    copy.unlink()
    added = ok("docs", "add", str(folder), home=tmp_path)
    assert "embedding model cannot be used" in added.stderr
    assert results("docs", "search", "kakapo", home=tmp_path)


def test_docs_add_embeds_every_passage_and_search_fuses_words_and_meaning(
    tmp_path: Path, folder: Path, starter_model: Path
) -> None:
    home = tmp_path
    ok("docs", "add", str(folder), home=home)  # words only at first
    # With no embedder, a query none of whose words is in the documents finds nothing.
    assert results("docs", "search", "a kitten sleeping on a rug", home=home) == []
    assert results("docs", "search", "How much money was saved on trips?", home=home) == []
    words_only = results("docs", "search", "kakapo", home=home)

    ok("docs", "embedder", str(starter_model), home=home)
    rescan = ok("docs", "rescan", home=home)
    assert "passages embedded with" in rescan.stderr

    db = sqlite3.connect(home / "data" / "documents.sqlite3")
    try:
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        rows = db.execute("SELECT chunk_id, embedder, dims FROM vectors").fetchall()
    finally:
        db.close()
    assert chunks >= len(TOPICS)
    assert len(rows) == chunks and len({r[0] for r in rows}) == chunks  # one per passage
    assert {r[1] for r in rows} == {starter_model.name}
    assert {r[2] for r in rows} == {read_model_info(starter_model).n_embd}

    # Nothing new: a second rescan embeds nothing and loads no model.
    assert "embedded" not in ok("docs", "rescan", home=home).stderr

    # Meaning alone now finds passages, the related one first (a gross check: the
    # stand-in is a 135M chat model, mean-pooled).
    for query, wanted in (
        ("a kitten sleeping on a rug", "cats.md"),
        ("How much money was saved on trips?", "budget.md"),
    ):
        by_meaning = results("docs", "search", query, home=home)
        assert by_meaning and str(by_meaning[0]["file"]).endswith(wanted), by_meaning
    # A word match ranks first in both lists: its fused score is above one list's best.
    hybrid = results("docs", "search", "kakapo", home=home)
    assert hybrid[0]["file"] == words_only[0]["file"]
    assert float(str(hybrid[0]["score"])) > 1 / 61
    assert len(hybrid) > len(words_only)  # the vector ranking adds the other passages

    # ask --docs takes its sources from the same hybrid ranking.
    answer = ok(
        "ask",
        "--docs",
        "documents",
        "--max-tokens",
        "4",
        "a kitten sleeping on a rug",
        home=home,
    ).stdout
    sources = answer.split("Sources:", 1)[1].splitlines()[1]
    assert sources.startswith("[1] ") and "cats.md" in sources, answer
