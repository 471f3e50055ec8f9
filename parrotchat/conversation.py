"""One chat turn, end to end: store, engine, and the reply saved as it grows.

Plain Python, shared by the CLI and the window's controller: the user's message is
saved first, the reply is saved at least once a second while it streams, and
whatever happens to the engine, what was already written stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parrotchat.core.chats.store import Chat, ChatStore, ReplyRecorder
from parrotchat.core.errors import EngineError
from parrotchat.core.models.info import ModelInfo
from parrotchat.core.sampling import SamplingParams
from parrotchat.core.settings import Settings
from parrotchat.engine.calls import EngineCancelled, stream_chat
from parrotchat.engine.protocol import ChatRequest, Done, Engine, LoadRequest, Token


@dataclass
class TurnResult:
    message_id: int
    text: str
    stats: dict[str, Any]


def engine_messages(chat: Chat, system_prompt: str) -> list[dict[str, str]]:
    """The conversation as the engine sees it: system prompt, then every kept message."""
    messages: list[dict[str, str]] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for m in chat.messages:
        if m.role == "system":
            continue
        if m.role == "assistant" and not m.content:
            continue  # a reply that failed before its first token
        messages.append({"role": m.role, "content": m.content})
    return messages


def resolve_gpu_layers(setting: str, gpu_offload: bool) -> int:
    """'auto' and 'all' offload every layer when the build can; a number is taken as is."""
    if setting in ("auto", "all"):
        return -1 if gpu_offload else 0
    try:
        return max(-1, int(setting))
    except ValueError:
        return -1 if gpu_offload else 0


def effective_context(requested: int, model: ModelInfo) -> int:
    """The context length to load with: what was asked, capped by the model's training."""
    trained = model.context_length or requested
    return max(256, min(requested, trained))


def load_request(
    model: ModelInfo,
    settings: Settings,
    gpu_offload: bool,
    chat_format: str | None = None,
    n_ctx: int | None = None,
) -> LoadRequest:
    return LoadRequest(
        path=str(model.path),
        n_ctx=effective_context(n_ctx or settings.context_length, model),
        gpu_layers=resolve_gpu_layers(settings.gpu_layers, gpu_offload),
        threads=settings.threads,
        batch=settings.batch_size,
        chat_format=chat_format,
    )


def run_turn(
    client: Engine,
    store: ChatStore,
    chat_id: int,
    *,
    system_prompt: str,
    sampling: SamplingParams,
    overflow: str,
    model_name: str,
    on_text: Callable[[str], None] = lambda _t: None,
    chat_format: str | None = None,
) -> TurnResult:
    """Generate the assistant's reply to the chat's last message and store it."""
    chat = store.get_chat(chat_id)
    request = ChatRequest(
        messages=engine_messages(chat, system_prompt),
        sampling=sampling.to_dict(),
        overflow=overflow,
        chat_format=chat_format,
    )
    message_id = store.add_message(
        chat_id, "assistant", "", model=model_name, sampling=sampling.to_dict(), status="streaming"
    )
    recorder = ReplyRecorder(store, message_id)
    parts: list[str] = []
    stats: dict[str, Any] = {}
    try:
        for event in stream_chat(client, request):
            match event:
                case Token(text=text):
                    parts.append(text)
                    recorder.append(text)
                    on_text(text)
                case Done():
                    stats = dict(event.stats)
    except EngineCancelled:
        stats = {"stop_reason": "cancelled"}
    except EngineError as exc:
        recorder.fail(str(exc))
        raise
    recorder.finish(stats)
    return TurnResult(message_id, "".join(parts), stats)
