"""Every way a server can fail a chat, against a misbehaving server of our own on 127.0.0.1.

Each failure must reach the caller as one line that names the server and the reason,
with the error kind the window acts on (retry later, fix the key, set the CA bundle),
and a reply that had begun keeps what it had already streamed.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from openai_fault_server import FaultServer, Reply, completion_chunk, models_reply

from parrotchat.core.servers import ServerConfig
from parrotchat.engine.calls import EngineFailure, count_tokens, load_model, stream_chat
from parrotchat.engine.protocol import (
    ChatRequest,
    Crashed,
    Done,
    Event,
    Failed,
    LoadRequest,
    Token,
)
from parrotchat.engine.remote import RemoteEngine

HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as s:
        yield s


def engine_for(url: str, **config: Any) -> RemoteEngine:
    engine = RemoteEngine(ServerConfig(name="box", base_url=url, **config))
    engine.start()
    return engine


@pytest.fixture
def loaded(server: FaultServer) -> Iterator[RemoteEngine]:
    engine = engine_for(server.url, read_timeout_s=5.0)
    load_model(engine, LoadRequest(path="m", n_ctx=2048))
    yield engine
    engine.close()


def chat(engine: RemoteEngine, **sampling: Any) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    stats: dict[str, Any] = {}
    for event in stream_chat(engine, ChatRequest(HELLO, {"max_tokens": 64, **sampling})):
        match event:
            case Token(text=text):
                parts.append(text)
            case Done(stats=s):
                stats = s
    return "".join(parts), stats


def failure(engine: RemoteEngine) -> tuple[str, EngineFailure]:
    """The text streamed before the failure, and the failure."""
    parts: list[str] = []
    with pytest.raises(EngineFailure) as caught:
        for event in stream_chat(engine, ChatRequest(HELLO, {"max_tokens": 64})):
            if isinstance(event, Token):
                parts.append(event.text)
    return "".join(parts), caught.value


def assert_one_line(message: str, *words: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("Server box (")
    for word in words:
        assert word in message, message


# --- the connection ----------------------------------------------------------------------


def test_refused_connection_says_so() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = engine_for(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
        assert caught.value.kind == "unreachable"
        assert_one_line(str(caught.value), "refused the connection", f"port {port}")
    finally:
        engine.close()


def test_unknown_host_says_so() -> None:
    engine = engine_for("http://no-such-host.invalid:8080")
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
        assert caught.value.kind == "unreachable"
        assert_one_line(str(caught.value), "unknown host 'no-such-host.invalid'")
    finally:
        engine.close()


@pytest.fixture(scope="module")
def test_ca() -> trustme.CA:
    return trustme.CA()


def test_tls_with_an_unknown_ca_suggests_the_ca_bundle(test_ca: trustme.CA, tmp_path: Path) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("127.0.0.1").configure_cert(context)
    with FaultServer(tls=context) as tls_server:
        engine = engine_for(tls_server.url)
        try:
            with pytest.raises(EngineFailure) as caught:
                load_model(engine, LoadRequest(path="m"))
        finally:
            engine.close()
        assert caught.value.kind == "unreachable"
        assert_one_line(str(caught.value), "certificate is not trusted", "--ca-bundle")

        # The fix the message names: the organisation's CA as the server's CA bundle.
        bundle = tmp_path / "ca.pem"
        test_ca.cert_pem.write_to_path(str(bundle))
        engine = engine_for(tls_server.url, ca_bundle=str(bundle))
        try:
            load_model(engine, LoadRequest(path="m"))
            text, stats = chat(engine)
        finally:
            engine.close()
        assert text == "Hello, parrot!" and stats["stop_reason"] == "finished"


def test_plain_http_server_on_an_https_url_is_named(server: FaultServer) -> None:
    engine = engine_for(server.url.replace("http://", "https://"))
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
    finally:
        engine.close()
    assert caught.value.kind == "unreachable"
    assert_one_line(str(caught.value), "TLS handshake failed")


# --- answers that are errors -------------------------------------------------------------


def json_reply(status: int, body: dict[str, Any], **headers: str) -> Reply:
    return Reply(
        status=status,
        content_type="application/json",
        body=json.dumps(body).encode(),
        headers=headers,
    )


def test_401_without_a_key_asks_for_one(server: FaultServer) -> None:
    server.models = json_reply(401, {"error": {"message": "Invalid API key"}})
    engine = engine_for(server.url)
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
    finally:
        engine.close()
    assert caught.value.kind == "unauthorized"
    assert_one_line(str(caught.value), "asks for an API key", "401", "--api-key-env")


def test_403_with_a_key_says_the_key_was_refused(server: FaultServer) -> None:
    server.models = json_reply(403, {"detail": "Forbidden for this key"})
    engine = engine_for(server.url, api_key="sk-wrong")
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
    finally:
        engine.close()
    assert caught.value.kind == "unauthorized"
    assert_one_line(str(caught.value), "refused the API key", "403", "Forbidden for this key")
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer sk-wrong"


def test_unknown_model_names_the_ones_served(server: FaultServer) -> None:
    server.models = models_reply("qwen2.5-7b", "llama3.1-8b")
    engine = engine_for(server.url)
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="gpt-4"))
    finally:
        engine.close()
    assert caught.value.kind == "load_failed"
    assert_one_line(str(caught.value), "no model 'gpt-4'", "qwen2.5-7b", "llama3.1-8b")


def test_model_gone_from_the_server_mid_chat(loaded: RemoteEngine, server: FaultServer) -> None:
    server.chat = json_reply(404, {"error": {"message": "The model `m` does not exist."}})
    _, error = failure(loaded)
    assert error.kind == "load_failed"
    assert_one_line(str(error), "does not know that model", "404")


def test_429_says_when_to_retry(loaded: RemoteEngine, server: FaultServer) -> None:
    server.chat = json_reply(
        429, {"error": {"message": "Too many requests"}}, **{"Retry-After": "7"}
    )
    _, error = failure(loaded)
    assert error.kind == "rate_limited" and error.retry_after_s == 7.0
    assert_one_line(str(error), "is busy", "429", "retry in 7 s")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_a_server_failure_with_its_reason(
    loaded: RemoteEngine, server: FaultServer, status: int
) -> None:
    server.chat = json_reply(status, {"error": {"message": "CUDA out of memory"}})
    _, error = failure(loaded)
    assert error.kind == "server_error"
    assert_one_line(str(error), f"failed ({status}", "CUDA out of memory")


def test_context_overflow_on_the_server_is_context_full(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    server.chat = json_reply(
        400,
        {
            "error": {
                "message": "This model's maximum context length is 2048 tokens.",
                "code": "context_length_exceeded",
            }
        },
    )
    _, error = failure(loaded)
    assert error.kind == "context_full"
    assert_one_line(str(error), "does not fit", "2048")


def test_redirect_names_where_to(server: FaultServer) -> None:
    server.models = Reply(status=301, body=b"", headers={"Location": "https://gpu-box/v1/models"})
    engine = engine_for(server.url)
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
    finally:
        engine.close()
    assert_one_line(str(caught.value), "redirects", "https://gpu-box/v1/models")


# --- answers that are not what they should be -----------------------------------------------


def test_models_that_are_not_json(server: FaultServer) -> None:
    server.models = Reply(content_type="application/json", body=b"{'data': oops")
    engine = engine_for(server.url)
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
    finally:
        engine.close()
    assert caught.value.kind == "server_error"
    assert_one_line(str(caught.value), "not JSON", "/v1/models")


def test_a_login_page_instead_of_the_api(server: FaultServer) -> None:
    server.models = Reply(content_type="text/html", body=b"<html><body>Sign in</body></html>")
    engine = engine_for(server.url)
    try:
        with pytest.raises(EngineFailure) as caught:
            load_model(engine, LoadRequest(path="m"))
    finally:
        engine.close()
    assert_one_line(str(caught.value), "text/html", "not JSON", "login page")


def test_chat_answered_with_the_wrong_content_type(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    server.chat = Reply(content_type="text/plain", body=b"Hello")
    _, error = failure(loaded)
    assert error.kind == "server_error"
    assert_one_line(str(error), "text/plain", "not an event stream")


def test_an_event_that_is_not_json(loaded: RemoteEngine, server: FaultServer) -> None:
    server.chat = Reply(raw_events=[completion_chunk("Hel"), "{broken"])
    text, error = failure(loaded)
    assert text == "Hel"
    assert_one_line(str(error), "not JSON", "{broken")


def test_an_error_event_mid_stream(loaded: RemoteEngine, server: FaultServer) -> None:
    server.chat = Reply(
        raw_events=[completion_chunk("Hel"), json.dumps({"error": {"message": "slot crashed"}})]
    )
    text, error = failure(loaded)
    assert text == "Hel"
    assert error.kind == "server_error"
    assert_one_line(str(error), "mid-reply", "slot crashed")


def test_a_whole_json_answer_where_a_stream_was_asked(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    completion = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"content": "All at once."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
    }
    server.chat = Reply(content_type="application/json", body=json.dumps(completion).encode())
    text, stats = chat(loaded)
    assert text == "All at once."
    assert stats["reply_tokens"] == 4 and stats["prompt_tokens"] == 9


# --- streams that break ----------------------------------------------------------------------


def test_stream_cut_mid_reply_keeps_the_part_already_streamed(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    server.chat = Reply(chunks=["The", " parrot", " said", " hello"], cut_after=2)
    text, error = failure(loaded)
    assert text == "The parrot"
    assert error.kind == "server_error"
    assert_one_line(str(error), "cut mid-answer")
    # The engine is still usable: the next reply streams whole.
    server.chat = Reply()
    assert chat(loaded)[0] == "Hello, parrot!"


def test_stream_that_ends_without_finishing_is_not_taken_for_a_reply(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    server.chat = Reply(chunks=["The", " parrot", " said"], end_after=2)
    text, error = failure(loaded)
    assert text == "The parrot"
    assert error.kind == "server_error"
    assert_one_line(str(error), "ended mid-reply")


def test_slow_server_hits_the_read_timeout(server: FaultServer) -> None:
    engine = engine_for(server.url, read_timeout_s=0.5)
    try:
        load_model(engine, LoadRequest(path="m"))
        server.chat = Reply(stall_after=1)
        started = time.monotonic()
        text, error = failure(engine)
        assert time.monotonic() - started < 10
    finally:
        engine.close()
    assert text == "Hello"
    assert error.kind == "server_error"
    assert_one_line(str(error), "sent nothing for 0.5 s", "read timeout")


# --- stopping -------------------------------------------------------------------------------


def test_stop_while_the_server_is_silent_ends_the_reply_at_once(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    """The server stalls mid-reply (a long prefill looks the same): Stop must not wait for
    its next byte. The socket is shut, the server sees the client go."""
    server.chat = Reply(stall_after=2)
    parts: list[str] = []
    stats: dict[str, Any] = {}
    stopped_at = 0.0
    for event in stream_chat(loaded, ChatRequest(HELLO, {"max_tokens": 64})):
        match event:
            case Token(text=text):
                parts.append(text)
                if len(parts) == 2:
                    stopped_at = time.monotonic()
                    loaded.cancel()
            case Done(stats=s):
                stats = s
    assert time.monotonic() - stopped_at < 2.0  # the stall would hold it for 20 s
    assert "".join(parts) == "Hello,"
    assert stats["stop_reason"] == "cancelled"
    server.release.set()
    server.release.clear()
    server.chat = Reply()
    assert chat(loaded)[0] == "Hello, parrot!"


def test_cancel_of_a_queued_request_fails_it_as_cancelled(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    """As in the local engine: the running reply ends as a reply (Done, cancelled), one
    still waiting behind it never starts (Failed, cancelled)."""
    server.chat = Reply(stall_after=1)
    events: list[Event] = []
    streaming = threading.Event()
    done = threading.Event()

    def listen(event: Event) -> None:
        events.append(event)
        if isinstance(event, Token):
            streaming.set()
        if isinstance(event, (Done, Failed)) and event.id == second:
            done.set()

    loaded.listener = listen
    first = loaded.submit(ChatRequest(HELLO, {"max_tokens": 64}))
    second = loaded.submit(ChatRequest(HELLO, {"max_tokens": 64}))
    assert streaming.wait(10)
    loaded.cancel(second)
    loaded.cancel(first)
    assert done.wait(10)
    ends = {e.id: e for e in events if isinstance(e, (Done, Failed))}
    assert isinstance(ends[first], Done) and ends[first].stats["stop_reason"] == "cancelled"
    assert isinstance(ends[second], Failed) and ends[second].kind == "cancelled"


def test_kill_during_a_hung_load_reports_a_crash_and_start_recovers(server: FaultServer) -> None:
    engine = engine_for(server.url)
    crashed = threading.Event()
    engine.listener = lambda e: crashed.set() if isinstance(e, Crashed) else None
    server.models = Reply(stall_before_s=20, content_type="application/json", body=b"{}")
    engine.submit(LoadRequest(path="m"))
    time.sleep(0.2)
    engine.kill()
    assert crashed.wait(2) and not engine.is_alive()
    server.release.set()
    server.models = models_reply("m")
    engine.start()
    try:
        load_model(engine, LoadRequest(path="m"))
        assert chat(engine)[0] == "Hello, parrot!"
    finally:
        engine.close()


# --- what the server is told, and what we measure ----------------------------------------------


def test_request_carries_stream_usage_and_the_chats_sampling(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    server.chat = Reply(usage={"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16})
    _, stats = chat(loaded, temperature=0.2, seed=7, stop=["END"])
    body = server.requests[-1]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["model"] == "m" and body["messages"] == HELLO
    assert body["temperature"] == 0.2 and body["seed"] == 7 and body["stop"] == ["END"]
    assert "top_k" not in body  # an unknown kind of server gets the standard fields only
    assert stats["server_usage"]["completion_tokens"] == 4
    assert stats["reply_tokens"] == 4 and stats["prompt_tokens"] == 12
    assert stats["prompt_tokens_exact"] is True


def test_stats_measure_first_token_and_speed_on_our_side(
    loaded: RemoteEngine, server: FaultServer
) -> None:
    server.chat = Reply(chunks=["a"] * 11, chunk_delay_s=0.02)
    _, stats = chat(loaded)
    assert stats["reply_tokens"] == 11
    # Ten gaps of ~20 ms between eleven pieces: ~50 tokens/s (a gross bound: the pieces
    # may bunch up on the way).
    assert 10 < stats["tokens_per_s"] < 100
    assert stats["ttft_s"] >= 0.02
    assert stats["count_method"].startswith("estimate")
    assert stats["prompt_tokens_exact"] is False


def test_count_without_a_tokenizer_is_an_estimate_that_says_so(loaded: RemoteEngine) -> None:
    counted = count_tokens(loaded, [{"role": "user", "content": "안녕하세요, 앵무새야"}])
    assert counted.exact is False
    # Ten Hangul syllables are 30 UTF-8 bytes: a byte-level tokenizer makes at most 30.
    assert counted.tokens >= 30
