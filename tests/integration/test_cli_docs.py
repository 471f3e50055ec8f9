"""`parrotchat docs …` as a person or a script uses it: real processes, real documents
of every format made by their real writers (tests/doc_factory.py), a real index file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from doc_factory import (
    make_docx,
    make_encrypted_pdf,
    make_html,
    make_hwp,
    make_hwpx,
    make_pdf,
    truncate,
)


def parrot_command(*args: str, home: Path) -> list[str]:
    return [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args]


def parrot(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        parrot_command(*args, home=home),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def ok(*args: str, home: Path) -> str:
    result = parrot(*args, home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def fails(*args: str, home: Path) -> str:
    """The one line a failed command prints."""
    result = parrot(*args, home=home)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("parrotchat: error: ")
    return line


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one document of each format and five that cannot be read."""
    folder = tmp_path_factory.mktemp("library")
    make_pdf(
        folder / "manual.pdf",
        ["The kakapo is a flightless parrot.", "Kakapo chicks hatch in March after 30 days."],
    )
    make_docx(
        folder / "보고서.docx",
        ["2024년 사업 예산은 삼억 원이다.", "The committee meets every Tuesday."],
        headings={0: "1. 예산"},
    )
    make_hwpx(folder / "회의록.hwpx", [["회의록: 다음 회의는 금요일 오후 세 시에 열린다."]])
    make_hwp(folder / "공문.hwp", ["공문: 출장비 정산은 이달 말까지 제출한다."])
    make_html(folder / "page.html", "Parrots", [("Diet", ["Macaws eat clay from riverbanks."])])
    (folder / "notes.md").write_text("# Lorikeets\n\nLorikeets drink nectar.\n", encoding="utf-8")
    (folder / "memo.txt").write_bytes("메모: 앵무새 먹이는 해바라기씨.".encode("cp949"))
    make_encrypted_pdf(folder / "secret.pdf")
    truncate(make_docx(folder / "broken.docx", ["cut short"] * 50))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.md").write_bytes(os.urandom(4096))
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff not a document")
    return folder


BROKEN = {"secret.pdf", "broken.docx", "empty.txt", "junk.md"}
GOOD = {"manual.pdf", "보고서.docx", "회의록.hwpx", "공문.hwp", "page.html", "notes.md", "memo.txt"}


def test_add_indexes_every_format_and_says_why_files_failed(library: Path, tmp_path: Path) -> None:
    out = ok("docs", "add", str(library), "--collection", "새 자료", home=tmp_path)
    lines = out.strip().splitlines()
    failed = {Path(line.split(": ")[1]).name: line for line in lines if line.startswith("Failed:")}
    assert set(failed) == BROKEN
    assert "password" in failed["secret.pdf"] or "encrypted" in failed["secret.pdf"]
    assert lines[-1].startswith(f"새 자료: {len(GOOD)} indexed, 0 unchanged, 0 removed, 4 failed")

    (collection,) = json.loads(ok("docs", "list", "--json", home=tmp_path))["collections"]
    assert collection["name"] == "새 자료" and collection["roots"] == [str(library)]
    assert (collection["files"], collection["failed"]) == (len(GOOD | BROKEN), 4)
    files = json.loads(ok("docs", "list", "--collection", "새 자료", "--json", home=tmp_path))
    status = {Path(f["path"]).name: (f["status"], f["reason"]) for f in files["files"]}
    assert {name for name, (s, _) in status.items() if s == "indexed"} == GOOD
    assert all(status[name][1] for name in BROKEN)  # each with its reason
    assert "photo.jpg" not in status
    plain = ok("docs", "list", "--collection", "새 자료", home=tmp_path)
    assert "failed   " in plain and "secret.pdf: " in plain


@pytest.mark.parametrize(
    ("query", "file", "page"),
    [
        ("When do kakapo chicks hatch?", "manual.pdf", 2),
        ("사업 예산은 얼마인가", "보고서.docx", None),
        ("다음 회의", "회의록.hwpx", None),
        ("출장비 정산", "공문.hwp", None),
        ("What do macaws eat?", "page.html", None),
        ("lorikeets nectar", "notes.md", None),
        ("앵무새 먹이", "memo.txt", None),
    ],
)
def test_search_finds_the_answer_in_every_format(
    library: Path, tmp_path_factory: pytest.TempPathFactory, query: str, file: str, page: int | None
) -> None:
    home = tmp_path_factory.getbasetemp() / "search-home"
    if not home.exists():
        ok("docs", "add", str(library), home=home)
    document = json.loads(ok("docs", "search", query, "--json", home=home))
    best = document["results"][0]
    assert best["file"] == str(library / file)
    assert best["page"] == page
    assert best["score"] > 0 and best["text"]
    assert {"file", "page", "score", "text", "section", "start", "end"} <= best.keys()


