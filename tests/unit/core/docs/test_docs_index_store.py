"""The document index on real files and a real SQLite file: incremental indexing,
failures with reasons, cancel, links, vectors, and the search a user sees."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.docs.index import DocumentIndex, IndexProgress, index_collection
from parrotchat.core.docs.index import indexer as indexer_module
from parrotchat.core.docs.index.schema import SCHEMA_VERSION
from parrotchat.core.errors import ParrotError, StorageError

BUDGET_KO = "# 예산\n\n2024년 예산은 3억 원이다. 예산안은 회의에서 결정했다.\n"
BUDGET_EN = "# Budget\n\nThe annual budget is 300 million won, decided at the March meeting.\n"
BIRDS = "Birds migrate south in winter. Swallows leave in September.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "예산.md").write_text(BUDGET_KO, encoding="utf-8")
    (docs / "budget.md").write_text(BUDGET_EN, encoding="utf-8")
    (docs / "sub" / "birds.txt").write_text(BIRDS, encoding="utf-8")
    (docs / "junk.md").write_bytes(b"\x00\x01\x02 not text \x00")
    (docs / "notes.odt").write_text("not a supported type", encoding="utf-8")
    return docs


@pytest.fixture
def index(tmp_path: Path) -> Iterator[DocumentIndex]:
    idx = DocumentIndex(tmp_path / "data" / "documents.sqlite3")
    yield idx
    idx.close()


def _chunk_rows(index: DocumentIndex) -> list[tuple[str, int, str]]:
    return index.conn.execute(
        "SELECT f.path, k.ordinal, k.text FROM chunks k JOIN files f ON f.id = k.file_id "
        "ORDER BY f.path, k.ordinal"
    ).fetchall()


def test_a_folder_is_indexed_and_a_junk_file_listed_with_its_reason(
    index: DocumentIndex, folder: Path
) -> None:
    index.add_paths("notes", [folder])
    report = index_collection(index, "notes")

    assert (report.indexed, report.unchanged, report.removed) == (3, 0, 0)
    assert report.failed == [(str(folder / "junk.md"), "is not text (it contains binary data)")]
    files = {Path(f.path).name: f for f in index.files("notes")}
    assert set(files) == {"예산.md", "budget.md", "birds.txt", "junk.md"}  # no .odt
    assert files["junk.md"].status == "failed" and files["junk.md"].chunks == 0
    assert files["birds.txt"].status == "indexed" and files["birds.txt"].chunks == 1
    (info,) = index.collections()
    assert (info.name, info.roots, info.files, info.failed) == ("notes", [str(folder)], 4, 1)
    assert info.chunks == sum(f.chunks for f in files.values())


def test_unchanged_files_are_not_read_again_and_changed_ones_are(
    index: DocumentIndex, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    read: list[Path] = []
    real = indexer_module.iter_passages
    monkeypatch.setattr(indexer_module, "iter_passages", lambda p: read.append(p) or real(p))

    birds = folder / "sub" / "birds.txt"
    os.utime(birds, (1, 1))  # touched, same content
    report = index_collection(index, "notes")
    assert (report.indexed, report.unchanged, len(report.failed)) == (0, 3, 1)
    assert read == []

    birds.write_text("Penguins do not fly.\n", encoding="utf-8")
    report = index_collection(index, "notes")
    assert (report.indexed, report.unchanged) == (1, 2) and read == [birds]
    assert index.search("penguins")[0].file == str(birds)
    assert index.search("swallows") == []


def test_vanished_files_and_roots_are_removed_with_their_chunks(
    index: DocumentIndex, folder: Path
) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    (folder / "sub" / "birds.txt").unlink()
    report = index_collection(index, "notes")
    assert report.removed == 1
    assert index.search("swallows") == []
    assert all(path != str(folder / "sub" / "birds.txt") for path, _, _ in _chunk_rows(index))


def test_a_file_changed_into_junk_loses_its_old_chunks(index: DocumentIndex, folder: Path) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    (folder / "budget.md").write_bytes(b"\x00junk\x00")
    report = index_collection(index, "notes")
    assert (str(folder / "budget.md"), "is not text (it contains binary data)") in report.failed
    assert index.search("annual budget") == []


def test_progress_counts_files_and_bytes(index: DocumentIndex, folder: Path) -> None:
    index.add_paths("notes", [folder])
    seen: list[IndexProgress] = []
    index_collection(index, "notes", progress=seen.append)
    assert seen[-1].files_done == seen[-1].files_total == 4
    assert seen[-1].bytes_done == seen[-1].bytes_total > 0 and seen[-1].current is None
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)
    assert {p.current for p in seen[:-1]} == {
        str(folder / n) for n in ("예산.md", "budget.md", "sub/birds.txt", "junk.md")
    }


def test_cancel_between_files_leaves_the_rest_pending_and_a_rerun_finishes(
    index: DocumentIndex, folder: Path
) -> None:
    index.add_paths("notes", [folder])
    calls = iter(range(100))
    report = index_collection(index, "notes", should_stop=lambda: next(calls) >= 2)
    # Folders are read in name order: budget.md, junk.md, 예산.md, sub/birds.txt.
    assert report.cancelled and report.indexed == 1 and len(report.failed) == 1
    statuses = {Path(f.path).name: f.status for f in index.files("notes")}
    assert statuses == {
        "budget.md": "indexed",
        "junk.md": "failed",
        "예산.md": "pending",
        "birds.txt": "pending",
    }
    assert {Path(h.file).name for h in index.search("예산")} == set()
    report = index_collection(index, "notes")
    assert (report.indexed, report.unchanged, len(report.failed)) == (2, 1, 1)


def test_cancel_inside_a_big_file_rolls_that_file_back(
    index: DocumentIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Paragraph {i}. " * 40 for i in range(400)), encoding="utf-8")
    monkeypatch.setattr(indexer_module, "PROGRESS_INTERVAL_S", 0.0)
    index.add_paths("big", [big])
    ticks: list[IndexProgress] = []

    def stop() -> bool:
        return len(ticks) > 5  # a few progress reports into the file

    report = index_collection(index, "big", progress=ticks.append, should_stop=stop)
    assert report.cancelled and report.indexed == 0
    assert all(t.current == str(big) for t in ticks[:5])
    (info,) = index.files("big")
    assert (info.status, info.chunks) == ("pending", 0)
    assert index.conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == 0
    assert index.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert index_collection(index, "big").indexed == 1
    assert index.files("big")[0].chunks > 10


def test_links_out_of_the_folder_are_not_followed(
    index: DocumentIndex, folder: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.txt").write_text("The password is swordfish.\n", encoding="utf-8")
    (folder / "leak.txt").symlink_to(secret / "secret.txt")
    (folder / "leakdir").symlink_to(secret, target_is_directory=True)
    (folder / "alias.txt").symlink_to(folder / "sub" / "birds.txt")  # inside: followed
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    names = {Path(f.path).name for f in index.files("notes")}
    assert "leak.txt" not in names and "secret.txt" not in names
    assert "alias.txt" in names
    assert index.search("swordfish") == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_document_is_skipped_not_waited_on(
    index: DocumentIndex, folder: Path
) -> None:
    os.mkfifo(folder / "pipe.txt")
    index.add_paths("notes", [folder])
    report = index_collection(index, "notes")
    assert report.indexed == 3
    assert "pipe.txt" not in {Path(f.path).name for f in index.files("notes")}


def test_a_root_that_is_gone_is_reported_and_its_files_dropped(
    index: DocumentIndex, folder: Path
) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    folder.rename(folder.with_name("moved"))
    report = index_collection(index, "notes")
    assert report.failed == [(str(folder), "no longer exists (moved or deleted?)")]
    assert report.removed == 4 and index.files("notes") == []


def test_search_english_korean_short_words_and_particles(
    index: DocumentIndex, folder: Path
) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    korean = str(folder / "예산.md")
    english = str(folder / "budget.md")
    assert index.search("예산")[0].file == korean  # two syllables: below a trigram
    assert index.search("예산이 얼마야?")[0].file == korean  # the document says 예산은
    assert index.search("회의에서 결정")[0].file == korean
    assert index.search("What is the annual budget?")[0].file == english
    assert index.search("when do swallows leave")[0].file.endswith("birds.txt")
    # Other forms of the words: the document says "budget" and "meeting".
    assert index.search("budgets meetings")[0].file == english
    assert index.search("migrating birds")[0].file.endswith("birds.txt")
    # FTS5 syntax is text to find, never an error.
    for query in ('"budget', "budget AND OR", "NEAR(a b)", "*", "^x", "col:x", "'", "-"):
        index.search(query)
    assert index.search("zzzz qqqq") == []
    assert index.search("   ") == []
    hit = index.search("annual budget", top_k=1)[0]
    assert hit.section == "Budget" and hit.page is None and hit.score > 0
    assert "300 million won" in hit.text and hit.end - hit.start == len(hit.text)


def test_search_is_limited_to_the_collections_named(
    index: DocumentIndex, folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("The budget of the other team is small.\n", encoding="utf-8")
    index.add_paths("notes", [folder])
    index.add_paths("team", [other])
    index_collection(index, "notes")
    index_collection(index, "team")
    assert {h.file for h in index.search("budget", collections=["team"])} == {str(other)}
    assert str(other) in {h.file for h in index.search("budget", top_k=10)}
    assert len(index.search("budget", top_k=1)) == 1
    with pytest.raises(ParrotError, match="No document collection named 'nope'"):
        index.search("budget", collections=["nope"])


def test_remove_collection_takes_its_chunks_and_vectors(index: DocumentIndex, folder: Path) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    pending = index.chunks_without_vectors("e5", 100)
    index.store_vectors("e5", [(cid, [1.0, 0.0]) for cid, _ in pending])
    index.remove_collection("notes")
    assert index.collections() == []
    assert index.search("budget") == []
    for table in ("files", "chunks", "vectors"):
        assert index.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    # The full-text index holds no term of the removed chunks.
    assert index.conn.execute("SELECT count(*) FROM chunks_fts_terms").fetchone()[0] == 0
    with pytest.raises(ParrotError, match="No document collection named 'notes'"):
        index.remove_collection("notes")


def test_vectors_are_stored_per_embedder_and_fused_with_text_rank(
    index: DocumentIndex, folder: Path
) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    pending = index.chunks_without_vectors("model-a", 100)
    assert len(pending) == index.collections()[0].chunks
    by_file = {
        cid: path
        for cid, path in index.conn.execute(
            "SELECT k.id, f.path FROM chunks k JOIN files f ON f.id = k.file_id"
        )
    }
    # The birds chunk points the way the query vector does; others are orthogonal.
    vectors = [
        (cid, [1.0, 0.0, 0.0] if by_file[cid].endswith("birds.txt") else [0.0, 1.0, 0.0])
        for cid, _ in pending
    ]
    index.store_vectors("model-a", vectors[:1])
    assert len(index.chunks_without_vectors("model-a", 100)) == len(pending) - 1
    index.store_vectors("model-a", vectors)
    assert index.chunks_without_vectors("model-a", 100) == []
    assert len(index.chunks_without_vectors("model-b", 100)) == len(pending)

    text_only = index.search("budget", top_k=5)
    assert not any(h.file.endswith("birds.txt") for h in text_only)
    fused = index.search("budget", top_k=5, query_vector=[1.0, 0.0, 0.0])
    assert fused[0].file.endswith("birds.txt") or fused[1].file.endswith("birds.txt")
    assert {h.file for h in text_only} <= {h.file for h in fused}
    assert fused == sorted(fused, key=lambda h: -h.score)
    # Another embedder's vectors, or another size, are not compared with the query.
    assert index.search("zzzz", query_vector=[1.0, 0.0]) == []
    assert index.search("zzzz", query_vector=[1.0, 0.0, 0.0], embedder="model-b") == []
    assert index.search("zzzz", query_vector=[1.0, 0.0, 0.0])[0].file.endswith("birds.txt")


def test_reindexing_a_file_drops_its_old_vectors(index: DocumentIndex, folder: Path) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    index.store_vectors("m", [(cid, [1.0]) for cid, _ in index.chunks_without_vectors("m", 99)])
    (folder / "budget.md").write_text("# Budget\n\nNew figures.\n", encoding="utf-8")
    index_collection(index, "notes")
    assert [text for _, text in index.chunks_without_vectors("m", 99)] == ["Budget\n\nNew figures."]
    # A vector for a chunk gone meanwhile (the file re-indexed during embedding) is dropped.
    index.store_vectors("m", [(10_000, [1.0])])
    assert (
        index.conn.execute("SELECT count(*) FROM vectors WHERE chunk_id = 10000").fetchone()[0] == 0
    )


def test_a_file_from_a_newer_version_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    DocumentIndex(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="written by a newer ParrotChat"):
        DocumentIndex(path)


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    path.write_text("hello, I am a text file\n" * 100)
    with pytest.raises(StorageError, match=f"Cannot open document index {path}"):
        DocumentIndex(path)


def test_the_index_uses_wal(index: DocumentIndex) -> None:
    assert index.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_vectors_stored_by_another_connection_are_seen_by_the_next_search(
    index: DocumentIndex, folder: Path, tmp_path: Path
) -> None:
    index.add_paths("notes", [folder])
    index_collection(index, "notes")
    assert index.search("zzzz", query_vector=[1.0, 0.0]) == []  # no vectors yet
    other = DocumentIndex(index.path)  # the embedder's own connection
    try:
        (first, _), (second, _) = other.chunks_without_vectors("m", 2)
        other.store_vectors("m", [(first, [1.0, 0.0]), (second, [0.0, 1.0])])
        assert [h.chunk_id for h in index.search("zzzz", query_vector=[1.0, 0.1])] == [
            first,
            second,
        ]
        other.store_vectors("m", [(first, [0.0, 1.0]), (second, [1.0, 0.0])])
    finally:
        other.close()
    assert [h.chunk_id for h in index.search("zzzz", query_vector=[1.0, 0.1])] == [second, first]


def test_a_word_in_most_chunks_is_left_out_when_rarer_words_are_asked(
    index: DocumentIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parrotchat.core.docs.index import query

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        extra = " The kakapo nests on the ground." if n == 41 else ""
        (folder / f"report{n}.txt").write_text(
            f"Quarterly report {n}: sales rose.{extra}", encoding="utf-8"
        )
    monkeypatch.setattr(query, "MIN_CHUNKS_TO_DROP", 10)
    monkeypatch.setattr(query, "SAMPLE_WINDOW", 10)
    index.add_paths("r", [folder])
    index_collection(index, "r")
    groups = query.word_groups(index.conn, "quarterly kakapo")
    assert groups == ['"quarterly"', '"kakapo"']
    assert query.match_expression(index.conn, "quarterly kakapo") == '"kakapo"'
    # Alone, a common word is still searched for.
    assert query.match_expression(index.conn, "quarterly") == '"quarterly"'
    assert Path(index.search("quarterly kakapo")[0].file).name == "report41.txt"
    assert len(index.search("quarterly", top_k=100)) == 60
