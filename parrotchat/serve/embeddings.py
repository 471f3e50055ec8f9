"""One embeddings request through the embedding model's queue, answered in OpenAI's shape.

The embedding model has an engine and a queue of its own, so a long document being
embedded never waits behind a chat reply, nor a chat behind it. A client that goes
away is dropped from the queue, or its request is cancelled in the engine.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from parrotchat.engine.protocol import Crashed, Embedded, Event, Failed
from parrotchat.engine.shared import Job
from parrotchat.serve.asgi_types import Receive, Send
from parrotchat.serve.embedding_body import EmbeddingCall
from parrotchat.serve.errors import ApiError, from_engine
from parrotchat.serve.queued import QUEUE_WAIT_HEADER, enqueue, write_unless_gone
from parrotchat.serve.served_model import ServedEmbedder


async def answer_embeddings(
    call: EmbeddingCall, served: ServedEmbedder, receive: Receive, send: Send
) -> None:
    """Embed `call`'s texts and write the answer; raises ApiError before it is written."""
    job, inbox = enqueue(served.engine, call.command)

    async def write() -> None:
        body = embedding_reply(call, served.model_id, _embedded(call, await inbox.get()))
        await send({"type": "http.response.start", "status": 200, "headers": _headers(job)})
        await send({"type": "http.response.body", "body": body})

    await write_unless_gone(served.engine, job, write(), receive)


def _embedded(call: EmbeddingCall, event: Event) -> Embedded:
    """The engine's answer, or the ApiError a client sees instead."""
    match event:
        case Embedded() if len(event.vectors) == len(call.command.texts):
            return event
        case Failed(kind="context_full", item=item, message=message):
            # A text the model cannot read whole: named by its place, never cut.
            param = call.param(item)
            raise ApiError(400, f"{param}: {message}", param=param, code="context_length_exceeded")
        case Failed() | Crashed():
            raise from_engine(event, "input")
    raise ApiError(500, f"The embedding engine answered {_described(event)}", code="internal")


def _described(event: Event) -> str:
    if isinstance(event, Embedded):
        return f"{len(event.vectors)} vectors for another number of texts"
    return f"with {type(event).__name__}"


def embedding_reply(call: EmbeddingCall, model_id: str, embedded: Embedded) -> bytes:
    """The response body: one entry per text, in order, as lists of numbers or base64."""
    data: list[dict[str, Any]] = [
        {
            "object": "embedding",
            "index": i,
            "embedding": _base64(vector) if call.base64 else vector,
        }
        for i, vector in enumerate(embedded.vectors)
    ]
    reply = {
        "object": "list",
        "data": data,
        "model": model_id,
        "usage": {"prompt_tokens": embedded.tokens, "total_tokens": embedded.tokens},
    }
    return json.dumps(reply, separators=(",", ":")).encode("ascii")


def _base64(vector: list[float]) -> str:
    # What OpenAI's clients decode: little-endian float32 bytes ("<" fixes the order
    # whatever this machine's is).
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _headers(job: Job) -> list[tuple[bytes, bytes]]:
    wait_ms = (job.queue_wait_s or 0.0) * 1000
    return [
        (b"content-type", b"application/json"),
        (QUEUE_WAIT_HEADER.encode(), f"{wait_ms:.1f}".encode()),
    ]