def test_search_top_collections_and_plain_output(library: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("Kakapo facts: the kakapo is nocturnal.\n", encoding="utf-8")
    ok("docs", "add", str(library), home=tmp_path)  # the default collection: documents
    ok("docs", "add", str(other), "--collection", "facts", home=tmp_path)
    both = json.loads(ok("docs", "search", "kakapo", "--top", "10", "--json", home=tmp_path))
    assert {Path(r["file"]).name for r in both["results"]} == {"manual.pdf", "other.md"}
    one = json.loads(
        ok("docs", "search", "kakapo", "--collection", "facts", "--json", home=tmp_path)
    )
    assert [Path(r["file"]).name for r in one["results"]] == ["other.md"]
    top = json.loads(ok("docs", "search", "kakapo", "--top", "1", "--json", home=tmp_path))
    assert len(top["results"]) == 1
    plain = ok("docs", "search", "kakapo chicks", home=tmp_path)
    assert plain.startswith(f"[1] {library / 'manual.pdf'}, p. 2")
    none = parrot("docs", "search", "zzzz qqqq", home=tmp_path)
    assert none.returncode == 0 and none.stdout == "" and "No passage matched" in none.stderr
    assert json.loads(ok("docs", "search", "zzzz", "--json", home=tmp_path)) == {"results": []}


def test_rescan_reads_only_what_changed_and_remove_forgets(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(3):
        (folder / f"note{n}.txt").write_text(f"Note {n} about parrots.\n", encoding="utf-8")
    home = tmp_path / "home"
    ok("docs", "add", str(folder), home=home)
    (folder / "note0.txt").write_text("Note zero now talks about cockatoos.\n", encoding="utf-8")
    (folder / "note1.txt").unlink()
    (folder / "note3.txt").write_text("A new note on budgies.\n", encoding="utf-8")
    report = json.loads(ok("docs", "rescan", "--json", home=home))["collections"][0]
    assert (report["indexed"], report["unchanged"], report["removed"]) == (2, 1, 1)
    assert report["collection"] == "documents" and report["failed"] == []
    found = json.loads(ok("docs", "search", "cockatoos", "--json", home=home))["results"]
    assert [Path(r["file"]).name for r in found] == ["note0.txt"]
    assert "documents: 0 indexed, 3 unchanged" in ok("docs", "rescan", home=home)

    removed = parrot("docs", "remove", "documents", home=home)
    assert removed.returncode == 0 and "removed" in removed.stderr
    assert json.loads(ok("docs", "list", "--json", home=home)) == {"collections": []}
    assert (folder / "note0.txt").exists()  # files are never touched


def test_mistakes_get_one_line_naming_the_thing(library: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert str(missing) in fails("docs", "add", str(missing), home=tmp_path)
    assert "not a supported document type" in fails(
        "docs", "add", str(library / "photo.jpg"), home=tmp_path
    )
    assert "'nope'" in fails("docs", "list", "--collection", "nope", home=tmp_path)
    assert "'nope'" in fails("docs", "rescan", "--collection", "nope", home=tmp_path)
    assert "'nope'" in fails("docs", "remove", "nope", home=tmp_path)
    assert "'nope'" in fails("docs", "search", "x", "--collection", "nope", home=tmp_path)
    assert "empty" in fails("docs", "search", "  ", home=tmp_path)
    assert "--top" in fails("docs", "search", "kakapo", "--top", "0", home=tmp_path)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "documents.sqlite3").write_text("not a database\n" * 100)
    assert "documents.sqlite3" in fails("docs", "list", home=tmp_path)


# --- kill -9 while indexing ----------------------------------------------------------------

FILES = 800


def _write_many(folder: Path) -> None:
    folder.mkdir()
    for n in range(FILES):
        # Every paragraph carries the file's own word, so each of its chunks can be found.
        body = "\n\n".join(
            f"doc{n:04d} paragraph {p}: parrots and budgets, 앵무새와 예산 {n * p}. " * 4
            for p in range(12)
        )
        (folder / f"file{n:04d}.txt").write_text(body, encoding="utf-8")


def _indexed_count(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return int(
                conn.execute("SELECT count(*) FROM files WHERE status = 'indexed'").fetchone()[0]
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not made yet


def _chunks_by_file(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        chunks: dict[str, list[tuple[object, ...]]] = {}
        for path, *row in conn.execute(
            'SELECT f.path, k.ordinal, k.page, k.section, k.start, k."end", k.text '
            "FROM chunks k JOIN files f ON f.id = k.file_id ORDER BY f.path, k.ordinal"
        ):
            chunks.setdefault(path, []).append(tuple(row))
        return chunks
    finally:
        conn.close()


def _check_database(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')")
        # The full-text index finds each file's chunks, each exactly once.
        for n in range(0, FILES, 7):
            path = conn.execute(
                "SELECT id FROM files WHERE path LIKE ?", (f"%file{n:04d}.txt",)
            ).fetchone()
            expected = sorted(
                r[0] for r in conn.execute("SELECT id FROM chunks WHERE file_id = ?", path)
            )
            found = [
                r[0]
                for r in conn.execute(
                    "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rowid",
                    (f'"doc{n:04d}"',),
                )
            ]
            assert found == expected and expected
    finally:
        conn.close()


def test_kill_9_during_indexing_then_rescan_leaves_every_chunk_exactly_once(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "many"
    _write_many(folder)
    home = tmp_path / "killed"
    db = home / "data" / "documents.sqlite3"
    process = subprocess.Popen(
        parrot_command("docs", "add", str(folder), home=home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    try:
        while _indexed_count(db) < 40 and process.poll() is None:
            assert time.monotonic() < deadline, "indexing did not start"
            time.sleep(0.01)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "indexing ended before it could be killed"
    done = _indexed_count(db)
    assert 40 <= done < FILES
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()

    report = json.loads(ok("docs", "rescan", "--json", home=home))["collections"][0]
    assert (report["unchanged"], report["indexed"], report["failed"]) == (done, FILES - done, [])

    clean = tmp_path / "clean"
    ok("docs", "add", str(folder), home=clean)
    resumed = _chunks_by_file(db)
    assert len(resumed) == FILES
    assert resumed == _chunks_by_file(clean / "data" / "documents.sqlite3")
    _check_database(db)
