"""The message protocol between the app and an engine.

Messages are plain dicts of JSON-compatible values, so the same protocol can later
travel over a socket to a remote engine (llama-server, vLLM, Ollama in the closed
network). Commands carry "op", events carry "ev"; both carry the request "id"
they belong to where one applies.

Commands (app -> engine):
  load       path, n_ctx, gpu_layers (-1 = all), threads (0 = auto), batch, chat_format
  chat       messages [{role, content}], sampling {...}, overflow, chat_format, ignore_eos
  count      messages: how many tokens the rendered conversation takes
  status     the engine's memory use
  cancel     stop the running request (prompt processing or decoding) at once
  unload     free the model
  shutdown   exit the engine process

Events (engine -> app):
  ready          pid, backend, gpu_offload, system_info
  load_progress  fraction 0..1
  loaded         model {...}: path, n_ctx, n_ctx_train, backend, gpu_layers,
                 chat_template, chat_format, load_s
  token          text (a piece of the reply)
  done           stats {...}: see ReplyStats
  count          tokens
  status         rss_mb, peak_rss_mb
  error          kind, message
  unloaded
  crashed        exitcode (made by the client when the engine process dies)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Command = dict[str, Any]
Event = dict[str, Any]

StopReason = Literal["finished", "length", "stop_string", "cancelled", "context_full", "error"]

ERROR_KINDS = (
    "load_failed",  # the model file could not be loaded
    "no_chat_template",  # the model has none and the caller named no format
    "template_failed",  # the model's chat template raised or ran too long
    "context_full",  # the turn does not fit under the chat's policy
    "bad_request",  # a command the engine cannot act on
    "not_loaded",  # chat before load
    "cancelled",  # a load cancelled by the user
    "internal",  # a bug in ParrotChat: reported, never hidden
)


@dataclass
class ReplyStats:
    prompt_tokens: int = 0  # tokens in the whole rendered prompt
    prompt_eval_tokens: int = 0  # of those, processed now (the rest came from the KV cache)
    cached_tokens: int = 0
    reply_tokens: int = 0
    ttft_s: float = 0.0  # request received -> first token sent
    prefill_s: float = 0.0
    decode_s: float = 0.0
    tokens_per_s: float = 0.0  # decode speed
    prompt_tokens_per_s: float = 0.0
    stop_reason: StopReason = "finished"
    dropped_messages: int = 0  # oldest messages left out to fit the context
    n_ctx: int = 0
    restored_state: bool = False  # a saved chat state was swapped in

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoadRequest:
    path: str
    n_ctx: int = 4096
    gpu_layers: int = 0  # -1: all layers
    threads: int = 0  # 0: let the engine pick
    batch: int = 512
    chat_format: str | None = None

    def to_command(self, req_id: int) -> Command:
        return {"op": "load", "id": req_id, **asdict(self)}


@dataclass
class ChatRequest:
    messages: list[dict[str, str]]
    sampling: dict[str, Any] = field(default_factory=dict)
    overflow: str = "drop_oldest"
    chat_format: str | None = None
    ignore_eos: bool = False  # benchmarks only: the reply runs to max_tokens

    def to_command(self, req_id: int) -> Command:
        return {"op": "chat", "id": req_id, **asdict(self)}
