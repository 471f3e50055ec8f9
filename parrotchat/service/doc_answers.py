"""Answers from documents: the best passages of a chat's collections, numbered, in the
prompt within the context budget, under an instruction to answer from them only.

The steps, the same for the window (driven by count signals) and the CLI (blocking):

    search_sources(index, question, collections)   the ranked hits
    SourceFit(messages, hits, budget)              how many of them fit: each
        candidate() is counted by the engine and told back with counted(tokens)
    Turn.use_sources(prompt)                       the request carries them; the
        reply's stats get sources_used, sources_left_out and the sources themselves

The sources go into the user's last message, which the store keeps as typed: the
chat shows the question, the model sees the sources around it. They are fitted
against the system prompt and that message alone, with the reply's room kept free:
older turns are the engine's to drop (and it says how many), the sources are ours,
and the number left out is in the stats, never cut silently. Saved in the reply's
stats (a JSON column the store already has), they come back with a reopened chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from parrotchat.core.chats.context_budget import reply_reserve
from parrotchat.core.errors import ParrotError
from parrotchat.core.languages import text_language

if TYPE_CHECKING:
    from parrotchat.core.docs.index import DocumentIndex, Hit

Message = dict[str, str]
DEFAULT_TOP_K = 8  # hits searched for; those that fit the budget are sent

_TEXT = {
    "en": {
        "instruction": "Answer the question using only the sources below. Cite each source "
        "you use by its number, like [1] or [2]. If the sources do not contain the answer, "
        "say plainly that the documents do not contain it; do not make one up.",
        "none": "No passage of the documents matched this question. Say plainly that the "
        "documents do not contain the answer; do not make one up.",
        "sources": "Sources:",
        "question": "Question:",
        "page": "p. {page}",
    },
    "ko": {
        "instruction": "아래 자료만 근거로 질문에 답하세요. 근거로 쓴 자료는 [1], [2]처럼 "
        "번호로 밝히세요. 자료에 답이 없으면 문서에 그 내용이 없다고 분명히 말하고, 답을 "
        "지어내지 마세요.",
        "none": "이 질문과 맞는 문서 내용을 찾지 못했습니다. 문서에 그 내용이 없다고 분명히 "
        "말하고, 답을 지어내지 마세요.",
        "sources": "자료:",
        "question": "질문:",
        "page": "{page}쪽",
    },
}


@dataclass(frozen=True)
class Source:
    """A passage sent to the model as source [number]."""

    number: int
    file: str  # the path as the user added it
    page: int | None
    section: str | None
    text: str

    @property
    def name(self) -> str:
        return PurePath(self.file).name or self.file

    def where(self, language: str = "en") -> str:
        """ "p. 3", a section's label, or "" for a file with neither."""
        if self.page is not None:
            return _TEXT[language]["page"].format(page=self.page)
        return self.section or ""

    def label(self, *, full_path: bool = False, language: str = "en") -> str:
        """ "report.pdf, p. 3" (full_path: "/docs/report.pdf, p. 3")."""
        where = self.where(language)
        name = self.file if full_path else self.name
        return f"{name}, {where}" if where else name

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.number,
            "file": self.file,
            "page": self.page,
            "section": self.section,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Source | None:
        """A saved source; None for anything else (a hand-edited or damaged record)."""
        if not isinstance(data, dict):
            return None
        number, file, page, section = (data.get(k) for k in ("n", "file", "page", "section"))
        if not isinstance(number, int) or not isinstance(file, str):
            return None
        return cls(
            number,
            file,
            page if isinstance(page, int) else None,
            section if isinstance(section, str) else None,
            str(data.get("text") or ""),
        )


def sources_of(stats: dict[str, Any] | None) -> list[Source]:
    """The sources a saved reply was written from (none for an ordinary reply)."""
    saved = (stats or {}).get("sources")
    if not isinstance(saved, list):
        return []
    return [s for s in map(Source.from_dict, saved) if s is not None]


@dataclass(frozen=True)
class SourcedPrompt:
    """The messages to send, the sources in them, and how many hits did not fit."""

    messages: list[Message]
    sources: list[Source]
    left_out: int
    language: str = "en"

    def stats(self) -> dict[str, Any]:
        return {
            "sources_used": len(self.sources),
            "sources_left_out": self.left_out,
            "sources": [s.to_dict() for s in self.sources],
        }


