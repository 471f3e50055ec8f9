"""A draft model on the real starter model: its guesses are checked, never trusted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from gguf_factory import write_tiny_llama
from runtime_replies import reply

from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.local.runtime import LlamaRuntime
from parrotchat.engine.protocol import LoadRequest, ReplyStats

# Free chat: nothing in the prompt to copy, so prompt lookup drafts little. Replies must
# be equal token for token (the build's batches are exact: test_draft_ahead.py).
FREE_CHAT = (
    "Write a short poem about a parrot.",
    "What is the capital of France? Answer in two sentences.",
    "Why is the sky blue?",
)


@pytest.fixture(scope="module")
def runtime(starter_model: Path) -> Iterator[LlamaRuntime]:
    # The starter model drafts for itself: the same vocabulary, and guesses that the
    # chat model mostly keeps.
    rt = LlamaRuntime(threading.Event())
    info = rt.load(
        str(starter_model), 1024, 0, 1, 512, None, lambda _f: None, draft_path=str(starter_model)
    )
    assert (info.draft, info.draft_error) == (str(starter_model), None)
    yield rt
    rt.unload()


def reply_tokens(
    rt: LlamaRuntime, text: str, **sampling: object
) -> tuple[list[int], str, ReplyStats]:
    """A fresh reply's decoded tokens as the cache holds them, its text and stats."""
    text, stats = reply(rt, text, **sampling)
    assert rt.llm is not None
    return rt.llm.input_ids[stats.prompt_tokens : rt.llm.n_tokens].tolist(), text, stats


@pytest.mark.parametrize("question", FREE_CHAT)
def test_greedy_reply_with_the_draft_model_is_the_plain_reply(
    runtime: LlamaRuntime, question: str
) -> None:
    tokens, text, stats = reply_tokens(runtime, question)
    plain_tokens, plain_text, plain = reply_tokens(runtime, question, draft_ahead=False)
    assert (tokens, text) == (plain_tokens, plain_text)
    assert stats.reply_tokens == plain.reply_tokens
    assert 0 < stats.accepted_tokens <= stats.draft_tokens


def test_the_draft_model_drafts_where_prompt_lookup_finds_little(runtime: LlamaRuntime) -> None:
    _, _, with_model = reply_tokens(runtime, FREE_CHAT[0])
    draft, runtime.draft = runtime.draft, None
    try:
        _, _, lookup_only = reply_tokens(runtime, FREE_CHAT[0])
    finally:
        runtime.draft = draft
    assert with_model.accepted_tokens > lookup_only.accepted_tokens
    # The same model's guesses: nearly all kept, so most of the reply came drafted.
    assert with_model.accepted_tokens >= with_model.draft_tokens * 3 // 4
    assert with_model.accepted_tokens >= with_model.reply_tokens // 2


def test_the_draft_follows_the_chat_across_turns_and_limits(runtime: LlamaRuntime) -> None:
    for n in (1, 2, 5, 9):
        _, _, stats = reply_tokens(runtime, FREE_CHAT[0], max_tokens=n)
        assert (stats.reply_tokens, stats.stop_reason) == (n, "length")
    _, text, stats = reply_tokens(runtime, FREE_CHAT[0], stop=["parrot"])
    assert stats.stop_reason in ("stop_string", "length", "finished")
    assert "parrot" not in text


def test_a_draft_of_another_vocabulary_is_refused_and_the_chat_model_works(
    starter_model: Path, tmp_path: Path
) -> None:
    other = write_tiny_llama(tmp_path / "other-draft.gguf")
    rt = LlamaRuntime(threading.Event())
    try:
        info = rt.load(
            str(starter_model), 512, 0, 1, 512, None, lambda _f: None, draft_path=str(other)
        )
        assert info.draft is None and rt.draft is None
        assert info.draft_error is not None
        assert "other-draft.gguf" in info.draft_error
        assert "different vocabulary" in info.draft_error
        text, stats = reply(rt, "Say hello.", max_tokens=4)
        assert stats.reply_tokens == 4 and text
    finally:
        rt.unload()
    assert rt.llm is None and rt.draft is None


def test_the_engine_loads_the_chat_model_and_says_why_not_the_draft(
    starter_model: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-draft.gguf"
    broken.write_bytes(starter_model.read_bytes()[:100_000])
    other = write_tiny_llama(tmp_path / "other-draft.gguf")
    client = EngineClient()
    client.start()
    try:
        for draft, words in ((other, "different vocabulary"), (broken, "truncated")):
            request = LoadRequest(
                path=str(starter_model), n_ctx=512, threads=1, draft_path=str(draft)
            )
            loaded = load_model(client, request)
            assert loaded["path"] == str(starter_model)
            assert loaded["draft"] is None
            assert draft.name in loaded["draft_error"] and words in loaded["draft_error"]
        good = LoadRequest(
            path=str(starter_model), n_ctx=512, threads=1, draft_path=str(starter_model)
        )
        loaded = load_model(client, good)
        assert (loaded["draft"], loaded["draft_error"]) == (str(starter_model), None)
    finally:
        client.close()
