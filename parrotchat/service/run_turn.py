"""One turn driven to its end by a blocking loop: the CLI, scripts, tests.

The same steps the window takes from engine signals (turn.py), over any `Engine`:
the local engine process or a remote server. Whatever happens to the engine, what
was already written stays in the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.errors import StorageError
from parrotchat.engine.calls import EngineCancelled, EngineFailure, count_tokens, stream_chat
from parrotchat.engine.protocol import Done, Engine, PromptProgress, Token
from parrotchat.service.chat_service import ChatService
from parrotchat.service.doc_answers import DocumentQuery, fit_sources, search_sources
from parrotchat.service.turn import Turn


@dataclass
class TurnResult:
    message_id: int
    text: str
    stats: dict[str, Any]  # the engine's, with every message left out counted


def run_turn(
    engine: Engine,
    service: ChatService,
    chat_id: int,
    chat_settings: ChatSettings,
    *,
    model_name: str,
    n_ctx: int | None = None,
    chat_format: str | None = None,
    ignore_eos: bool = False,
    on_text: Callable[[str], None] = lambda _t: None,
    on_progress: Callable[[PromptProgress], None] | None = None,
    documents: DocumentQuery | None = None,
) -> TurnResult:
    """Generate and store the reply to the chat's last message under `chat_settings`.

    `n_ctx` is the loaded model's context (None: the default context length): no
    more of the chat's newest messages are read than could fit in it. An engine
    failure is saved with the partial reply, then raised; Ctrl-C keeps the partial
    reply as a stopped one. `on_progress` hears how far the engine got reading the
    prompt, before the first text. With `documents`, the reply is an answer from their
    best passages (doc_answers.py), and its stats name the sources.
    """
    turn = service.begin_turn(chat_id, chat_settings, model_name)
    try:
        n_ctx = n_ctx or service.defaults.context_length
        request = turn.build_request(n_ctx, chat_format=chat_format, ignore_eos=ignore_eos)
        if documents is not None:
            question = request.messages[-1]["content"] if request.messages else ""
            prompt = fit_sources(
                request.messages,
                search_sources(documents, question),
                n_ctx,
                chat_settings.sampling.max_tokens,
                lambda messages: count_tokens(engine, messages, chat_format).tokens,
            )
            request = turn.use_sources(prompt)
        stats: dict[str, Any] = {}
        for event in stream_chat(engine, request, on_progress):
            match event:
                case Token(text=text):
                    turn.on_text(text)
                    on_text(text)
                case Done(stats=done):
                    stats = dict(done)
    except EngineCancelled:
        stats = {"stop_reason": "cancelled"}
    except BaseException as exc:
        _keep_partial(turn, exc)
        raise
    return TurnResult(turn.message_id, turn.text, turn.finish(stats))


def _keep_partial(turn: Turn, exc: BaseException) -> None:
    # A store that fails here failed already (that may be why we are here): the reply
    # stays "streaming", and the next start marks it interrupted.
    with contextlib.suppress(StorageError, RuntimeError):
        if isinstance(exc, KeyboardInterrupt):
            turn.close("complete", {"stop_reason": "cancelled"})
        elif isinstance(exc, EngineFailure) and exc.kind == "crashed":
            turn.fail(str(exc), status="interrupted")
        else:
            turn.fail(str(exc) or type(exc).__name__)
