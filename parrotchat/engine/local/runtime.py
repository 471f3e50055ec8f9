"""The one place that imports llama_cpp: load a model, render, count, generate.

It runs inside the engine process only. Beside the public `Llama` facade it uses a
few lower-level calls on purpose, each for a reason the facade cannot serve:

- the model-load progress callback (the facade has no parameter for it), which
  also lets a load be cancelled;
- a decode loop of our own, so that cancel works between tokens, prompt
  processing can be aborted mid-batch (llama.cpp's abort callback), and text is
  produced O(1) per token (the facade's streaming path re-detokenizes the reply);
- per-sequence state save/restore, so a saved chat costs only its KV cells (the
  facade's save_state also copies a n_batch x n_vocab logits array);
- an embedding loop of our own (the facade's `embed` cuts long texts silently,
  cannot be cancelled and normalizes in Python one float at a time).

These touch llama-cpp-python internals (`_ctx`, `_model`, `_init_sampler`); the
version range in pyproject.toml is pinned to the releases this was tested with.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import llama_cpp
import llama_cpp._internals as llama_internals
import llama_cpp.llama_chat_format as chat_format_module
import numpy as np

from parrotchat.core.chats.context_budget import fit_messages
from parrotchat.core.errors import (
    ContextFullError,
    EngineError,
    ModelFileError,
    NoChatTemplateError,
)
from parrotchat.core.models.draft_compat import draft_incompatibility
from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.local.cpu_features import use_extra_buffers
from parrotchat.engine.local.draft_model import DraftModel
from parrotchat.engine.local.prompt_lookup import MAX_DRAFT, BatchCosts, DraftPolicy, PromptLookup
from parrotchat.engine.local.state_cache import SavedState, StateCache, common_prefix
from parrotchat.engine.local.templates.chat_template import ChatTemplate
from parrotchat.engine.local.text_stream import TextStream
from parrotchat.engine.local.token_pick import ArgmaxPick, ChainPick
from parrotchat.engine.protocol import ReplyStats

# Named formats a user may pick for a model that carries no chat template.
NAMED_FORMATS: dict[str, Callable[..., Any]] = {
    name: fn
    for name, fn in {
        "chatml": getattr(chat_format_module, "format_chatml", None),
        "llama-2": getattr(chat_format_module, "format_llama2", None),
        "llama-3": getattr(chat_format_module, "format_llama3", None),
        "mistral-instruct": getattr(chat_format_module, "format_mistral_instruct", None),
        "gemma": getattr(chat_format_module, "format_gemma", None),
        "zephyr": getattr(chat_format_module, "format_zephyr", None),
        "alpaca": getattr(chat_format_module, "format_alpaca", None),
        "vicuna": getattr(chat_format_module, "format", None),
    }.items()
    if fn is not None and name != "vicuna"
}


# done, total, prompt_tokens: see protocol.PromptProgress.
PromptProgressFn = Callable[[int, int, int], None]

# Decoded once per load, at the first reply with draft ahead on, to see whether drafts
# can be exact (`_batched_logits_match`): plain text long enough for 38 tokens with any
# tokenizer that splits words.
_PROBE_TEXT = (
    "The parrot lived in a small shop in Seoul, where it listened to every customer "
    "and learned to finish their sentences before they did. In the evening the owner "
    "read it the news, and by morning it could say the weather, the prices of rice "
    "and the names of three ministers, always in the order it had heard them."
)

# How many recent tokens the repeat, frequency and presence penalties look at.
PENALTY_LAST_N = 64

_NO_ABORT = llama_cpp.ggml_abort_callback()  # a NULL function pointer: no callback

POOLING_NAMES = {
    llama_cpp.LLAMA_POOLING_TYPE_NONE: "none",
    llama_cpp.LLAMA_POOLING_TYPE_MEAN: "mean",
    llama_cpp.LLAMA_POOLING_TYPE_CLS: "cls",
    llama_cpp.LLAMA_POOLING_TYPE_LAST: "last",
    llama_cpp.LLAMA_POOLING_TYPE_RANK: "rank",
}


def embedding_pooling(declared: int | None, name: str) -> int:
    """The pooling to load an embedding model with: the one its file declares, else the
    mean over its tokens (a chat model used as a stand-in declares none, and llama.cpp
    would then give one vector per token instead of one per text)."""
    if declared == llama_cpp.LLAMA_POOLING_TYPE_RANK:
        raise EngineError(f"Model {name} is a reranker, not an embedding model")
    if declared in (
        llama_cpp.LLAMA_POOLING_TYPE_MEAN,
        llama_cpp.LLAMA_POOLING_TYPE_CLS,
        llama_cpp.LLAMA_POOLING_TYPE_LAST,
    ):
        return declared
    return int(llama_cpp.LLAMA_POOLING_TYPE_MEAN)


class Cancelled(Exception):
    """The user cancelled a load or a reply."""


# --- llama.cpp's log: kept for error messages instead of spilling onto the terminal ---

_log_lines: deque[str] = deque(maxlen=50)


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _log_callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    line = text.decode("utf-8", errors="replace").strip()
    if line:
        _log_lines.append(line)


llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


def _last_log_error() -> str:
    lines = list(_log_lines)
    for line in reversed(lines):
        # llama.cpp's reason ("... tensor 'blk.1.ffn_up.weight' not found"), not the
        # generic "failed to load model" it logs after it.
        if "error loading model: " in line:
            return line.split("error loading model: ", 1)[1]
    for line in reversed(lines):
        if "error" in line.lower() or "failed" in line.lower():
            return line
    return ""


def backend_info() -> dict[str, Any]:
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    backend = "CPU"
    for name in ("CUDA", "Metal", "Vulkan", "ROCm", "SYCL"):
        if name.lower() in info.lower() or (
            name == "Metal" and offload and sys.platform == "darwin"
        ):
            backend = name
            break
    return {"backend": backend, "gpu_offload": offload, "system_info": info.strip()}


@contextlib.contextmanager
def _load_hooks(progress: Callable[[float], bool]) -> Iterator[None]:
    """Install a progress callback and defer chat-template compilation during a load.

    The facade builds its model params from `llama_model_default_params()` with no
    way to pass a progress callback, so that one call is wrapped. It also compiles
    every chat template in the file at load time, and a broken or hostile template
    would then fail the whole load: we render templates ourselves (bounded, in
    chat_template.py), so during the load its formatter is replaced by one that
    compiles nothing. The same params carry the choice of extra CPU buffer types
    (cpu_features.py: off where AMX kernels may crash).
    """
    original_params = llama_cpp.llama_cpp.llama_model_default_params
    original_formatter = chat_format_module.Jinja2ChatFormatter
    callback = llama_cpp.llama_progress_callback(lambda value, _data: bool(progress(value)))
    extra_buffers = use_extra_buffers()

    def params_with_progress() -> Any:
        params = original_params()
        params.progress_callback = callback
        if not extra_buffers:
            params.use_extra_bufts = False
        return params

    class _DeferredFormatter:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def to_chat_handler(self) -> None:
            return None

    setattr(llama_cpp.llama_cpp, "llama_model_default_params", params_with_progress)  # noqa: B010
    setattr(chat_format_module, "Jinja2ChatFormatter", _DeferredFormatter)  # noqa: B010
    try:
        yield
    finally:
        setattr(llama_cpp.llama_cpp, "llama_model_default_params", original_params)  # noqa: B010
        setattr(chat_format_module, "Jinja2ChatFormatter", original_formatter)  # noqa: B010


@dataclass
class LoadedInfo:
    path: str
    n_ctx: int
    n_ctx_train: int
    n_batch: int
    threads: int
    gpu_layers: int
    chat_template: bool
    chat_format: str | None
    load_s: float
    backend: str
    description: str
    fallback: str | None = None  # why a GPU load ran on the CPU instead
    embedding: bool = False  # loaded for EmbedRequest only
    n_embd: int = 0
    pooling: str | None = None  # embedding: "mean", "cls", "last"
    # Do batched logits equal single-token logits bit for bit on this build and model?
    # Drafts are checked in batches, so only then can they never change a reply. None:
    # not checked yet (the first reply with draft ahead on checks).
    exact_drafts: bool | None = None
    draft: str | None = None  # the draft model loaded beside it (a path)
    draft_error: str | None = None  # why the draft model asked for was not loaded

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class LlamaRuntime:
    """Owns one `llama_cpp.Llama`. Not thread-safe: the engine host serialises calls."""

    def __init__(self, cancel: threading.Event, state_cache: StateCache | None = None) -> None:
        self.cancel = cancel
        self.llm: llama_cpp.Llama | None = None
        self.info: LoadedInfo | None = None
        self.states = state_cache or StateCache()
        self._template: ChatTemplate | None = None
        self._vocab: Any = None
        self._eog: list[int] | None = None
        self._piece_buf = ctypes.create_string_buffer(256)
        self._batch: Any = None  # the draft-verify batch, made at the first drafted reply
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self.cancel.is_set())
        self._embed_batch = 0  # tokens packed into one llama_decode call when embedding
        self.draft: DraftModel | None = None  # guesses tokens where prompt lookup has none

    # --- loading ---

    def load(
        self,
        path: str,
        n_ctx: int,
        gpu_layers: int,
        threads: int,
        batch: int,
        chat_format: str | None,
        progress: Callable[[float], None],
        embedding: bool = False,
        pooling: int | None = None,
        draft_path: str | None = None,
    ) -> LoadedInfo:
        """Load for chat, or with `embedding` for EmbedRequest only. `pooling` is what
        the file declares (ModelInfo.pooling_type); see `embedding_pooling`.

        `draft_path`: a draft model for speculative decoding, loaded after the chat
        model. One that cannot be used leaves the chat model loaded without it, and
        `LoadedInfo.draft_error` says why."""
        self.unload()
        if not os.path.isfile(path):
            raise EngineError(f"Model file {path}: not found")
        if chat_format is not None and chat_format not in NAMED_FORMATS:
            raise EngineError(
                f"Unknown chat format '{chat_format}' (known: {', '.join(sorted(NAMED_FORMATS))})"
            )
        threads = threads or _default_threads()
        started = time.perf_counter()
        name = os.path.basename(path)
        # An embedding context reads each text whole in one micro-batch (encoder
        # models cannot split a sequence), so its batch is the context; `batch` then
        # bounds how many tokens of several texts are packed into one call.
        pooling_type = embedding_pooling(pooling, name) if embedding else None
        n_batch = n_ctx if embedding else batch

        llm, gpu_layers, fallback = self._open(
            path, n_ctx, n_batch, threads, gpu_layers, progress, embedding, pooling_type
        )
        self.llm = llm
        self._eog = None
        self._embed_batch = max(1, min(batch, n_batch))
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        template = None if embedding else llm.metadata.get("tokenizer.chat_template") or None
        if template is not None:
            eos, bos = llm.token_eos(), llm.token_bos()
            # One that does not compile still loads: render() says why, at chat time.
            self._template = ChatTemplate(
                template,
                eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
            )
        self.info = LoadedInfo(
            path=path,
            n_ctx=llm.n_ctx(),
            n_ctx_train=llm._model.n_ctx_train(),
            n_batch=llm.n_batch,
            threads=threads,
            gpu_layers=gpu_layers,
            chat_template=template is not None,
            chat_format=chat_format,
            load_s=time.perf_counter() - started,
            backend=backend_info()["backend"] if gpu_layers != 0 else "CPU",
            description=llm._model.desc(),
            fallback=fallback,
            embedding=embedding,
            n_embd=llm.n_embd(),
            pooling=POOLING_NAMES.get(int(llm.pooling_type())) if embedding else None,
        )
        if draft_path and not embedding:
            try:
                self.info.draft_error = self._load_draft(draft_path)
            except Cancelled:
                self.unload()  # a cancelled load leaves nothing half loaded
                raise
        return self.info

    def _load_draft(self, path: str) -> str | None:
        """Load the draft model beside the chat model; None, else why it was not."""
        info = self.info
        assert info is not None
        name = os.path.basename(path)
        try:
            from parrotchat.core.models.info import validate_model_file

            validate_model_file(path)  # llama.cpp aborts the process on some bad files
        except ModelFileError as exc:
            return f"Draft model {name} was not loaded: {exc}"
        reason = draft_incompatibility(info.path, path)
        if reason is None:
            try:
                # Its own load progress would restart the chat model's bar: not shown.
                llm, _, _ = self._open(
                    path, info.n_ctx, info.n_batch, info.threads, info.gpu_layers, _no_progress
                )
            except EngineError as exc:
                reason = str(exc)
        if reason is not None:
            return f"Draft model {name} was not loaded: {reason}"
        self.draft = DraftModel(llm, self.cancel)
        info.draft = path
        return None

    def _open(
        self,
        path: str,
        n_ctx: int,
        n_batch: int,
        threads: int,
        gpu_layers: int,
        progress: Callable[[float], None],
        embedding: bool = False,
        pooling_type: int | None = None,
    ) -> tuple[llama_cpp.Llama, int, str | None]:
        """A `Llama` for `path`, the GPU layers it got and why it fell back to the CPU."""
        name = os.path.basename(path)

        def on_progress(value: float) -> bool:
            progress(value)
            return not self.cancel.is_set()

        fallback: str | None = None
        while True:
            _log_lines.clear()
            try:
                with _load_hooks(on_progress):
                    llm = llama_cpp.Llama(
                        model_path=path,
                        n_ctx=n_ctx,
                        n_batch=n_batch,
                        n_ubatch=n_batch,
                        n_threads=threads,
                        n_threads_batch=threads,
                        n_gpu_layers=gpu_layers,
                        chat_format="chatml",  # never used: it only stops the "llama-2" guess
                        verbose=False,
                        embedding=embedding,
                        pooling_type=(
                            llama_cpp.LLAMA_POOLING_TYPE_UNSPECIFIED
                            if pooling_type is None
                            else pooling_type
                        ),
                    )
                break
            except Exception as exc:  # llama-cpp-python raises ValueError/RuntimeError alike
                if self.cancel.is_set():
                    raise Cancelled("loading was cancelled") from exc
                reason = _last_log_error() or str(exc)
                if gpu_layers != 0:
                    # The GPU backend could not take the model (driver, out of GPU
                    # memory): run on the CPU, and say why.
                    fallback = f"The GPU could not be used ({reason}); running on the CPU"
                    gpu_layers = 0
                    continue
                raise EngineError(f"Model {name} could not be loaded: {reason}") from exc
        return llm, gpu_layers, fallback

    def unload(self) -> None:
        if self.draft is not None:
            self.draft.close()
            self.draft = None
        if self.llm is not None:
            self.llm.close()
        if self._batch is not None:
            llama_cpp.llama_batch_free(self._batch)
            self._batch = None
        self.llm = None
        self.info = None
        self._template = None
        self.states.clear()

    # --- prompts ---

    def _require(self) -> llama_cpp.Llama:
        if self.llm is None:
            raise EngineError("No model is loaded")
        return self.llm

    def _require_chat(self) -> llama_cpp.Llama:
        llm = self._require()
        if self.info is not None and self.info.embedding:
            raise EngineError(
                f"Model {os.path.basename(self.info.path)} is loaded for embeddings: "
                "it cannot write replies or count a chat (load it for chat in another engine)"
            )
        return llm

    def render(self, messages: Sequence[dict[str, str]], chat_format: str | None) -> list[int]:
        llm = self._require_chat()
        name = chat_format or (self.info.chat_format if self.info else None)
        if name is not None:
            result = NAMED_FORMATS[name](messages=list(messages))
            prompt: str = result.prompt
            add_bos = not result.added_special
        elif self._template is not None:
            prompt = self._template.render(messages)  # bounded; raises TemplateError
            add_bos = False  # the template writes its own BOS, as with llama-cpp-python's
        else:
            raise NoChatTemplateError(
                f"Model {os.path.basename(llm.model_path)} has no chat template; choose a chat "
                f"format for it ({', '.join(sorted(NAMED_FORMATS))})"
            )
        return list(llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True))

    def count(self, messages: Sequence[dict[str, str]], chat_format: str | None) -> int:
        return len(self.render(messages, chat_format))

    # --- generation ---

    def chat(
        self,
        messages: Sequence[dict[str, str]],
        sampling: SamplingParams,
        overflow: str,
        chat_format: str | None,
        emit: Callable[[str, int], None],
        ignore_eos: bool = False,
        progress: PromptProgressFn | None = None,
    ) -> ReplyStats:
        llm = self._require_chat()
        started = time.perf_counter()
        n_ctx = llm.n_ctx()
        rendered: dict[int, list[int]] = {}

        def count(msgs: Sequence[dict[str, str]]) -> int:
            tokens = self.render(msgs, chat_format)
            rendered[len(msgs)] = tokens
            return len(tokens)

        if overflow not in ("drop_oldest", "stop"):
            raise EngineError(f"Unknown context overflow policy '{overflow}'")
        fit = fit_messages(messages, count, n_ctx, sampling.max_tokens, overflow)  # type: ignore[arg-type]
        tokens = rendered.get(len(fit.messages)) or self.render(fit.messages, chat_format)
        stats = ReplyStats(
            prompt_tokens=len(tokens), dropped_messages=fit.dropped_messages, n_ctx=n_ctx
        )
        return self._generate(tokens, stats, sampling, emit, ignore_eos, started, progress)

    def complete(
        self,
        prompt: str,
        sampling: SamplingParams,
        emit: Callable[[str, int], None],
        ignore_eos: bool = False,
        progress: PromptProgressFn | None = None,
    ) -> ReplyStats:
        """Continue a raw prompt (no chat template), as llama-cpp-python's create_completion
        tokenizes it: BOS first, special tokens parsed."""
        llm = self._require_chat()
        started = time.perf_counter()
        n_ctx = llm.n_ctx()
        if prompt:
            tokens = list(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
        elif llm.token_bos() != -1:
            tokens = [llm.token_bos()]
        else:
            raise EngineError("The prompt is empty and this model has no start token to begin from")
        if len(tokens) >= n_ctx:
            raise ContextFullError(
                f"The prompt is {len(tokens)} tokens long; the context holds {n_ctx} "
                "with at least one token for the reply"
            )
        stats = ReplyStats(prompt_tokens=len(tokens), n_ctx=n_ctx)
        return self._generate(tokens, stats, sampling, emit, ignore_eos, started, progress)

    def _generate(
        self,
        tokens: list[int],
        stats: ReplyStats,
        sampling: SamplingParams,
        emit: Callable[[str, int], None],
        ignore_eos: bool,
        started: float,
        progress: PromptProgressFn | None = None,
    ) -> ReplyStats:
        """Reuse the KV cache's common prefix, read the rest of the prompt, then decode.

        `emit(text, n)` gets the reply's text as it comes, with the number of tokens
        it stands for.
        `progress(done, total, prompt_tokens)` hears how far reading the prompt got:
        at 0, then after each batch.
        """
        llm = self._require()
        # The cancel flag is cleared by whoever starts the request (the engine host, as
        # it takes the request), never here: a Stop that came in between, a client that
        # walked away at once, would be lost and the reply run to its end.
        info = self.info
        if sampling.draft_ahead and info is not None and info.exact_drafts is None:
            # Once per load, and only for a model that drafts: not at load, where it would
            # cost every load (about 2 s for a 7B model on a CPU) and make a model that
            # breaks llama.cpp's tokenizer crash before the window can show it.
            info.exact_drafts = self._batched_logits_match()
        drafting = sampling.draft_ahead and info is not None and bool(info.exact_drafts)
        stats.exact_drafts = info.exact_drafts if info is not None else None
        stats.restored_state = self._reuse_best_state(tokens)
        prefix = common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        # At least the last prompt token is evaluated again: its logits start the reply.
        prefix = min(prefix, len(tokens) - 1)
        stats.cached_tokens = prefix
        stats.prompt_eval_tokens = len(tokens) - prefix
        llm.n_tokens = prefix
        llm._ctx.kv_cache_seq_rm(-1, prefix, -1)

        prefill_started = time.perf_counter()
        to_read = len(tokens) - prefix

        def on_read(done: int) -> None:
            if progress is not None:
                progress(done, to_read, len(tokens))

        on_read(0)
        if not self._prefill(tokens[prefix:], on_read):
            stats.stop_reason = "cancelled"
            stats.ttft_s = time.perf_counter() - started
            return stats
        stats.prefill_s = time.perf_counter() - prefill_started
        if stats.prefill_s > 0:
            stats.prompt_tokens_per_s = stats.prompt_eval_tokens / stats.prefill_s

        pick = self._picker(sampling, ignore_eos)
        stream = TextStream(sampling.stop)
        decode_started = time.perf_counter()
        if drafting:
            reason, n_reply, first, n_emitted = self._decode_drafted(
                tokens, pick, stream, sampling.max_tokens, stats, emit, started
            )
        else:
            reason, n_reply, first, n_emitted = self._decode_plain(
                pick, stream, sampling.max_tokens, stats, emit, started
            )
        tail = stream.flush()
        if tail:
            if first:
                stats.ttft_s = time.perf_counter() - started
            emit(tail, n_reply - n_emitted)
        if first and not tail:
            stats.ttft_s = time.perf_counter() - started
        stats.decode_s = time.perf_counter() - decode_started
        stats.reply_tokens = n_reply
        if stats.decode_s > 0 and n_reply:
            stats.tokens_per_s = n_reply / stats.decode_s
        stats.stop_reason = reason  # type: ignore[assignment]
        return stats

    def _decode_plain(
        self,
        pick: Callable[[int], int],
        stream: TextStream,
        max_tokens: int,
        stats: ReplyStats,
        emit: Callable[[str, int], None],
        started: float,
    ) -> tuple[str, int, bool, int]:
        """One token per llama_decode: (stop reason, reply tokens, no text sent yet,
        reply tokens whose text went out)."""
        llm = self._require()
        n_ctx = llm.n_ctx()
        vocab = self._vocab
        is_eog = llama_cpp.llama_vocab_is_eog
        reason = "length"
        first = True
        n_reply = 0
        n_emitted = 0  # reply tokens whose text went out (a character may span several)
        while n_reply < max_tokens:
            if self.cancel.is_set():
                reason = "cancelled"
                break
            if llm.n_tokens >= n_ctx:
                reason = "context_full"
                break
            token = pick(-1)
            if is_eog(vocab, token):
                reason = "finished"
                break
            n_reply += 1
            text = stream.feed(self._piece(token))
            if text:
                if first:
                    stats.ttft_s = time.perf_counter() - started
                    first = False
                emit(text, n_reply - n_emitted)
                n_emitted = n_reply
            if stream.stopped:
                reason = "stop_string"
                break
            llm.eval([token])
        return reason, n_reply, first, n_emitted

    def _decode_drafted(
        self,
        prompt: list[int],
        pick: Callable[[int], int],
        stream: TextStream,
        max_tokens: int,
        stats: ReplyStats,
        emit: Callable[[str, int], None],
        started: float,
    ) -> tuple[str, int, bool, int]:
        """The plain loop's reply, several tokens per llama_decode where a draft holds.

        Each batch is the last sampled token plus a draft from prompt lookup, or where
        that has none, from the draft model if one is loaded, all with logits. The
        reply's own sampler then runs position by position: a drafted token is kept
        while the sampler picks that very token, and the first token it picks
        otherwise is kept too. The pick records what it returns (the chain accepts it;
        the argmax adds it to its penalty window), so penalties and the random state see
        exactly the kept tokens, as in the plain loop. Cells of rejected tokens leave the
        KV cache. Every condition the plain loop checks before sampling (length, context)
        is checked before each position; cancel between batches.
        """
        llm = self._require()
        n_ctx = llm.n_ctx()
        vocab = self._vocab
        is_eog = llama_cpp.llama_vocab_is_eog
        batch = self._draft_batch()
        costs = BatchCosts()
        lookup = PromptLookup(prompt, costs=costs)
        # The draft model earns its draft length apart from prompt lookup's.
        draft_model = self.draft
        model_policy = DraftPolicy(lookup.stats, costs)
        source: PromptLookup | DraftPolicy = lookup  # who proposed the batch's draft
        reason = "length"
        first = True
        n_reply = 0
        n_emitted = 0
        # The batch just decoded: its first position, its logits and its draft part.
        base = llm.n_tokens - 1
        indices: Sequence[int] = (-1,)  # after the prompt: its last logits
        draft: list[int] = []
        while True:
            if self.cancel.is_set():
                reason = "cancelled"
                # The batch's drafts were never checked: only its first token stays.
                self._truncate(base + 1)
                break
            kept = 0  # drafted tokens of this batch the sampler agreed with
            token = -1
            done = False
            for i in range(len(indices)):
                if n_reply >= max_tokens:
                    reason, done = "length", True
                    break
                if base + i + 1 >= n_ctx:
                    reason, done = "context_full", True
                    break
                token = pick(indices[i])
                if is_eog(vocab, token):
                    reason, done = "finished", True
                    break
                n_reply += 1
                text = stream.feed(self._piece(token))
                if text:
                    if first:
                        stats.ttft_s = time.perf_counter() - started
                        first = False
                    emit(text, n_reply - n_emitted)
                    n_emitted = n_reply
                if stream.stopped:
                    reason, done = "stop_string", True
                    break
                if i < len(draft) and token == draft[i]:
                    kept = i + 1
                    continue
                break
            if draft:
                source.verified(len(draft), kept)
            # The batch's first token always stays (the previous step sampled it), and
            # each drafted one the sampler agreed with; rejected cells are dropped.
            self._truncate(base + 1 + kept)
            if done:
                break
            # `token` was sampled but not decoded yet: it leads the next batch.
            lookup.extend([*draft[:kept], token])
            base = llm.n_tokens
            room = min(max_tokens - n_reply, n_ctx - 1 - base, MAX_DRAFT)
            draft, source = lookup.draft(room), lookup
            if not draft and draft_model is not None:
                length = model_policy.length(room, guessed=True)
                if length:
                    context = np.append(llm.input_ids[:base], np.intc(token))
                    guessing = time.perf_counter()
                    draft, source = draft_model.propose(context, length), model_policy
                    costs.record_guesses(len(draft), time.perf_counter() - guessing)
            decoding = time.perf_counter()
            self._decode_batch(batch, [token, *draft], base)
            costs.record(1 + len(draft), time.perf_counter() - decoding)
            indices = range(1 + len(draft))
        stats.draft_tokens = lookup.stats.drafted
        stats.accepted_tokens = lookup.stats.accepted
        return reason, n_reply, first, n_emitted

    def _draft_batch(self) -> Any:
        if self._batch is None:
            self._batch = llama_cpp.llama_batch_init(MAX_DRAFT + 1, 0, 1)
        return self._batch

    def _batched_logits_match(self) -> bool | None:
        """Decode a short text once in batches of MAX_DRAFT + 1 and once a token at a
        time, and compare the logits bit for bit.

        A draft is checked in one batch, so a reply with drafts equals the plain
        loop's only where the two give the same logits. llama.cpp's CPU kernels do
        not promise that: llamafile's sgemm (built in unless GGML_LLAMAFILE=OFF), the
        repacked Q4_0/Q8_0 kernels, flash attention's split over the KV cache and GPU
        kernels all sum in another order for a batch than for one token, and a
        near-tie then flips (measured: up to 0.8 apart on the starter model). The
        batch starts 32 tokens in: with few cells to attend to, the two sums agree
        more often by chance (seen on a default build: the first 2-4 positions equal
        8-64 tokens in, none 128 in). Cost: 38 tokens read and 6 decoded (0.15 s for
        the starter model on the 2-core test machine, seconds on a machine busy with
        other work); the KV cache is emptied. None: cancelled before it could tell (a
        client that walked away at once must not wait for it), to be checked next time.
        """
        llm = self._require()
        tokens = llm.tokenize(_PROBE_TEXT.encode("utf-8"), add_bos=True, special=False)
        n = MAX_DRAFT + 1
        n_vocab = llm.n_vocab()
        batch = self._draft_batch()
        offset = 32
        if len(tokens) < offset + n:
            return False
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort_cb, None)
        try:
            llm.eval(tokens[:offset])
            self._decode_batch(batch, tokens[offset : offset + n], offset)
            together = [self._logits(i, n_vocab) for i in range(n)]
            self._truncate(offset)
            for i in range(n):
                if self.cancel.is_set():
                    return None
                self._decode_batch(batch, [tokens[offset + i]], offset + i)
                if not np.array_equal(self._logits(0, n_vocab), together[i]):
                    return False
            return True
        except (RuntimeError, EngineError):
            if self.cancel.is_set():  # llama.cpp aborted the decode for it
                return None
            raise
        finally:
            llama_cpp.llama_set_abort_callback(llm.ctx, _NO_ABORT, None)
            # Every cell, also those an aborted decode may have left.
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            llm.n_tokens = 0

    def _logits(self, index: int, n_vocab: int) -> Any:
        llm = self._require()
        row = llama_cpp.llama_get_logits_ith(llm.ctx, index)
        return np.ctypeslib.as_array(row, shape=(n_vocab,)).copy()

    def _truncate(self, n: int) -> None:
        """Keep the first n tokens of the context; drop the KV cells after them."""
        llm = self._require()
        if n < llm.n_tokens:
            llm._ctx.kv_cache_seq_rm(-1, n, -1)
            llm.n_tokens = n

    def _decode_batch(self, batch: Any, tokens: list[int], base: int) -> None:
        """Decode `tokens` at positions base.., logits for every one of them."""
        llm = self._require()
        n = len(tokens)
        batch.n_tokens = n
        for i, token in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = base + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = True
        code = llama_cpp.llama_decode(llm.ctx, batch)
        if code != 0:
            raise EngineError(f"llama_decode returned {code}")
        llm.input_ids[base : base + n] = tokens
        llm.n_tokens = base + n

    def _picker(self, sampling: SamplingParams, ignore_eos: bool) -> ChainPick | ArgmaxPick:
        """What picks each token of one reply (token_pick.py): numpy's argmax for greedy
        decoding with no more than the repeat penalty, else a llama.cpp sampler chain
        (the facade's adds stages we do not use)."""
        llm = self._require()
        n_vocab = llm.n_vocab()
        banned: list[int] = []
        if ignore_eos:
            # Benchmarks need replies of an exact length: end-of-generation tokens are banned.
            if self._eog is None:
                self._eog = [
                    t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(self._vocab, t)
                ]
            banned = self._eog
        if sampling.temperature <= 0.0 and (
            sampling.frequency_penalty == 0.0 and sampling.presence_penalty == 0.0
        ):
            logits_at = functools.partial(llama_cpp.llama_get_logits_ith, llm.ctx)
            return ArgmaxPick(logits_at, n_vocab, banned, sampling.repeat_penalty, PENALTY_LAST_N)
        penalties = (
            sampling.repeat_penalty != 1.0
            or sampling.frequency_penalty != 0.0
            or sampling.presence_penalty != 0.0
        )
        chain = llama_internals.LlamaSampler()  # type: ignore[no-untyped-call]
        if banned:
            chain.add_logit_bias(n_vocab, {t: float("-inf") for t in banned})
        if penalties:
            # One llama.cpp stage applies all three, over the last 64 tokens.
            chain.add_penalties(
                n_vocab,
                PENALTY_LAST_N,
                sampling.repeat_penalty,
                sampling.frequency_penalty,
                sampling.presence_penalty,
            )
        if sampling.temperature <= 0.0:
            chain.add_greedy()  # type: ignore[no-untyped-call]
        else:
            if sampling.top_k > 0:
                chain.add_top_k(sampling.top_k)
            chain.add_top_p(sampling.top_p, 1)
            chain.add_min_p(sampling.min_p, 1)
            chain.add_temp(sampling.temperature)
            seed = sampling.seed if sampling.seed >= 0 else int.from_bytes(os.urandom(4), "little")
            chain.add_dist(seed)
        return ChainPick(
            chain, functools.partial(llama_cpp.llama_sampler_sample, chain.sampler, llm.ctx)
        )

    def _piece(self, token: int) -> bytes:
        buf = self._piece_buf
        n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
        if n < 0:  # a piece longer than the buffer: grow it once and retry
            self._piece_buf = buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
        return buf.raw[:n]

    def _prefill(self, tokens: Sequence[int], on_read: Callable[[int], None]) -> bool:
        """Evaluate prompt tokens, telling `on_read` how many are read after each batch;
        False if cancelled (then the context is cut back)."""
        llm = self._require()
        if not tokens:
            return True
        # The abort callback runs on every graph node, so it is only installed while
        # reading the prompt; during decoding cancel is checked between tokens instead.
        # (Measured: ~2,400 calls of ~1 us in a 1,650-token prompt, under 0.2 %.)
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort_cb, None)
        try:
            for start, stop in prompt_chunks(llm.n_tokens, len(tokens), llm.n_batch):
                if self.cancel.is_set():
                    return False
                n_before = llm.n_tokens
                try:
                    llm.eval(tokens[start:stop])
                except RuntimeError:
                    if self.cancel.is_set():
                        llm.n_tokens = n_before
                        llm._ctx.kv_cache_seq_rm(-1, n_before, -1)
                        return False
                    raise
                on_read(stop)
        finally:
            llama_cpp.llama_set_abort_callback(llm.ctx, _NO_ABORT, None)
        return True

    # --- embeddings ---

    def embed(self, texts: Sequence[str], cut: bool = True) -> tuple[list[list[float]], int, int]:
        """Unit vectors for `texts`, the tokens read and how many texts were cut.

        Texts are packed, whole, into llama_decode calls of up to the load's `batch`
        tokens (one sequence each, as the facade's `embed` does); a text longer than
        the context is cut to it and counted, or, without `cut`, refused
        (ContextFullError naming it) before any text is read.
        """
        llm = self._require()
        if self.info is None or not self.info.embedding:
            name = os.path.basename(llm.model_path)
            raise EngineError(
                f"Model {name} is loaded for chat: embeddings need a model loaded for "
                "embedding, in an engine of its own"
            )
        n_ctx, n_embd = llm.n_ctx(), llm.n_embd()
        n_seq_max = max(1, int(llm.context_params.n_seq_max))
        sequences: list[list[int]] = []
        truncated = 0
        for i, text in enumerate(texts):
            # An empty text has no tokens where the model adds no BOS: a space stands in.
            tokens = llm.tokenize(text.encode("utf-8"), add_bos=True) or llm.tokenize(b" ")
            if len(tokens) > n_ctx:
                if not cut:
                    raise ContextFullError(
                        f"{len(tokens)} tokens, more than the {n_ctx} the embedding model "
                        "reads at once",
                        item=i,
                    )
                tokens = tokens[:n_ctx]
                truncated += 1
            sequences.append(tokens)
        out = np.zeros((len(sequences), n_embd), dtype=np.float32)
        ctx, batch, budget = llm._ctx, llm._batch, self._embed_batch
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort_cb, None)
        try:
            start = 0
            while start < len(sequences):
                if self.cancel.is_set():
                    raise Cancelled("embedding was cancelled")
                batch.reset()  # type: ignore[no-untyped-call]
                stop, used = start, 0
                while (
                    stop < len(sequences)
                    and stop - start < n_seq_max
                    and (stop == start or used + len(sequences[stop]) <= budget)
                ):
                    batch.add_sequence(sequences[stop], stop - start, True)
                    used += len(sequences[stop])
                    stop += 1
                ctx.kv_cache_clear()  # type: ignore[no-untyped-call]
                try:
                    ctx.decode(batch)
                except RuntimeError as exc:
                    if self.cancel.is_set():
                        raise Cancelled("embedding was cancelled") from exc
                    raise EngineError(f"llama.cpp could not embed the texts ({exc})") from exc
                for seq in range(stop - start):
                    ptr = llama_cpp.llama_get_embeddings_seq(llm.ctx, seq)
                    if not ptr:
                        raise EngineError("llama.cpp returned no embedding (pooling is off)")
                    out[start + seq] = np.ctypeslib.as_array(ptr, shape=(n_embd,))
                start = stop
        finally:
            llama_cpp.llama_set_abort_callback(llm.ctx, _NO_ABORT, None)
            batch.reset()  # type: ignore[no-untyped-call]
            ctx.kv_cache_clear()  # type: ignore[no-untyped-call]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
        vectors: list[list[float]] = out.tolist()
        return vectors, sum(len(t) for t in sequences), truncated

    # --- chat switching ---

    def _reuse_best_state(self, tokens: Sequence[int]) -> bool:
        """Swap in a saved chat state if it shares a longer prefix than the live context."""
        llm = self._require()
        live = common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        # The live context is worth keeping when most of it is about to be overwritten
        # (another chat); an ordinary next turn or a regenerate keeps most of it anyway.
        worth_saving = llm.n_tokens > 256 and live < llm.n_tokens // 2
        saved, saved_len = self.states.best_match(tokens)
        if saved is None or saved_len <= live + 16:
            if worth_saving:
                self._save_live()
            return False
        if worth_saving:
            self._save_live()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        if llama_cpp.llama_state_seq_set_data(llm.ctx, saved.data, len(saved.data), 0) == 0:
            llm.n_tokens = 0
            return False
        n = len(saved.tokens)
        llm.input_ids[:n] = saved.tokens
        llm.n_tokens = n
        return True

    def _save_live(self) -> None:
        llm = self._require()
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
        # The ctypes buffer itself is kept: no copies of a state that can be 100s of MB.
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm.ctx, buf, size, 0)
        if written == size:
            tokens = tuple(int(t) for t in llm.input_ids[: llm.n_tokens])
            self.states.put(SavedState(tokens=tokens, data=buf))


