"""Blocking calls over any `Engine`, for the CLI, the chat service, scripts and tests.

Each turns a request's events into a return value or an exception, the same way for
the local engine process and a remote server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from parrotchat.core.errors import EngineError
from parrotchat.engine.protocol import (
    ChatRequest,
    CompleteRequest,
    Counted,
    CountRequest,
    Crashed,
    Done,
    Embedded,
    EmbedRequest,
    Engine,
    Event,
    Failed,
    Loaded,
    LoadProgress,
    LoadRequest,
    PromptProgress,
    Status,
    StatusRequest,
    Token,
)


class EngineCancelled(EngineError):
    """A load or reply was cancelled by the user."""


class EngineFailure(EngineError):
    """A failure reported by the engine, with its kind kept for the caller."""

    def __init__(self, message: str, kind: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after_s = retry_after_s


def error_from(event: Failed | Crashed) -> EngineError:
    match event:
        case Crashed(message=message):
            return EngineFailure(message, "crashed")
        case Failed(kind="cancelled", message=message):
            return EngineCancelled(message or "Cancelled")
        case Failed(kind=kind, message=message, retry_after_s=retry):
            return EngineFailure(message, kind, retry)


def _unexpected(what: str, event: Event) -> EngineError:
    return EngineError(f"The engine answered {what} with {type(event).__name__}")


def load_model(
    engine: Engine, request: LoadRequest, on_progress: Callable[[float], None] | None = None
) -> dict[str, Any]:
    for event in engine.events(request):
        match event:
            case LoadProgress(fraction=fraction):
                if on_progress is not None:
                    on_progress(fraction)
            case Loaded(model=model):
                return model
            case Failed() | Crashed():
                raise error_from(event)
            case _:
                raise _unexpected("a load", event)
    raise EngineError("The engine ended the load without an answer")


def stream_chat(
    engine: Engine,
    request: ChatRequest | CompleteRequest,
    on_progress: Callable[[PromptProgress], None] | None = None,
) -> Iterator[Token | Done]:
    """Yield `Token` events, then the `Done` event; raise on failure or crash.

    How far the engine got reading the prompt goes to `on_progress` (a remote server
    may say nothing of it). A raw-prompt `CompleteRequest` is answered the same way
    as a chat.
    """
    for event in engine.events(request):
        match event:
            case PromptProgress():
                if on_progress is not None:
                    on_progress(event)
            case Token() | Done():
                yield event
            case Failed() | Crashed():
                raise error_from(event)
            case _:
                raise _unexpected("a chat", event)


def count_tokens(
    engine: Engine, messages: list[dict[str, str]], chat_format: str | None = None
) -> Counted:
    for event in engine.events(CountRequest(messages, chat_format)):
        match event:
            case Counted():
                return event
            case Failed() | Crashed():
                raise error_from(event)
            case _:
                raise _unexpected("a count", event)
    raise EngineError("The engine ended the count without an answer")


def embed_texts(engine: Engine, texts: list[str]) -> Embedded:
    """Unit vectors for `texts` from an engine loaded with `embedding=True`."""
    for event in engine.events(EmbedRequest(texts)):
        match event:
            case Embedded():
                return event
            case Failed() | Crashed():
                raise error_from(event)
            case _:
                raise _unexpected("an embed request", event)
    raise EngineError("The engine ended the embed request without an answer")


def memory_status(engine: Engine) -> Status:
    """The engine process's resident memory now and at its peak, in MiB."""
    for event in engine.events(StatusRequest()):
        match event:
            case Status():
                return event
            case Failed() | Crashed():
                raise error_from(event)
            case _:
                raise _unexpected("a status request", event)
    raise EngineError("The engine ended the status request without an answer")
