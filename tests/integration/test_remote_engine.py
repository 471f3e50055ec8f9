"""The remote engine against a real OpenAI-compatible server: llama-cpp-python's own
server on the starter model, on 127.0.0.1 (the `llama_cpp_server` fixture)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from llama_cpp_server import TEST_API_KEY, LlamaCppServer

from parrotchat.core.servers import ServerConfig
from parrotchat.engine.calls import (
    EngineFailure,
    count_tokens,
    embed_texts,
    load_model,
    stream_chat,
)
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest, Token
from parrotchat.engine.remote import RemoteEngine
from parrotchat.engine.remote.probe import check_server

STORY = [{"role": "user", "content": "Write a long story about a parrot who learns to sing."}]


def config_for(server: LlamaCppServer, **changes: Any) -> ServerConfig:
    # The admin's setting: llama-cpp-python's server does not say its context length.
    values: dict[str, Any] = {"api_key": TEST_API_KEY, "context_length": server.n_ctx}
    return ServerConfig(name="llama", base_url=server.url, **{**values, **changes})


@pytest.fixture
def remote(llama_cpp_server: LlamaCppServer) -> Iterator[RemoteEngine]:
    engine = RemoteEngine(config_for(llama_cpp_server))
    engine.start()
    load_model(engine, LoadRequest(path=llama_cpp_server.alias))
    yield engine
    engine.close()


def run(engine: RemoteEngine, request: ChatRequest) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    stats: dict[str, Any] = {}
    for event in stream_chat(engine, request):
        match event:
            case Token(text=text):
                parts.append(text)
            case Done(stats=s):
                stats = s
    return "".join(parts), stats


def test_the_server_is_recognised_with_its_models(llama_cpp_server: LlamaCppServer) -> None:
    info = check_server(config_for(llama_cpp_server))
    assert info.kind == "llama-cpp-python"
    assert [m.id for m in info.models] == [llama_cpp_server.alias]
    assert info.latency_s < 5


def test_load_reports_the_model_and_where_its_context_came_from(
    llama_cpp_server: LlamaCppServer,
) -> None:
    engine = RemoteEngine(config_for(llama_cpp_server))
    engine.start()
    try:
        assert engine.ready_info is not None and engine.ready_info.backend == "llama-cpp-python"
        assert engine.ready_info.pid is None
        loaded = load_model(engine, LoadRequest(path=llama_cpp_server.alias, n_ctx=8192))
    finally:
        engine.close()
    assert loaded["n_ctx"] == 2048 and loaded["n_ctx_source"] == "saved server"
    assert loaded["backend"] == "llama-cpp-python" and loaded["remote"] is True
    assert loaded["token_count"] == "estimate"  # its tokenizer endpoint sees text, not chats


def test_a_reply_streams_with_our_own_figures(remote: RemoteEngine) -> None:
    text, stats = run(remote, ChatRequest(STORY, {"temperature": 0.0, "max_tokens": 24, "seed": 1}))
    assert text.strip()
    assert stats["stop_reason"] in ("length", "finished")
    assert 0 < stats["reply_tokens"] <= 24
    assert stats["ttft_s"] > 0 and stats["tokens_per_s"] > 0
    assert stats["server"] == "llama" and stats["server_kind"] == "llama-cpp-python"
    assert stats["n_ctx"] == 2048
    # This server sends no usage in a stream: the prompt count is ours, and says so.
    assert stats["server_usage"] is None and stats["prompt_tokens_exact"] is False


def test_stop_ends_the_reply_and_the_server_answers_the_next_request(
    remote: RemoteEngine,
) -> None:
    pieces = 0
    stats: dict[str, Any] = {}
    stopped = 0.0
    for event in stream_chat(remote, ChatRequest(STORY, {"max_tokens": 1000})):
        match event:
            case Token():
                pieces += 1
                if pieces == 3:
                    stopped = time.monotonic()
                    remote.cancel()
            case Done(stats=s):
                stats = s
    assert time.monotonic() - stopped < 2.0
    assert stats["stop_reason"] == "cancelled" and stats["reply_tokens"] < 100
    # The server stopped generating: the next request is answered (not queued behind
    # 1,000 tokens of the abandoned reply).
    started = time.monotonic()
    text, after = run(remote, ChatRequest(STORY, {"max_tokens": 4}))
    assert text and after["stop_reason"] in ("length", "finished")
    assert time.monotonic() - started < 30


def test_counts_come_from_the_servers_tokenizer_and_stay_on_the_high_side(
    remote: RemoteEngine, engine: EngineClient
) -> None:
    """`engine` is the local engine on the same model: its count is the exact one."""
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "앵무새는 어떻게 말을 배우나요? Explain in two sentences."},
        {"role": "assistant", "content": "Parrots mimic sounds they hear often."},
        {"role": "user", "content": "그럼 까마귀는요?"},
    ]
    remote_count = count_tokens(remote, messages)
    exact = count_tokens(engine, messages)
    assert remote_count.exact is False and exact.exact is True
    assert exact.tokens <= remote_count.tokens <= exact.tokens + 8 * len(messages) + 32


@pytest.fixture
def small_context(llama_cpp_server: LlamaCppServer) -> Iterator[RemoteEngine]:
    """The server with a saved context length of 512: long chats overflow it cheaply."""
    engine = RemoteEngine(config_for(llama_cpp_server, context_length=512))
    engine.start()
    load_model(engine, LoadRequest(path=llama_cpp_server.alias))
    yield engine
    engine.close()


def long_chat(turns: int) -> list[dict[str, str]]:
    words = "the parrot repeats every word it hears in the garden " * 6
    messages: list[dict[str, str]] = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Turn {i}: {words}"})
        messages.append({"role": "assistant", "content": f"Reply {i}: {words}"})
    messages.append({"role": "user", "content": "Say hello."})
    return messages


def test_overflow_drops_the_oldest_turns_and_says_how_many(small_context: RemoteEngine) -> None:
    messages = long_chat(8)  # ~1,200 tokens into 512
    request = ChatRequest(messages, {"max_tokens": 8}, overflow="drop_oldest")
    text, stats = run(small_context, request)
    assert text
    assert stats["dropped_messages"] > 0
    assert stats["count_method"] == "server_text" and stats["prompt_tokens_exact"] is False
    assert stats["prompt_tokens"] <= 512 - 8


def test_overflow_stop_refuses_with_the_numbers(small_context: RemoteEngine) -> None:
    with pytest.raises(EngineFailure) as caught:
        run(small_context, ChatRequest(long_chat(8), {"max_tokens": 8}, overflow="stop"))
    assert caught.value.kind == "context_full"
    assert "512" in str(caught.value)


def test_a_missing_or_wrong_key_is_one_line(llama_cpp_server: LlamaCppServer) -> None:
    for key, words in ((None, "asks for an API key"), ("wrong-key", "refused the API key")):
        engine = RemoteEngine(config_for(llama_cpp_server, api_key=key))
        engine.start()
        try:
            with pytest.raises(EngineFailure) as caught:
                load_model(engine, LoadRequest(path=llama_cpp_server.alias))
        finally:
            engine.close()
        assert caught.value.kind == "unauthorized"
        assert words in str(caught.value) and str(caught.value).startswith("Server llama (")


def test_an_unknown_model_names_the_ones_served(llama_cpp_server: LlamaCppServer) -> None:
    engine = RemoteEngine(config_for(llama_cpp_server))
    engine.start()
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="qwen2.5-72b"))
    finally:
        engine.close()
    assert caught.value.kind == "load_failed"
    assert "no model 'qwen2.5-72b'" in str(caught.value) and "smollm2" in str(caught.value)


def test_embeddings_are_refused_with_the_local_way_named(remote: RemoteEngine) -> None:
    with pytest.raises(EngineFailure, match="docs embedder") as info:
        embed_texts(remote, ["a passage"])
    assert info.value.kind == "bad_request"
    text, _ = run(remote, ChatRequest(messages=STORY, sampling={"max_tokens": 4}))
    assert text  # the server still answers chats
