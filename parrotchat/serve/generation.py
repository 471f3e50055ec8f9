"""One generation request, from the queue to the last byte, on plain ASGI.

The command waits in the shared engine's queue and is cancelled at once when its
client goes away, queued or running (queued.py).

Nothing is sent until the engine's first token or answer (how far it got reading
the prompt is not passed on): a request that fails before its first token (the
prompt does not fit, the engine crashed) gets a proper HTTP status; one that fails
later gets OpenAI's error object as a stream event.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from parrotchat.engine.protocol import Crashed, Done, Event, Failed, PromptProgress, Token
from parrotchat.engine.shared import Job
from parrotchat.serve.asgi_types import Receive, Send
from parrotchat.serve.errors import ApiError, from_engine
from parrotchat.serve.queued import QUEUE_WAIT_HEADER, enqueue, write_unless_gone
from parrotchat.serve.replies import FINISH_REASONS, ReplyShape
from parrotchat.serve.request_body import GenerationCall
from parrotchat.serve.served_model import ServedModel


def _progress(event: Event) -> bool:
    # OpenAI's API has no place for it; and the response must not start before the
    # first token (a crash while the prompt is read gets an HTTP status).
    return isinstance(event, PromptProgress)


async def answer(call: GenerationCall, served: ServedModel, receive: Receive, send: Send) -> None:
    """Run `call` on the shared engine and write the reply; raises ApiError before the
    response has started, never after."""
    job, inbox = enqueue(served.engine, call.command, drop=_progress)
    await write_unless_gone(served.engine, job, _write(call, served, job, inbox, send), receive)


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
