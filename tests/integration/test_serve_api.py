"""`parrotchat serve` through the real OpenAI client, on 127.0.0.1, with the starter model."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import pytest
from serve_process import ServeProcess

KEY = "test-key-0123456789abcdef"
ORIGIN = "http://localhost:3000"
GREEDY: dict[str, Any] = {"temperature": 0.0, "seed": 1}
SETTINGS = {
    "context_length": 2048,
    "threads": 2,
    "serve_allowed_origins": [ORIGIN],
    "serve_max_tokens": 512,
    "serve_max_waiting": 8,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("serve")
    with ServeProcess(
        home, "--api-key-env", "PARROT_TEST_KEY", settings=SETTINGS, env={"PARROT_TEST_KEY": KEY}
    ) as s:
        yield s


@pytest.fixture
def client(server: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key=KEY, max_retries=0, timeout=120)


def ask(client: openai.OpenAI, model: str, text: str, **kw: Any) -> Any:
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], **{**GREEDY, **kw}
    )


def raw(
    server: ServeProcess,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    host: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request with exactly these headers (http.client, so Host can be anything)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    all_headers = {"Host": host or f"127.0.0.1:{server.port}", **(headers or {})}
    data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
        all_headers["Content-Length"] = str(len(data))
    for name, value in all_headers.items():
        conn.putheader(name, value)
    conn.endheaders(data or None)
    answer = conn.getresponse()
    result = answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    conn.close()
    return result


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def wait_idle(server: ServeProcess, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        health = server.health()
        if health["running"] == 0 and health["waiting"] == 0:
            return time.monotonic() - started
        time.sleep(0.005)
    raise AssertionError(f"still busy after {within} s: {server.health()}")


# --- the happy paths --------------------------------------------------------------------


def test_lists_the_one_model_by_name_not_path(client: openai.OpenAI, server: ServeProcess) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == [server.model]
    assert "/" not in server.model and not server.model.endswith(".gguf")


def test_chat_reply_with_usage(client: openai.OpenAI, server: ServeProcess) -> None:
    reply = ask(client, server.model, "Name a color.", max_tokens=12)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert reply.usage.completion_tokens <= 12
    assert reply.usage.prompt_tokens > 5
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_streamed_reply_matches_the_whole_one_and_ends_with_usage(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    whole = ask(client, server.model, "Say hello to Seoul.", max_tokens=20)
    stream = ask(
        client,
        server.model,
        "Say hello to Seoul.",
        max_tokens=20,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3
    assert text == whole.choices[0].message.content
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finishing] == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_ends_with_done(server: ServeProcess) -> None:
    body = {
        "model": server.model,
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 3,
        "stream": True,
    }
    status, headers, data = raw(server, "POST", "/v1/chat/completions", body, auth())
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = [e for e in data.decode().split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    assert (
        json.loads(events[0].removeprefix("data: "))["choices"][0]["delta"]["role"] == "assistant"
    )


def test_stop_string_ends_the_reply_before_it(client: openai.OpenAI, server: ServeProcess) -> None:
    reply = ask(client, server.model, "Count from 1 to 20 with commas.", max_tokens=80, stop=["5"])
    assert "5" not in reply.choices[0].message.content
    assert "4" in reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"


def test_raw_completion_streamed_and_whole(client: openai.OpenAI, server: ServeProcess) -> None:
    whole = client.completions.create(
        model=server.model, prompt="The capital of France is", max_tokens=8, **GREEDY
    )
    assert whole.choices[0].text.strip() and whole.usage.completion_tokens <= 8
    assert whole.usage.prompt_tokens < 10  # no chat template around it
    stream = client.completions.create(
        model=server.model,
        prompt="The capital of France is",
        max_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
        **GREEDY,
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole.choices[0].text
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_follow_up_turn_reuses_the_cache(client: openai.OpenAI, server: ServeProcess) -> None:
    messages: list[Any] = [{"role": "user", "content": "What is a parrot? One sentence."}]
    first = client.chat.completions.create(
        model=server.model, messages=messages, max_tokens=30, **GREEDY
    )
    messages += [
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "And a crow?"},
    ]
    second = client.chat.completions.create(
        model=server.model, messages=messages, max_tokens=5, **GREEDY
    )
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= first.usage.prompt_tokens - 2


def test_penalties_are_taken(client: openai.OpenAI, server: ServeProcess) -> None:
    reply = ask(
        client,
        server.model,
        "Repeat: la la la la",
        max_tokens=8,
        frequency_penalty=1.5,
        presence_penalty=1.0,
    )
    assert reply.choices[0].message.content


def test_korean_in_and_out(client: openai.OpenAI, server: ServeProcess) -> None:
    stream = ask(
        client, server.model, "안녕하세요! 한국어로 인사해 주세요.", max_tokens=16, stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text and "\ufffd" not in text


# --- one engine, many clients --------------------------------------------------------------


def test_eight_concurrent_clients_all_get_their_own_answer(server: ServeProcess) -> None:
    # Prompts of different lengths: each reply's usage shows whose prompt it answered.
    words = ["apple", "banana", "cherry", "grape", "lemon", "mango", "orange", "peach"]
    prompts = [f"Repeat these words: {' '.join(words[: i + 1])}." for i in range(8)]

    def one(prompt: str) -> tuple[str, int, float, str]:
        own = openai.OpenAI(base_url=server.url, api_key=KEY, max_retries=0, timeout=300)
        answer = own.chat.completions.with_raw_response.create(
            model=server.model,
            messages=[{"role": "user", "content": prompt}],
            max_tokens=8,
            **GREEDY,
        )
        reply = answer.parse()
        return (
            reply.choices[0].message.content,
            reply.usage.prompt_tokens,
            float(answer.headers["x-parrotchat-queue-wait-ms"]),
            reply.id,
        )

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, prompts))
    assert all(text for text, _, _, _ in results)
    prompt_tokens = [n for _, n, _, _ in results]
    assert prompt_tokens == sorted(set(prompt_tokens))  # each answered its own, none mixed
    assert len({reply_id for _, _, _, reply_id in results}) == 8
    assert max(wait for _, _, wait, _ in results) > 0  # they queued, one at a time
    wait_idle(server, 5)


def _open_stream(server: ServeProcess, text: str, max_tokens: int) -> http.client.HTTPConnection:
    """Send a streaming request and leave it running (the caller reads or walks away)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    body = json.dumps(
        {
            "model": server.model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": max_tokens,
            "stream": True,
            **GREEDY,
        }
    )
    conn.request(
        "POST", "/v1/chat/completions", body, {**auth(), "Content-Type": "application/json"}
    )
    return conn


