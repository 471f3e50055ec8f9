"""Search by meaning in the window: the Documents dialog's choice of embedding model,
the vectors its indexing stores, and a chat question that shares no word with the
documents finding its source by meaning. The starter model stands in for an embedding
model (a 135M chat model, mean-pooled), loaded in an engine process of its own."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

from gui_helpers import WindowFactory, fast_settings
from pytestqt.qtbot import QtBot
from test_documents import drop_paths

from parrotchat.core.docs.index import DocumentIndex, index_collection
from parrotchat.service.doc_answers import sources_of

# The documents of tests/integration/test_cli_docs_embedder.py.
TOPICS = {
    "cats.md": "# Cats\n\nThe cat sat on the mat and purred all afternoon by the window.\n",
    "budget.md": "# Budget\n\nThe finance department cut the travel budget by twelve percent.\n",
    "parrots.md": "# Parrots\n\nKakapo parrots cannot fly; they climb trees at night.\n",
    "weather.md": "# Weather\n\nHeavy rain and strong wind are expected along the coast.\n",
    "회의.md": "# 회의\n\n다음 회의는 금요일 오후 세 시에 본관 3층에서 열린다.\n",
}
BY_MEANING = "a kitten sleeping on a rug"  # no word of it is in any document


def write_topics(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TOPICS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def vector_rows(db: Path) -> tuple[int, list[tuple[int, str]]]:
    conn = sqlite3.connect(db)
    try:
        chunks = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        rows = [
            (int(r[0]), str(r[1])) for r in conn.execute("SELECT chunk_id, embedder FROM vectors")
        ]
    finally:
        conn.close()
    return chunks, rows


def test_the_dialog_embeds_every_passage_with_the_model_chosen_in_it(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path, starter_model: Path
) -> None:
    session = make_window()
    dialog = session.window.open_documents()
    assert dialog is not None
    combo = dialog.embedding_model
    assert combo.itemText(0) == "None (search by words only)" and combo.currentIndex() == 0
    row = combo.findData(str(starter_model))
    assert row > 0, [combo.itemData(i) for i in range(combo.count())]
    combo.setCurrentIndex(row)
    combo.activated.emit(row)  # what a pick in the open list sends
    saved = json.loads(session.paths.settings_file.read_text(encoding="utf-8"))
    assert saved["embedding_model"] == str(starter_model)

    library = dialog.library
    shown: list[tuple[str, int, int]] = []
    library.embedProgress.connect(lambda *p: shown.append(p))
    with qtbot.waitSignal(library.indexFinished, timeout=300_000):
        drop_paths(dialog, [write_topics(tmp_path / "topics")])
    assert shown and shown[-1][1] == shown[-1][2] > 0  # the bar reached the end
    assert "passages embedded" in dialog.status.text()

    chunks, rows = vector_rows(session.paths.documents_db)
    assert chunks >= len(TOPICS)
    assert sorted(r[0] for r in rows) == sorted(set(r[0] for r in rows))  # one per passage
    assert len(rows) == chunks and {r[1] for r in rows} == {starter_model.name}

    # Back to words only: saved, and a new run embeds nothing.
    combo.setCurrentIndex(0)
    combo.activated.emit(0)
    assert session.settings.embedding_model is None
    shown.clear()
    with qtbot.waitSignal(library.indexFinished, timeout=60_000):
        assert library.rescan(dialog.current or "")
    assert not shown


def engine_processes() -> int:
    return sum(1 for p in multiprocessing.active_children() if p.name == "parrotchat-engine")


def test_a_chat_question_finds_its_source_by_meaning(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path, starter_model: Path
) -> None:
    settings = fast_settings(max_tokens=4)
    settings.embedding_model = str(starter_model)
    session = make_window(settings=settings)
    window = session.window
    library = window.documents
    assert library is not None
    folder = write_topics(tmp_path / "topics")
    with qtbot.waitSignal(library.indexFinished, timeout=300_000):
        library.add(folder.name, [folder])
    # By its words alone, the question finds nothing.
    assert library.index.search(BY_MEANING, collections=["topics"]) == []

    action = window.documents_picker.action_for("topics")
    assert action is not None
    action.trigger()
    notices: list[str] = []
    session.chats.noticePosted.connect(notices.append)
    chat_engines = engine_processes()
    session.chats.send(BY_MEANING)
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=300_000)
    saved = session.store.get_chat(session.chats.chat_id or 0)
    sources = sources_of(saved.messages[-1].stats or {})
    assert sources and sources[0].number == 1 and sources[0].name == "cats.md", sources
    reply = window.chat_view.message_widgets[-1]
    assert reply.sources_view is not None
    assert "cats.md" in reply.sources_view.toPlainText()
    assert notices == ["Loading the embedding model…"]  # said while the window waits for it

    # The model stays loaded for the next question: nothing to wait for, nothing said.
    session.chats.send("How much money was saved on trips?")
    qtbot.waitUntil(lambda: not session.chats.busy, timeout=300_000)
    saved = session.store.get_chat(session.chats.chat_id or 0)
    sources = sources_of(saved.messages[-1].stats or {})
    assert sources and sources[0].name == "budget.md", sources
    assert notices == ["Loading the embedding model…"]

    # Closing the window stops the embedding engine: no process is left behind.
    assert engine_processes() == chat_engines + 1
    session.close()
    assert engine_processes() == chat_engines


def test_an_embedding_model_that_cannot_load_is_said_once_and_words_still_answer(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    gone = tmp_path / "gone-embedder.gguf"  # vectors were made with it; then it was deleted
    settings = fast_settings(max_tokens=4)
    settings.embedding_model = str(gone)
    session = make_window(settings=settings)
    window = session.window
    folder = write_topics(tmp_path / "topics")
    index = DocumentIndex(session.paths.documents_db)
    try:
        index.add_paths("topics", [folder])
        index_collection(index, "topics")
        waiting = index.chunks_without_vectors(gone.name, 100)
        index.store_vectors(gone.name, [(chunk_id, [1.0, 0.0, 0.0]) for chunk_id, _ in waiting])
    finally:
        index.close()
    assert window.documents is not None
    window.documents.collectionsChanged.emit()  # as after indexing in the dialog
    action = window.documents_picker.action_for("topics")
    assert action is not None
    action.trigger()

    notices: list[str] = []
    session.chats.noticePosted.connect(notices.append)
    for _ in range(2):
        session.chats.send("Which parrots cannot fly? kakapo")
        qtbot.waitUntil(lambda: not session.chats.busy, timeout=120_000)
        saved = session.store.get_chat(session.chats.chat_id or 0)
        sources = sources_of(saved.messages[-1].stats or {})
        assert sources and sources[0].name == "parrots.md", sources
    said = [n for n in notices if "embedding model could not be loaded" in n]
    assert len(said) == 1 and gone.name in said[0], notices


def test_cancel_while_embedding_keeps_the_index_and_rescan_embeds_the_rest(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path, starter_model: Path
) -> None:
    settings = fast_settings()
    settings.embedding_model = str(starter_model)
    session = make_window(settings=settings)
    dialog = session.window.open_documents()
    assert dialog is not None
    library = dialog.library

    def cancel_while_loading(model: str, done: int, total: int) -> None:
        if done == 0:  # the model is loading: the user presses Cancel
            assert dialog.cancel_button.isVisible()
            dialog.cancel_button.click()

    library.embedProgress.connect(cancel_while_loading)
    with qtbot.waitSignal(library.indexFinished, timeout=300_000) as finished:
        library.add("topics", [write_topics(tmp_path / "topics")])
    assert not finished.args[0].cancelled  # the words-only index is whole
    assert "Embedding cancelled" in dialog.status.text()
    chunks, rows = vector_rows(session.paths.documents_db)
    assert chunks >= len(TOPICS) and rows == []
    assert library.index.search("kakapo", collections=["topics"])  # words still find

    library.embedProgress.disconnect(cancel_while_loading)
    with qtbot.waitSignal(library.indexFinished, timeout=300_000):
        library.rescan("topics")
    assert "passages embedded" in dialog.status.text()
    chunks, rows = vector_rows(session.paths.documents_db)
    assert len(rows) == chunks == len({r[0] for r in rows})
