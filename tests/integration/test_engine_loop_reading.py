"""`EngineClient.read_on`: an asyncio loop takes over reading the engine's pipe from the
reader thread (what `parrotchat serve` does), on the real engine and starter model."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.engine.calls import load_model, memory_status, stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import CompleteRequest, Crashed, Event, LoadRequest, Token

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the loop reads only on POSIX")

TIMEOUT_S = 60.0


class LoopThread:
    """An asyncio loop running on a thread of its own, like the server's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT_S)
        self.loop.close()


class Heard:
    """Which thread delivered each event, as the listener saw it."""

    def __init__(self) -> None:
        self.events: list[tuple[Event, int]] = []
        self.crashed = threading.Event()

    def __call__(self, event: Event) -> None:
        self.events.append((event, threading.get_ident()))
        if isinstance(event, Crashed):
            self.crashed.set()

    def threads_since(self, mark: int) -> set[int]:
        return {thread for _event, thread in self.events[mark:]}


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.stop()


def _load(client: EngineClient, model: Path) -> None:
    load_model(client, LoadRequest(path=str(model), n_ctx=512, threads=1))


def _reply(client: EngineClient) -> str:
    request = CompleteRequest("1, 2, 3, 4, 5,", {"temperature": 0.0, "max_tokens": 24})
    return "".join(e.text for e in stream_chat(client, request) if isinstance(e, Token))


def test_the_loop_takes_over_mid_life_and_loses_nothing(
    starter_model: Path, loop_thread: LoopThread
) -> None:
    heard = Heard()
    client = EngineClient(listener=heard)
    client.start()
    try:
        _load(client, starter_model)
        before = _reply(client)
        assert before.strip(), "the engine answered nothing before the hand-over"
        assert loop_thread.thread.ident not in heard.threads_since(0)
        client.read_on(loop_thread.loop)
        mark = len(heard.events)
        after = _reply(client)
        # The same greedy reply, whole, and every event of it heard on the loop's thread.
        assert after == before
        assert heard.threads_since(mark) == {loop_thread.thread.ident}
        assert memory_status(client).rss_mb > 0
    finally:
        client.close()


def test_a_killed_engine_is_reported_and_the_next_one_read_on_the_loop(
    starter_model: Path, loop_thread: LoopThread
) -> None:
    heard = Heard()
    client = EngineClient(listener=heard)
    client.start()
    try:
        client.read_on(loop_thread.loop)
        _load(client, starter_model)
        client.kill()
        assert heard.crashed.wait(TIMEOUT_S), "the loop did not report the engine's death"
        crash = next(e for e, _ in heard.events if isinstance(e, Crashed))
        assert "was killed" in crash.message
        mark = len(heard.events)
        client.start()  # a fresh engine, read on the loop from its first event
        _load(client, starter_model)
        assert _reply(client).strip()
        assert heard.threads_since(mark) == {loop_thread.thread.ident}
    finally:
        client.close()


def test_closing_and_restarting_while_the_loop_runs(
    starter_model: Path, loop_thread: LoopThread
) -> None:
    client = EngineClient()
    client.start()
    client.read_on(loop_thread.loop)
    client.close()
    # A new engine's pipe may get the closed one's descriptor number: it must still be
    # heard (a closed descriptor left in the loop's selector would hide it).
    client.start()
    try:
        _load(client, starter_model)
        assert _reply(client).strip()
    finally:
        client.close()