def test_a_client_that_walks_away_mid_reply_stops_its_generation(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    stream = ask(
        client, server.model, "Write a very long story about a parrot.", max_tokens=500, stream=True
    )
    for i, _chunk in enumerate(stream):
        if i == 5:
            break
    assert server.health()["running"] == 1
    stream.close()
    # 500 tokens would take many seconds: it stopped because the client left.
    assert wait_idle(server, 3.0) < 3.0
    assert ask(client, server.model, "Hi", max_tokens=3).choices[0].message.content is not None


def test_a_queued_client_that_walks_away_leaves_the_queue(server: ServeProcess) -> None:
    running = _open_stream(server, "Write a very long story about a crow.", 500)
    running.sock.settimeout(60)
    first = running.getresponse()
    first.read1(64)  # the reply has started
    queued = _open_stream(server, "Write a poem.", 500)
    deadline = time.monotonic() + 5
    while server.health()["waiting"] != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.health() == {"status": "ok", "running": 1, "waiting": 1}
    queued.close()
    deadline = time.monotonic() + 3
    while server.health()["waiting"] != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.health()["waiting"] == 0
    running.close()
    wait_idle(server, 3.0)


def test_beyond_the_queue_bound_429_with_retry_after(server: ServeProcess) -> None:
    conns = [_open_stream(server, f"Write a long story number {i}.", 500) for i in range(9)]
    try:
        deadline = time.monotonic() + 10
        while server.health()["waiting"] < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        status, headers, body = raw(
            server,
            "POST",
            "/v1/chat/completions",
            {"model": server.model, "messages": [{"role": "user", "content": "Hi"}]},
            auth(),
        )
        assert status == 429
        assert int(headers["retry-after"]) >= 1
        assert json.loads(body)["error"]["type"] == "rate_limit_error"
    finally:
        for conn in conns:
            conn.close()
    wait_idle(server, 5.0)


# --- who may connect ----------------------------------------------------------------------


def test_wrong_or_missing_key_is_refused(server: ServeProcess) -> None:
    wrong = openai.OpenAI(base_url=server.url, api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.models.list()
    assert "API key" in info.value.message
    status, headers, _ = raw(server, "GET", "/v1/models")
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert raw(server, "GET", "/health")[0] == 200  # monitors need no key


def test_foreign_host_header_is_refused(server: ServeProcess) -> None:
    # A web page on attacker.example whose name now resolves to 127.0.0.1.
    status, _, body = raw(
        server, "GET", "/v1/models", None, auth(), host=f"attacker.example:{server.port}"
    )
    assert status == 400
    assert "Host header 'attacker.example" in json.loads(body)["error"]["message"]
    assert raw(server, "GET", "/v1/models", None, auth(), host=f"localhost:{server.port}")[0] == 200


def test_cross_origin_requests_need_an_allowed_origin(server: ServeProcess) -> None:
    evil = {"Origin": "https://evil.example", **auth()}
    status, headers, body = raw(server, "GET", "/v1/models", None, evil)
    assert status == 403 and "access-control-allow-origin" not in headers
    assert "evil.example" in json.loads(body)["error"]["message"]
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    assert raw(server, "OPTIONS", "/v1/chat/completions", None, preflight)[0] == 403

    allowed = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    status, headers, _ = raw(server, "OPTIONS", "/v1/chat/completions", None, allowed)
    assert status == 204 and headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in headers["access-control-allow-headers"]
    status, headers, _ = raw(server, "GET", "/v1/models", None, {"Origin": ORIGIN, **auth()})
    assert status == 200 and headers["access-control-allow-origin"] == ORIGIN


# --- bad input: a 4xx that names the field and the reason ---------------------------------


def _chat(server: ServeProcess, **fields: Any) -> dict[str, Any]:
    return {"model": server.model, "messages": [{"role": "user", "content": "Hi"}], **fields}


BAD_CHATS: list[tuple[dict[str, Any], str, str]] = [
    ({"temperature": 3}, "temperature", "above the maximum of 2"),
    ({"temperature": "hot"}, "temperature", "expected a number or null, got text"),
    ({"max_tokens": 100000}, "max_tokens", "above the maximum of 512"),
    ({"max_tokens": 0}, "max_tokens", "below the minimum of 1"),
    ({"top_p": 0}, "top_p", "must be above 0"),
    ({"seed": -5}, "seed", "below the minimum of 0"),
    ({"n": 2}, "n", "only 1 choice per request"),
    ({"tools": [{"type": "function"}]}, "tools", "tools are not supported"),
    ({"logprobs": True}, "logprobs", "log probabilities are not supported"),
    ({"response_format": {"type": "json_object"}}, "response_format.type", "only 'text'"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "5 items, more than 4"),
    ({"stop": [""]}, "stop[0]", "must not be empty"),
    ({"stream_options": {"include_usage": True}}, "stream_options", "only allowed when stream"),
    ({"frobnicate": 1}, "frobnicate", "unknown field"),
    ({"messages": []}, "messages", "must not be empty"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role", "tools are not"),
    ({"messages": [{"role": "user"}]}, "messages[0].content", "missing"),
    (
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
        "messages[0].content[0].type",
        "only text parts",
    ),
    ({"model": "/models/secret.gguf"}, "model", "not a file path"),
]


@pytest.mark.parametrize(("fields", "param", "reason"), BAD_CHATS)
def test_bad_chat_fields_are_named(
    server: ServeProcess, fields: dict[str, Any], param: str, reason: str
) -> None:
    status, _, body = raw(server, "POST", "/v1/chat/completions", _chat(server, **fields), auth())
    error = json.loads(body)["error"]
    assert status == 400, error
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"{param}: ") and reason in error["message"], error


def test_other_bad_requests(server: ServeProcess) -> None:
    post = "/v1/chat/completions"
    status, _, body = raw(server, "POST", post, _chat(server, model="gpt-4"), auth())
    assert status == 404 and json.loads(body)["error"]["code"] == "model_not_found"
    status, _, body = raw(server, "POST", post, b'{"model": ', auth())
    assert status == 400 and "not valid JSON" in json.loads(body)["error"]["message"]
    status, _, body = raw(server, "POST", post, b'{"temperature": NaN}', auth())
    assert status == 400 and "NaN" in json.loads(body)["error"]["message"]
    status, _, _ = raw(server, "POST", post, b"{}", {**auth(), "Content-Type": "text/plain"})
    assert status == 415
    huge = _chat(server, messages=[{"role": "user", "content": "x" * (5 * 2**20)}])
    status, _, body = raw(server, "POST", post, huge, auth())
    assert status == 413 and "limit" in json.loads(body)["error"]["message"]
    status, _, body = raw(
        server, "POST", "/v1/completions", {"model": server.model, "prompt": ["a", "b"]}, auth()
    )
    assert status == 400 and json.loads(body)["error"]["param"] == "prompt"


def test_a_chat_too_long_for_the_context_is_refused_not_cut(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        ask(client, server.model, "parrot " * 3000, max_tokens=8)
    assert info.value.code == "context_length_exceeded"
    assert "2048" in info.value.message


def test_embeddings_say_no_embedding_model_is_loaded(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.embeddings.create(model=server.model, input="hello")
    assert "No embedding model is loaded" in info.value.message
