"""One generation request, from the queue to the last byte, on plain ASGI.

The command goes into the shared engine's queue with a sink that hands each event
to this request's asyncio queue (the engine calls it on its own thread). Two tasks
then race: the writer, which turns events into the response, and a watcher, which
waits for the client to go away. If the client goes first, the request is
cancelled in the engine at once, whether it still waits in the queue or runs.

Nothing is sent until the engine's first token or answer (how far it got reading
the prompt is not passed on): a request that fails before its first token (the
prompt does not fit, the engine crashed) gets a proper HTTP status; one that fails
later gets OpenAI's error object as a stream event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
from typing import Any

from parrotchat.core.errors import EngineError
from parrotchat.engine.protocol import Crashed, Done, Event, Failed, PromptProgress, Token
from parrotchat.engine.shared import Job, QueueFull
from parrotchat.serve.asgi_types import Receive, Send
from parrotchat.serve.errors import ApiError, from_engine
from parrotchat.serve.replies import FINISH_REASONS, ReplyShape
from parrotchat.serve.request_body import GenerationCall
from parrotchat.serve.served_model import ServedModel

QUEUE_WAIT_HEADER = "x-parrotchat-queue-wait-ms"


async def answer(call: GenerationCall, served: ServedModel, receive: Receive, send: Send) -> None:
    """Run `call` on the shared engine and write the reply; raises ApiError before the
    response has started, never after."""
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    inbox: asyncio.Queue[Event] = asyncio.Queue()

    def sink(event: Event) -> None:
        if isinstance(event, PromptProgress):
            # OpenAI's API has no place for it; and the response must not start before
            # the first token (a crash while the prompt is read gets an HTTP status).
            return
        if threading.get_ident() == loop_thread:
            # `parrotchat serve` reads the engine on this loop (EngineClient.read_on).
            inbox.put_nowait(event)
            return
        # RuntimeError: the server's loop has closed, nobody is left to answer.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(inbox.put_nowait, event)

    try:
        job = served.engine.enqueue(call.command, sink)
    except QueueFull as exc:
        retry = str(math.ceil(exc.retry_after_s))
        raise ApiError(429, str(exc), code="queue_full", headers={"retry-after": retry}) from None
    except EngineError as exc:
        raise ApiError(503, str(exc), code="engine_unavailable") from None
    writer = asyncio.ensure_future(_write(call, served, job, inbox, send))
    watcher = asyncio.ensure_future(_client_gone(receive))
    try:
        await asyncio.wait({writer, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not writer.done():
            # The client left, or the server is stopping: stop generating now.
            served.engine.cancel(job.id)
            writer.cancel()
        watcher.cancel()
    if writer.done() and not writer.cancelled():
        writer.result()  # an ApiError from before the response started


async def _client_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _headers(job: Job, content_type: bytes) -> list[tuple[bytes, bytes]]:
    wait_ms = (job.queue_wait_s or 0.0) * 1000
    return [
        (b"content-type", content_type),
        (b"cache-control", b"no-cache"),
        (QUEUE_WAIT_HEADER.encode(), f"{wait_ms:.1f}".encode()),
    ]


async def _write(
    call: GenerationCall,
    served: ServedModel,
    job: Job,
    inbox: asyncio.Queue[Event],
    send: Send,
) -> None:
    shape = ReplyShape(call.kind, served.model_id, call.include_usage)
    event = await inbox.get()
    if isinstance(event, Failed | Crashed):
        error = from_engine(event, call.prompt_param)
        error.headers[QUEUE_WAIT_HEADER] = f"{(job.queue_wait_s or 0.0) * 1000:.1f}"
        raise error
    if call.stream:
        await _stream(shape, job, event, inbox, send, call.prompt_param)
    else:
        await _whole(shape, job, event, inbox, send, call.prompt_param)


def _finish_reason(stats: dict[str, Any]) -> str:
    reason = str(stats.get("stop_reason", "finished"))
    if reason == "cancelled":
        raise from_engine(Failed(None, "cancelled", "stopped before the reply was complete"))
    return FINISH_REASONS.get(reason, "stop")


async def _whole(
    shape: ReplyShape,
    job: Job,
    event: Event,
    inbox: asyncio.Queue[Event],
    send: Send,
    prompt_param: str,
) -> None:
    parts: list[str] = []
    while True:
        match event:
            case Token(text=text):
                parts.append(text)
            case Done(stats=stats):
                reply = shape.whole("".join(parts), _finish_reason(stats), stats)
                break
            case Failed() | Crashed():
                raise from_engine(event, prompt_param)
        event = await inbox.get()
    body = json.dumps(reply, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": _headers(job, b"application/json"),
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _stream(
    shape: ReplyShape,
    job: Job,
    event: Event,
    inbox: asyncio.Queue[Event],
    send: Send,
    prompt_param: str,
) -> None:
    headers = _headers(job, b"text/event-stream; charset=utf-8")
    headers.append((b"x-accel-buffering", b"no"))  # a reverse proxy must not hold chunks back
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    out = [shape.first_chunk()]
    while True:
        match event:
            case Token(text=text):
                out.append(shape.token_chunk(text))
            case Done(stats=stats):
                try:
                    out.append(shape.final_chunks(_finish_reason(stats), stats))
                except ApiError as error:
                    out.append(shape.error_chunk(error))
                break
            case Failed() | Crashed():
                out.append(shape.error_chunk(from_engine(event, prompt_param)))
                break
        if inbox.empty():
            # Everything that arrived while the last chunk was written goes out in one send.
            await send({"type": "http.response.body", "body": b"".join(out), "more_body": True})
            out.clear()
            event = await inbox.get()
        else:
            event = inbox.get_nowait()
    await send({"type": "http.response.body", "body": b"".join(out), "more_body": False})
