"""SharedEngine: many callers on one real engine, in order, bounded, cancellable."""

from __future__ import annotations

import itertools
import queue
import time
from pathlib import Path

import pytest

from parrotchat.engine.calls import load_model, stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import (
    ChatRequest,
    Crashed,
    Done,
    Event,
    Failed,
    LoadRequest,
    PromptProgress,
    Token,
)
from parrotchat.engine.shared import QueueFull, SharedEngine

LONG = ChatRequest(
    messages=[{"role": "user", "content": "Write a very long story about a parrot."}],
    sampling={"temperature": 0.0, "max_tokens": 1000},
)


def short(text: str) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "user", "content": text}],
        sampling={"temperature": 0.0, "max_tokens": 4},
    )


class Inbox:
    """A sink that keeps what arrives, with the time it arrived."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[float, Event]] = queue.Queue()

    def __call__(self, event: Event) -> None:
        self.events.put((time.monotonic(), event))

    def next(self, timeout: float = 60.0) -> tuple[float, Event]:
        return self.events.get(timeout=timeout)

    def first_token(self, timeout: float = 60.0) -> tuple[float, Event]:
        """The first token, past how far the engine got reading the prompt."""
        while True:
            at, event = self.next(timeout)
            if not isinstance(event, PromptProgress):
                return at, event

    def last(self, timeout: float = 120.0) -> tuple[float, Event]:
        while True:
            at, event = self.next(timeout)
            if not isinstance(event, Token | PromptProgress):
                return at, event


@pytest.fixture
def shared(engine: EngineClient) -> SharedEngine:
    return SharedEngine(engine, max_waiting=2)


def test_requests_run_one_at_a_time_in_order(shared: SharedEngine) -> None:
    inboxes = [Inbox() for _ in range(3)]
    jobs = [shared.enqueue(short(f"Say {i}."), inbox) for i, inbox in enumerate(inboxes)]
    ends = [inbox.last()[0] for inbox in inboxes]
    assert ends == sorted(ends)
    for earlier, later in itertools.pairwise(jobs):
        assert later.released is not None and earlier.ended is not None
        assert later.released >= earlier.ended  # the next started only after the last ended
    waits = [job.queue_wait_s or 0.0 for job in jobs]
    assert waits[2] > waits[0]


def test_cancel_reaches_a_queued_request_at_once_and_a_running_one_soon(
    shared: SharedEngine,
) -> None:
    running, waiting = Inbox(), Inbox()
    first = shared.enqueue(LONG, running)
    assert isinstance(running.first_token()[1], Token)
    second = shared.enqueue(LONG, waiting)
    assert shared.waiting == 1
    shared.cancel(second.id)
    _, event = waiting.next(timeout=1)
    assert isinstance(event, Failed) and event.kind == "cancelled" and event.id == second.id
    assert shared.waiting == 0
    shared.cancel(first.id)
    cancelled_at = time.monotonic()
    at, done = running.last()
    assert isinstance(done, Done) and done.stats["stop_reason"] == "cancelled"
    assert at - cancelled_at < 2.0  # gross: the reply would run for minutes
    assert shared.running is None


def test_beyond_the_bound_it_says_when_to_retry(shared: SharedEngine) -> None:
    running = Inbox()
    first = shared.enqueue(LONG, running)
    running.next()
    queued = [shared.enqueue(short("Hi"), Inbox()) for _ in range(2)]
    with pytest.raises(QueueFull) as info:
        shared.enqueue(short("One more"), Inbox())
    assert info.value.retry_after_s >= 1.0
    assert "2 requests are already waiting" in str(info.value)
    for job in [*queued, first]:
        shared.cancel(job.id)
    running.last()


def test_blocking_calls_work_through_it(shared: SharedEngine) -> None:
    pieces = [ev for ev in stream_chat(shared, short("Name a color.")) if isinstance(ev, Token)]
    assert pieces


def test_a_crash_ends_the_running_request_and_the_queued_ones(starter_model: Path) -> None:
    client = EngineClient()
    client.start()
    try:
        load_model(client, LoadRequest(path=str(starter_model), n_ctx=512, threads=2))
        shared = SharedEngine(client)
        running, waiting = Inbox(), Inbox()
        shared.enqueue(LONG, running)
        running.next()
        shared.enqueue(short("Hi"), waiting)
        client.kill()
        _, crash = running.last(timeout=30)
        assert isinstance(crash, Crashed) and "killed" in crash.message
        _, failed = waiting.last(timeout=30)
        assert isinstance(failed, Failed) and failed.kind == "crashed"
        assert shared.running is None and shared.waiting == 0
    finally:
        client.close()


def test_paused_it_holds_requests_until_resumed(shared: SharedEngine) -> None:
    shared.pause()
    inbox = Inbox()
    job = shared.enqueue(short("Hi"), inbox)
    time.sleep(0.2)
    assert shared.running is None and shared.waiting == 1 and job.released is None
    shared.resume()
    _, done = inbox.last()
    assert isinstance(done, Done)
