"""Answers from documents over the real engine on the starter model and a real index
of real files: numbered sources in the prompt, the budget kept, the stats, the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from doc_factory import make_pdf
from test_cli import one_line_error, parrot

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.docs.index import DocumentIndex, index_collection
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import count_tokens
from parrotchat.engine.local.client import EngineClient
from parrotchat.service.chat_service import ChatService
from parrotchat.service.doc_answers import DocumentQuery, fit_sources, search_sources, sources_of
from parrotchat.service.run_turn import run_turn

KAKAPO_PAGE = "The kakapo sleeps during the day and feeds at night on ferns and seeds."


def write_library(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parrots.txt").write_text(
        "Parrots eat seeds, nuts and fruit. The kakapo is a flightless parrot of New Zealand.",
        encoding="utf-8",
    )
    (folder / "예산.txt").write_text(
        "2025년 연구소 예산은 3억 원이다. 예산의 절반은 장비 구입에 쓴다.", encoding="utf-8"
    )
    make_pdf(folder / "manual.pdf", ["How to clean the cage every week.", KAKAPO_PAGE])
    return folder


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentIndex]:
    root = tmp_path_factory.mktemp("docs")
    idx = DocumentIndex(root / "documents.sqlite3")
    idx.add_paths("birds", [write_library(root / "files")])
    report = index_collection(idx, "birds")
    assert report.failed == [] and report.indexed == 3
    many = root / "many"
    many.mkdir()
    for n in range(12):  # a dozen long passages that all match "cockatoo"
        (many / f"note{n:02}.txt").write_text(
            f"Note {n}. The cockatoo {'shrieks loudly at dawn and dusk ' * 12}", encoding="utf-8"
        )
    idx.add_paths("notes", [many])
    index_collection(idx, "notes")
    yield idx
    idx.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3").open()
    yield ChatService(store, Settings(system_prompt="You are brief."))
    store.close()


def ask(service: ChatService, question: str, **sampling: object) -> tuple[int, object]:
    settings = service.settings_of(None).with_template("", {"temperature": 0, **sampling})
    chat_id = service.create_chat(question, "starter", settings)
    service.add_user_message(chat_id, question)
    return chat_id, settings


def test_the_prompt_holds_numbered_sources_with_file_and_page(
    engine: EngineClient, index: DocumentIndex
) -> None:
    question = "When does the kakapo sleep?"
    hits = search_sources(DocumentQuery(index, ["birds"]), question)
    assert any(h.file.endswith("manual.pdf") and h.page == 2 for h in hits)
    messages = [{"role": "user", "content": question}]
    prompt = fit_sources(messages, hits, 2048, 64, lambda m: count_tokens(engine, m).tokens)
    sent = prompt.messages[-1]["content"]
    assert prompt.left_out == 0 and len(prompt.sources) == len(hits)
    for source in prompt.sources:
        assert f"[{source.number}] {source.label()}\n" in sent
    assert "manual.pdf, p. 2\n" + KAKAPO_PAGE in sent
    assert "Cite each source you use by its number" in sent and sent.endswith(question)


def test_an_answer_from_documents_saves_its_sources_with_the_reply(
    engine: EngineClient, index: DocumentIndex, service: ChatService
) -> None:
    chat_id, settings = ask(service, "When does the kakapo sleep?", max_tokens=24)
    result = run_turn(
        engine, service, chat_id, settings, model_name="starter", n_ctx=2048,  # type: ignore[arg-type]
        documents=DocumentQuery(index, ["birds"]),
    )  # fmt: skip
    assert result.text
    stats = result.stats
    assert stats["sources_used"] >= 1 and stats["sources_left_out"] == 0
    assert any(s.page == 2 and s.file.endswith("manual.pdf") for s in sources_of(stats))
    # The sources went to the model: its prompt is longer than the question alone.
    assert stats["prompt_tokens"] > 60
    # A reopened chat still has them.
    path = service.store.path
    with ChatStore(path) as again:
        saved = again.get_chat_tail(chat_id, 1).messages[0]
    assert sources_of(saved.stats) == sources_of(stats)
    assert saved.content == result.text


def test_a_tiny_budget_sends_fewer_sources_and_says_how_many_were_left_out(
    engine: EngineClient, index: DocumentIndex, service: ChatService
) -> None:
    chat_id, settings = ask(service, "Why does the cockatoo shriek?", max_tokens=300)
    n_ctx = 700  # 400 tokens for the prompt: a few of the dozen ~110-token notes
    result = run_turn(
        engine, service, chat_id, settings, model_name="starter", n_ctx=n_ctx,  # type: ignore[arg-type]
        documents=DocumentQuery(index, ["notes"], top_k=12),
    )  # fmt: skip
    stats = result.stats
    used, left_out = stats["sources_used"], stats["sources_left_out"]
    assert 1 <= used < 12 and used + left_out == 12
    # What was sent fits the budget, and one more source would not have.
    sources = sources_of(stats)
    hits = search_sources(
        DocumentQuery(index, ["notes"], top_k=used + 1), "Why does the cockatoo shriek?"
    )
    question = [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "Why does the cockatoo shriek?"},
    ]
    count = lambda m: count_tokens(engine, m).tokens  # noqa: E731
    exact = fit_sources(question, hits[:used], n_ctx, 300, count)
    assert exact.left_out == 0 and count(exact.messages) <= n_ctx - 300
    assert fit_sources(question, hits, n_ctx, 300, count).left_out == 1
    assert [s.number for s in sources] == list(range(1, used + 1))


def test_a_korean_question_gets_korean_instructions_and_the_korean_file(
    engine: EngineClient, index: DocumentIndex
) -> None:
    question = "연구소 예산은 얼마인가요?"
    hits = search_sources(DocumentQuery(index, ["birds"]), question)
    prompt = fit_sources(
        [{"role": "user", "content": question}], hits, 2048, 64,
        lambda m: count_tokens(engine, m).tokens,
    )  # fmt: skip
    sent = prompt.messages[-1]["content"]
    assert "아래 자료만 근거로" in sent and "예산.txt" in sent and "3억 원" in sent
    assert sent.endswith("질문: " + question)


def test_no_matching_passage_still_answers_and_says_so(
    engine: EngineClient, index: DocumentIndex, service: ChatService
) -> None:
    chat_id, settings = ask(service, "Who painted the Mona Lisa?", max_tokens=12)
    result = run_turn(
        engine, service, chat_id, settings, model_name="starter", n_ctx=2048,  # type: ignore[arg-type]
        documents=DocumentQuery(index, ["birds"]),
    )  # fmt: skip
    assert result.text
    assert result.stats["sources_used"] == 0 and result.stats["sources_left_out"] == 0


# --- the CLI --------------------------------------------------------------------------------


def test_ask_docs_streams_the_answer_then_prints_its_sources(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "files")
    added = parrot("docs", "add", str(folder), "--collection", "birds", home=tmp_path)
    assert added.returncode == 0, added.stderr
    result = parrot(
        "ask", "--docs", "birds", "When does the kakapo sleep?",
        "--temperature", "0", "--max-tokens", "24", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer, _, listed = result.stdout.partition("\nSources:\n")
    assert answer.strip(), result.stdout
    lines = listed.splitlines()
    assert lines[0].startswith("[1] ") and f"{folder / 'manual.pdf'}, p. 2" in listed
    assert all(line.startswith(f"[{n}] {folder}") for n, line in enumerate(lines, 1))

    nothing = parrot(
        "ask", "--docs", "birds", "Who painted the Mona Lisa?", "--max-tokens", "8",
        home=tmp_path,
    )  # fmt: skip
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout.rstrip().endswith("No passage of the documents matched the question.")


def test_ask_docs_with_an_unknown_collection_says_so_in_one_line(tmp_path: Path) -> None:
    result = parrot("ask", "--docs", "nonesuch", "Hello?", home=tmp_path)
    line = one_line_error(result)
    assert "No document collection named 'nonesuch'" in line, line
