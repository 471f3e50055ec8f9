"""A request's command in a shared engine's queue, cancelled when its client goes away.

The command goes into the queue with a sink that hands each event to this request's
asyncio queue (the engine calls it on its own thread). Two tasks then race: the
writer, which turns events into the response, and a watcher, which waits for the
client to go away. If the client goes first, the request is cancelled in the engine
at once, whether it still waits in the queue or runs. The generation endpoints and
the embeddings endpoint share this, each over its own engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from parrotchat.core.errors import EngineError
from parrotchat.engine.protocol import Command, Event
from parrotchat.engine.shared import Job, QueueFull, SharedEngine
from parrotchat.serve.asgi_types import Receive
from parrotchat.serve.errors import ApiError

QUEUE_WAIT_HEADER = "x-parrotchat-queue-wait-ms"  # how long a request waited for its engine


def enqueue(
    engine: SharedEngine, command: Command, drop: Callable[[Event], bool] | None = None
) -> tuple[Job, asyncio.Queue[Event]]:
    """Queue `command`; its events (but those `drop` says) arrive in the asyncio queue.

    Raises ApiError: 429 with Retry-After when the queue is full, 503 when the engine
    cannot take commands."""
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    inbox: asyncio.Queue[Event] = asyncio.Queue()

    def sink(event: Event) -> None:
        if drop is not None and drop(event):
            return
        if threading.get_ident() == loop_thread:
            # `parrotchat serve` reads its engines on this loop (EngineClient.read_on).
            inbox.put_nowait(event)
            return
        # RuntimeError: the server's loop has closed, nobody is left to answer.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(inbox.put_nowait, event)

    try:
        job = engine.enqueue(command, sink)
    except QueueFull as exc:
        retry = str(math.ceil(exc.retry_after_s))
        raise ApiError(429, str(exc), code="queue_full", headers={"retry-after": retry}) from None
    except EngineError as exc:
        raise ApiError(503, str(exc), code="engine_unavailable") from None
    return job, inbox


async def write_unless_gone(
    engine: SharedEngine, job: Job, writer: Coroutine[Any, Any, None], receive: Receive
) -> None:
    """Run `writer` until it is done or the client leaves (then `job` is cancelled).

    An ApiError the writer raises (before its response started) is raised here."""
    written = asyncio.ensure_future(writer)
    watcher = asyncio.ensure_future(_client_gone(receive))
    try:
        await asyncio.wait({written, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not written.done():
            # The client left, or the server is stopping: stop the work now.
            engine.cancel(job.id)
            written.cancel()
        watcher.cancel()
    if written.done() and not written.cancelled():
        written.result()


async def _client_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