# llama.cpp attends over the KV cells up to the batch's last position rounded up to a
# multiple of 256 (llama_kv_cache::get_n_kv pads n_kv so that graphs can be reused).
KV_PAD = 256


def prompt_chunks(n_past: int, n: int, n_batch: int) -> list[tuple[int, int]]:
    """The [start, stop) slices of `n` prompt tokens that follow `n_past` cached ones, one
    llama_decode call each, at most `n_batch` long.

    Each slice ends on a multiple of KV_PAD where one is within reach: every token of a
    batch is scored against all n_kv cells, so a batch that ends just past a multiple of
    256 pays for up to 255 empty, masked cells. Plain n_batch slices after a cached prefix
    (a chat's earlier turns, the system prompt) mostly end there: a 1,650-token prompt
    after 30 cached tokens was read 4 % slower than the same prompt from position 0.
    The aligned slices are used only where they need no more calls and no more attention
    work than the plain ones (with an n_batch that is a multiple of 256, always).
    """
    plain = [(i, min(i + n_batch, n)) for i in range(0, n, n_batch)]
    aligned: list[tuple[int, int]] = []
    start = 0
    while start < n:
        stop = min(start + n_batch, n)
        if stop < n:
            boundary = (n_past + stop) // KV_PAD * KV_PAD - n_past
            if boundary > start:
                stop = boundary
        aligned.append((start, stop))
        start = stop

    def attended(chunks: list[tuple[int, int]]) -> int:  # token x KV cell pairs scored
        return sum((b - a) * -(-(n_past + b) // KV_PAD) * KV_PAD for a, b in chunks)

    if len(aligned) <= len(plain) and attended(aligned) <= attended(plain):
        return aligned
    return plain


def _no_progress(_value: float) -> None:
    pass


def _default_threads() -> int:
    import psutil

    return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)
