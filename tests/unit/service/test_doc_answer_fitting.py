"""Sources in the prompt: the fitting logic, the instruction's language, what is saved.

The counter here is a stand-in (characters / 4); tests/integration/test_doc_answers.py
runs the same steps with the real engine's counts on a real index.
"""

from __future__ import annotations

from parrotchat.core.docs.index import Hit
from parrotchat.service.doc_answers import Source, SourceFit, fit_sources, sources_of


def hit(n: int, text: str, page: int | None = None, section: str | None = None) -> Hit:
    return Hit(
        chunk_id=n, file=f"/docs/file{n}.pdf", page=page, section=section, score=1.0 / n,
        text=text, start=0, end=len(text),
    )  # fmt: skip


def chars(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages) // 4


def test_every_hit_that_fits_is_numbered_in_rank_order_with_its_page() -> None:
    hits = [hit(1, "Parrots eat seeds.", page=3), hit(2, "Budgies are parrots.", section="Pets")]
    prompt = fit_sources(
        [{"role": "user", "content": "What do parrots eat?"}], hits, 4096, 256, chars
    )

    question = prompt.messages[-1]["content"]
    assert "[1] file1.pdf, p. 3\nParrots eat seeds." in question
    assert "[2] file2.pdf, Pets\nBudgies are parrots." in question
    assert question.index("[1]") < question.index("[2]") < question.index("What do parrots eat?")
    assert "only the sources" in question and "do not contain" in question
    assert prompt.stats()["sources_used"] == 2 and prompt.stats()["sources_left_out"] == 0


def test_a_small_budget_keeps_the_best_hits_and_counts_the_rest_with_few_counts() -> None:
    hits = [hit(n, f"passage {n} " + "x" * 400) for n in range(1, 9)]
    calls: list[int] = []

    def counting(messages: list[dict[str, str]]) -> int:
        calls.append(1)
        return chars(messages)

    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q?"}]
    n_ctx, max_tokens = 1000, 500  # 500 tokens for the prompt: about four passages
    prompt = fit_sources(messages, hits, n_ctx, max_tokens, counting)

    assert 0 < len(prompt.sources) < 8
    assert prompt.left_out == 8 - len(prompt.sources)
    assert [s.number for s in prompt.sources] == list(range(1, len(prompt.sources) + 1))
    assert chars(prompt.messages) <= n_ctx - max_tokens
    one_more = fit_sources(messages, hits[: len(prompt.sources) + 1], n_ctx, max_tokens, chars)
    assert one_more.left_out == 1  # the next hit would not have fitted
    assert len(calls) <= 4  # bisection: everything first, then ~log2(8)


def test_no_hit_still_sends_the_question_with_the_say_so_instruction() -> None:
    prompt = fit_sources([{"role": "user", "content": "Who won?"}], [], 4096, 256, chars)
    assert prompt.sources == [] and prompt.left_out == 0
    assert "do not contain the answer" in prompt.messages[-1]["content"]
    assert prompt.messages[-1]["content"].endswith("Who won?")


def test_a_korean_question_gets_the_instruction_in_korean() -> None:
    fit = SourceFit(
        [{"role": "user", "content": "예산은 얼마인가요?"}], [hit(1, "예산", page=2)], 4096, 256
    )
    while (candidate := fit.candidate()) is not None:
        fit.counted(chars(candidate))
    text = fit.result().messages[-1]["content"]
    assert "아래 자료만 근거로" in text and "[1] file1.pdf, 2쪽" in text and "질문: 예산은" in text


def test_older_turns_are_kept_for_the_engine_and_only_the_question_changes() -> None:
    history = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "What do parrots eat?"},
    ]
    prompt = fit_sources(history, [hit(1, "Seeds.")], 4096, 256, chars)
    assert prompt.messages[:2] == history[:2]
    assert "Seeds." in prompt.messages[2]["content"]


def test_saved_sources_come_back_and_damaged_ones_are_skipped() -> None:
    source = Source(1, "/docs/a.pdf", 3, None, "text")
    stats = {"sources": [source.to_dict(), {"n": "x"}, "junk"], "sources_used": 1}
    assert sources_of(stats) == [source]
    assert sources_of(None) == [] and sources_of({"sources": "junk"}) == []
    assert source.label(full_path=True) == "/docs/a.pdf, p. 3"
