"""The engine interface: typed commands, typed events, and the `Engine` protocol.

Everything above the engine (the chat service, the CLI, the window, the API server)
talks to an `Engine` and cannot tell which kind it is: the local engine process
(engine/local, llama.cpp in a child process) or a remote OpenAI-compatible server
(engine/remote: llama-server, vLLM, Ollama, our own `parrotchat serve`).

Commands and events are frozen dataclasses. Callers match events with `match`
and class patterns, so mypy sees every case; nothing above this module builds or
reads `{"op": ...}` dicts. The local engine pickles them over its pipe as they are.

Commands (caller -> engine), each sent with a request id by `Engine.submit`:
  LoadRequest    load a model (local: a GGUF path; remote: a model id on the server)
  ChatRequest    generate a reply to a conversation
  CompleteRequest  continue a raw prompt, no chat template (the API's /v1/completions)
  CountRequest   how many tokens a conversation takes, rendered
  EmbedRequest   unit vectors for texts (an engine loaded with `embedding=True`)
  StatusRequest  the engine's memory use
  UnloadRequest  free the model
`Engine.cancel(id)` stops a running or queued request at once.

Events (engine -> caller), each carrying the id of the request it answers:
  Ready, LoadProgress, Loaded, PromptProgress, Token, Done, Counted, Embedded, Status, Failed,
  Unloaded, Crashed
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

StopReason = Literal["finished", "length", "stop_string", "cancelled", "context_full", "error"]

ErrorKind = Literal[
    "load_failed",  # the model could not be loaded (local file, or unknown on the server)
    "no_chat_template",  # the model has none and the caller named no format
    "template_failed",  # the model's chat template raised or ran too long
    "context_full",  # the turn does not fit under the chat's policy
    "bad_request",  # a command the engine cannot act on
    "not_loaded",  # chat before load
    "cancelled",  # cancelled by the user
    "unreachable",  # remote: the server could not be reached (refused, DNS, TLS, timeout)
    "unauthorized",  # remote: 401/403
    "rate_limited",  # remote: 429
    "server_error",  # remote: 5xx, a broken answer, a stream cut mid-reply
    "crashed",  # the local engine process died
    "internal",  # a bug in ParrotChat: reported, never hidden
]


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadRequest:
    path: str  # local: the GGUF file; remote: the model id the server lists
    n_ctx: int = 4096
    gpu_layers: int = 0  # -1: all layers
    threads: int = 0  # 0: let the engine pick
    batch: int = 512
    chat_format: str | None = None
    # An embedding engine: answers EmbedRequest only (chat and count fail with
    # "bad_request"). Each sequence must fit in n_ctx tokens; `batch` is how many
    # tokens one llama.cpp call reads, several texts packed together.
    embedding: bool = False
    # Local chat only: a small GGUF of the same vocabulary that drafts tokens for
    # speculative decoding. One that cannot be used leaves the model loaded without
    # it; `Loaded.model["draft_error"]` says why.
    draft_path: str | None = None


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    sampling: dict[str, Any] = field(default_factory=dict)
    overflow: str = "drop_oldest"
    chat_format: str | None = None
    ignore_eos: bool = False  # benchmarks only: the reply runs to max_tokens


@dataclass(frozen=True)
class CompleteRequest:
    """Continue `prompt` as it is: no chat template, no messages, nothing dropped.

    Answered like a ChatRequest (Token events, then Done); a prompt that leaves no
    room in the context fails with kind "context_full".
    """

    prompt: str
    sampling: dict[str, Any] = field(default_factory=dict)
    ignore_eos: bool = False  # benchmarks only: the reply runs to max_tokens


@dataclass(frozen=True)
class CountRequest:
    messages: list[dict[str, str]]
    chat_format: str | None = None


@dataclass(frozen=True)
class EmbedRequest:
    """One unit-length vector per text, in order (answered by `Embedded`).

    A text longer than the loaded context is cut to it, and counted in
    `Embedded.truncated`, never silently; with `too_long="refuse"` the request fails
    instead (kind "context_full", `Failed.item` the text's index), before any is read:
    the API server refuses what it was not asked to shorten.
    """

    texts: list[str]
    too_long: Literal["cut", "refuse"] = "cut"


@dataclass(frozen=True)
class StatusRequest:
    pass


@dataclass(frozen=True)
class UnloadRequest:
    pass


Command = (
    LoadRequest
    | ChatRequest
    | CompleteRequest
    | CountRequest
    | EmbedRequest
    | StatusRequest
    | UnloadRequest
)


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """The engine can take commands."""

    pid: int | None  # the local engine process; None for a remote server
    backend: str  # "CPU", "CUDA", ...; for a remote server its kind ("llama-server", "vLLM")
    gpu_offload: bool
    system_info: str = ""
    id: int | None = None


@dataclass(frozen=True)
class LoadProgress:
    id: int | None
    fraction: float


@dataclass(frozen=True)
class Loaded:
    """`model` holds n_ctx, n_ctx_train, n_batch, threads, gpu_layers, chat_template,
    chat_format, load_s, backend, description, fallback, draft, draft_error (see
    LoadedInfo)."""

    id: int | None
    model: dict[str, Any]


@dataclass(frozen=True)
class PromptProgress:
    """Reading the prompt, before the first token: `done` of the `total` prompt tokens
    that have to be read now are read. Sent at 0 and after each batch, up to done ==
    total. `prompt_tokens` is the whole prompt, with what came from the cache: what the
    reply adds to. A remote server may send none.
    """

    id: int | None
    done: int
    total: int
    prompt_tokens: int


@dataclass(frozen=True)
class Token:
    id: int | None
    text: str
    tokens: int = 1  # reply tokens the text stands for (a character may span several)


@dataclass(frozen=True)
class Done:
    id: int | None
    stats: dict[str, Any]  # ReplyStats.to_dict(), plus a remote server's own usage


@dataclass(frozen=True)
class Counted:
    id: int | None
    tokens: int
    exact: bool = True  # False: a conservative estimate (a server with no tokenizer endpoint)


@dataclass(frozen=True)
class Embedded:
    id: int | None
    vectors: list[list[float]]  # unit length (L2), one per text, n_embd floats each
    tokens: int  # tokens read, after any cut
    truncated: int = 0  # texts cut to the context length


@dataclass(frozen=True)
class Status:
    id: int | None
    rss_mb: float
    peak_rss_mb: float


@dataclass(frozen=True)
class Failed:
    id: int | None
    kind: ErrorKind
    message: str
    retry_after_s: float | None = None  # rate_limited: when the server said to retry
    item: int | None = None  # context_full of an EmbedRequest: the text that is too long


@dataclass(frozen=True)
class Unloaded:
    id: int | None


@dataclass(frozen=True)
class Crashed:
    """The local engine process died (made by the client, never sent by the engine)."""

    exitcode: int | None
    message: str
    id: int | None = None


Event = (
    Ready
    | LoadProgress
    | Loaded
    | PromptProgress
    | Token
    | Done
    | Counted
    | Embedded
    | Status
    | Failed
    | Unloaded
    | Crashed
)

# Events that end the request they answer.
TERMINAL_EVENTS: tuple[type, ...] = (
    Loaded,
    Done,
    Failed,
    Crashed,
    Counted,
    Embedded,
    Status,
    Unloaded,
)


# --- what travels over the local engine's pipe ---------------------------------------------


@dataclass(frozen=True)
class Submit:
    id: int
    command: Command


@dataclass(frozen=True)
class Cancel:
    id: int | None  # None: whatever runs now


@dataclass(frozen=True)
class Shutdown:
    pass


PipeMessage = Submit | Cancel | Shutdown


# --- results ------------------------------------------------------------------------------


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
    draft_tokens: int = 0  # tokens proposed (prompt lookup, draft model), checked by the model
    accepted_tokens: int = 0  # of those, kept in the reply
    # The build's batched logits equal one token's, so drafts never change a reply; when
    # not, the engine does not draft (runtime.py `_batched_logits_match`). None: not
    # checked yet, as drafting was off for every reply since the model loaded.
    exact_drafts: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the interface -------------------------------------------------------------------------


class Engine(Protocol):
    """What every engine offers. Implemented by engine.local and engine.remote.

    Events for a submitted command go to the waiter of `events()` (the blocking
    helpers use it) and to `listener`, called on the engine's own thread (the
    window hands them on to the GUI thread).
    """

    listener: Callable[[Event], None] | None

    @property
    def ready_info(self) -> Ready | None:
        """The `Ready` event of the running engine; None before it started."""
        ...

    @property
    def where(self) -> str:
        """Where replies come from, for people: "this computer" or the server's name."""
        ...

    def start(self, wait: bool = True) -> None: ...

    def is_alive(self) -> bool: ...

    def close(self, timeout: float = 3.0) -> None: ...

    def kill(self) -> None:
        """Stop at once (a hang, a load that ignores cancel)."""
        ...

    def submit(self, command: Command) -> int:
        """Send a command; its events go to `listener`. Returns the request id."""
        ...

    def cancel(self, req_id: int | None = None) -> None: ...

    def events(self, command: Command) -> Iterator[Event]:
        """Send a command and yield its events up to and including the terminal one."""
        ...