def sourced_question(question: str, sources: Sequence[Source], language: str) -> str:
    """The user's question with the instruction and the numbered sources before it."""
    text = _TEXT[language]
    if not sources:
        return f"{text['none']}\n\n{text['question']} {question}"
    blocks = [f"[{s.number}] {s.label(language=language)}\n{s.text.strip()}" for s in sources]
    body = "\n\n".join(blocks)
    return f"{text['instruction']}\n\n{text['sources']}\n\n{body}\n\n{text['question']} {question}"


def _as_sources(hits: Sequence[Hit]) -> list[Source]:
    return [Source(i, h.file, h.page, h.section, h.text) for i, h in enumerate(hits, 1)]


class SourceFit:
    """How many of the ranked hits fit the budget, found by bisection over exact counts.

    The caller counts each `candidate()` with the engine (the chat template and the
    tokenizer decide, not a guess) and tells the result to `counted()`, until
    `candidate()` is None; `result()` is then the prompt to send. Everything is tried
    first (the usual case: one count); otherwise ~log2(hits) counts.
    """

    def __init__(
        self, messages: Sequence[Message], hits: Sequence[Hit], n_ctx: int, max_tokens: int
    ) -> None:
        if not messages or messages[-1]["role"] != "user":
            raise ParrotError("Answering from documents needs a question as the last message")
        self._messages = list(messages)
        self._question = messages[-1]["content"]
        self._language = text_language(self._question)
        self._sources = _as_sources(hits)
        self._system = [m for m in messages[:-1] if m["role"] == "system"][:1]
        self.budget = n_ctx - reply_reserve(n_ctx, max_tokens)
        self._low, self._high = 0, len(self._sources)  # `low` sources are known to fit
        self._probe = self._high

    def _with(self, count: int) -> Message:
        content = sourced_question(self._question, self._sources[:count], self._language)
        return {"role": "user", "content": content}

    def candidate(self) -> list[Message] | None:
        """The smallest prompt that holds the sources under test; None once settled."""
        if self._low >= self._high:
            return None
        return [*self._system, self._with(self._probe)]

    def counted(self, tokens: int) -> None:
        if tokens <= self.budget:
            self._low = self._probe
        else:
            self._high = self._probe - 1
        self._probe = (self._low + self._high + 1) // 2

    def result(self) -> SourcedPrompt:
        used = self._low
        messages = [*self._messages[:-1], self._with(used)]
        return SourcedPrompt(
            messages, self._sources[:used], len(self._sources) - used, self._language
        )


def fit_sources(
    messages: Sequence[Message],
    hits: Sequence[Hit],
    n_ctx: int,
    max_tokens: int,
    count: Callable[[list[Message]], int],
) -> SourcedPrompt:
    """SourceFit driven to its end by a blocking `count` (the CLI, scripts, tests)."""
    fit = SourceFit(messages, hits, n_ctx, max_tokens)
    while (candidate := fit.candidate()) is not None:
        fit.counted(count(candidate))
    return fit.result()


@dataclass(frozen=True)
class DocumentQuery:
    """Where a turn's sources come from: collections of one index."""

    index: DocumentIndex
    collections: list[str]
    top_k: int = DEFAULT_TOP_K
    query_vector: list[float] | None = field(default=None, compare=False)
    # Embeds the question for a hybrid search (service/embedder.py), None where it
    # cannot; with no embed_query, passages are ranked by their words alone.
    embed_query: Callable[[str], list[float] | None] | None = field(default=None, compare=False)
    embedder: str | None = None  # whose stored vectors the question's is compared with


def check_collections(index: DocumentIndex, names: Sequence[str]) -> None:
    """ParrotError naming the first collection the index does not have, and those it has."""
    known = [c.name for c in index.collections()]
    for name in names:
        if name not in known:
            have = ", ".join(known) if known else "none yet: add some with parrotchat docs add"
            raise ParrotError(f"No document collection named '{name}' (collections: {have})")


def search_sources(query: DocumentQuery, question: str) -> list[Hit]:
    """The best passages of the query's collections for the question, best first."""
    vector = query.query_vector
    if vector is None and query.embed_query is not None:
        vector = query.embed_query(question)
    return query.index.search(
        question,
        collections=list(query.collections),
        top_k=query.top_k,
        query_vector=vector,
        embedder=query.embedder,
    )
