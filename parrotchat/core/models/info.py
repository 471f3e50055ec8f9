"""What a GGUF model file is, read from its header without loading the weights.

`read_model_info` reads the header with `gguf_header` (bounded, never touching the
tensor data) and turns it into a `ModelInfo`: name, architecture, parameters,
quantization, trained context, the shapes the memory estimate needs, and the chat
template. Every failure is a one-line `ModelFileError`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, NoReturn

import gguf

from parrotchat.core.models.display_name import display_name
from parrotchat.core.models.gguf_header import (
    Header,
    LongArray,
    Tensor,
    model_file_error,
    quoted,
    read_header,
    show_path,
)

__all__ = [
    "SPLIT_NAME",
    "ModelInfo",
    "human_bytes",
    "model_file_error",
    "read_model_info",
    "show_path",
    "validate_model_file",
]

ModelSource = Literal["starter", "library", "external"]

_KNOWN_ARCHS = frozenset(gguf.MODEL_ARCH_NAMES.values())
SPLIT_NAME = re.compile(r"^(?P<stem>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class ModelInfo:
    """One model as the library shows it: a single file or a complete split set."""

    path: Path  # the file to load; part 1 of a split set
    files: tuple[Path, ...]  # every part, in order (one entry for a single file)
    name: str
    architecture: str
    parameter_count: int | None
    quantization: str  # "Q4_K_M", "Q8_0", "F16", ...
    context_length: int | None  # the trained context
    n_layers: int | None
    n_embd: int | None
    n_head: int | None
    n_head_kv: int | None
    head_dim_k: int | None
    head_dim_v: int | None
    vocab_size: int | None
    size_bytes: int
    chat_template: str | None
    chat_template_kind: str | None  # "chatml", "llama-3", ..., "custom"; None: no template
    source: ModelSource = "library"
    # llama.cpp's pooling for embeddings (1 mean, 2 cls, 3 last, 4 rank); None where the
    # file declares none, as chat models do.
    pooling_type: int | None = None
    # What people see (display_name.py); `name` stays general.name, which settings and
    # `find` have always matched.
    clean_name: str = ""

    @property
    def display_name(self) -> str:
        return self.clean_name or self.name

    def with_source(self, source: ModelSource) -> ModelInfo:
        return replace(self, source=source)

    def display_label(self) -> str:
        details = [self.quantization]
        if self.parameter_count:
            details.append(f"{_short_count(self.parameter_count)} parameters")
        details.append(human_bytes(self.size_bytes))
        tag = {"starter": " (starter)", "external": " (linked)", "library": ""}[self.source]
        return f"{self.display_name} — {', '.join(details)}{tag}"


def _short_count(n: int) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{round(n / 1e6)}M"


def chat_template_kind(template: str | None) -> str | None:
    """Recognise the common prompt formats by their marker tokens."""
    if template is None:
        return None
    if "<|im_start|>" in template:
        return "chatml"
    if "<|start_header_id|>" in template:
        return "llama-3"
    if "<start_of_turn>" in template:
        return "gemma"
    if "[INST]" in template:
        return "llama-2" if "<<SYS>>" in template else "mistral"
    if "<|user|>" in template:
        return "phi-3" if "<|end|>" in template else "zephyr"
    return "custom"


# --- from headers to ModelInfo -------------------------------------------------------


def _int(meta: dict[str, object], key: str) -> int | None:
    value = meta.get(key)
    if isinstance(value, tuple):  # per-layer values (OpenELM, some hybrids): the largest
        ints = [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
        value = max(ints) if ints else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _text(path: Path, meta: dict[str, object], key: str) -> str | None:
    value = meta.get(key)
    if value is None or isinstance(value, str):
        return value
    raise model_file_error(path, f"corrupt metadata: {quoted(key)} is not a string")


def _quantization(meta: dict[str, object], tensors: Sequence[Tensor]) -> str:
    file_type = _int(meta, "general.file_type")
    try:
        name = "GUESSED" if file_type is None else gguf.LlamaFileType(file_type).name
    except ValueError:  # a file type newer than our gguf package
        name = "GUESSED"
    if name != "GUESSED":
        return "F32" if name == "ALL_F32" else name.removeprefix("MOSTLY_")
    weights: Counter[int] = Counter()
    for t in tensors:
        if t.n_dims >= 2:
            weights[t.ggml_type] += t.n_elements
    if not weights:
        return "unknown"
    return gguf.GGMLQuantizationType(weights.most_common(1)[0][0]).name


def _split_parts(path: Path, count: int) -> list[Path]:
    m = SPLIT_NAME.match(path.name)
    if m is None or int(m["count"]) != count:
        raise model_file_error(
            path,
            f"is part of a {count}-part split model but its name does not end in "
            f"-0000N-of-{count:05d}.gguf, so its other parts cannot be found",
        )
    return [
        path.with_name(f"{m['stem']}-{i:05d}-of-{count:05d}{path.suffix}")
        for i in range(1, count + 1)
    ]


def _read(path: Path, *, complete: bool) -> ModelInfo:
    path = Path(os.path.expanduser(path))
    header = read_header(path)
    count = _int(header.meta, gguf.Keys.Split.LLM_KV_SPLIT_COUNT) or 1
    part_no = _int(header.meta, gguf.Keys.Split.LLM_KV_SPLIT_NO) or 0
    parts = _split_parts(path, count) if count > 1 else [path]
    if part_no >= count:
        raise model_file_error(path, f"corrupt split metadata: part {part_no + 1} of {count}")
    if part_no > 0:  # given a later part: everything we need is in part 1
        if parts[0] == path:
            raise model_file_error(path, f"corrupt split metadata: part 1 says it is {part_no + 1}")
        if not parts[0].exists():
            raise model_file_error(path, f"is part {part_no + 1} of {count}; part 1 is missing")
        return _read(parts[0], complete=complete)
    headers = [header]
    for i, part in enumerate(parts[1:], start=1):
        if not part.exists() and not part.is_symlink():
            if complete:
                raise model_file_error(path, f"split model is incomplete: {part.name} is missing")
            continue
        h = read_header(part)
        if _int(h.meta, gguf.Keys.Split.LLM_KV_SPLIT_NO) != i:
            raise model_file_error(part, f"is not part {i + 1} of {path.name}")
        headers.append(h)
    tensors = [t for h in headers for t in h.tensors]
    expected = _int(header.meta, gguf.Keys.Split.LLM_KV_SPLIT_TENSORS_COUNT)
    if complete and count > 1 and expected is not None and expected != len(tensors):
        raise model_file_error(path, f"split model has {len(tensors)} of {expected} tensors")
    return _model_info(path, [p for p in parts if p.exists()], headers, tensors)


def _model_info(
    path: Path, files: list[Path], headers: list[Header], tensors: list[Tensor]
) -> ModelInfo:
    meta = headers[0].meta
    arch = _text(path, meta, "general.architecture")
    if not arch:
        raise model_file_error(path, "has no general.architecture: not a model file")
    model_type = _text(path, meta, "general.type")
    if model_type == "adapter":
        raise model_file_error(path, "is a LoRA adapter, not a model")
    if arch == "clip" or model_type in ("mmproj", "clip-vision"):
        raise model_file_error(path, "is a vision projector (mmproj), not a chat model")
    if arch not in _KNOWN_ARCHS:
        raise model_file_error(
            path, f"architecture {quoted(arch)} is not supported by this llama.cpp build"
        )
    if not tensors:
        raise model_file_error(path, "holds no tensors (a vocabulary-only file?), not a model")
    _check_llama_asserts(path, meta, arch, tensors)
    split_name = SPLIT_NAME.match(path.name)
    name = _text(path, meta, "general.name") or (split_name["stem"] if split_name else path.stem)
    template = _text(path, meta, "tokenizer.chat_template")
    n_embd = _int(meta, f"{arch}.embedding_length")
    n_head = _int(meta, f"{arch}.attention.head_count")
    default_head_dim = n_embd // n_head if n_embd and n_head else None
    head_dim_k = _int(meta, f"{arch}.attention.key_length") or default_head_dim
    tokens = meta.get("tokenizer.ggml.tokens")
    vocab = _int(meta, f"{arch}.vocab_size")
    if vocab is None and isinstance(tokens, LongArray):
        vocab = tokens.length
    return ModelInfo(
        path=path,
        files=tuple(files),
        name=name,
        architecture=arch,
        parameter_count=sum(t.n_elements for t in tensors),
        quantization=_quantization(meta, tensors),
        context_length=_int(meta, f"{arch}.context_length"),
        n_layers=_int(meta, f"{arch}.block_count"),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=_int(meta, f"{arch}.attention.head_count_kv") or n_head,
        head_dim_k=head_dim_k,
        head_dim_v=_int(meta, f"{arch}.attention.value_length") or head_dim_k,
        vocab_size=vocab,
        size_bytes=sum(h.size for h in headers),
        chat_template=template,
        chat_template_kind=chat_template_kind(template),
        pooling_type=_int(meta, f"{arch}.pooling_type"),
        clean_name=display_name(
            split_name["stem"] if split_name else path.stem,
            _text(path, meta, "general.basename"),
            _text(path, meta, "general.size_label"),
            name,
        ),
    )


# llama.cpp checks these with GGML_ASSERT while it loads, which aborts the whole engine
# process instead of failing the load; a file that breaks them is refused here.
LLAMA_MAX_LAYERS = 512


def _check_llama_asserts(
    path: Path, meta: dict[str, object], arch: str, tensors: Sequence[Tensor]
) -> None:
    def fail(reason: str) -> NoReturn:
        raise model_file_error(path, f"corrupt metadata: {reason}")

    layers = meta.get(f"{arch}.block_count")
    if isinstance(layers, int) and not 1 <= layers <= LLAMA_MAX_LAYERS:
        fail(f"{arch}.block_count is {layers:,} (llama.cpp runs 1 to {LLAMA_MAX_LAYERS} layers)")
    experts = _int(meta, f"{arch}.expert_count") or 0
    used = _int(meta, f"{arch}.expert_used_count") or 0
    if used > experts or (experts and not used):
        fail(
            f"{arch}.expert_used_count {used:,} does not fit {arch}.expert_count {experts:,} "
            "(a mixture-of-experts model uses 1 to expert_count experts)"
        )
    if not experts and any("_exps." in t.name for t in tensors):
        fail(f"the file has expert tensors but no {arch}.expert_count")
    heads = meta.get(f"{arch}.attention.head_count")
    kv_heads = meta.get(f"{arch}.attention.head_count_kv")
    # Per-layer lists (hybrid models, with 0 for layers without attention) are left alone.
    if isinstance(heads, int) and isinstance(kv_heads, int) and kv_heads > 0 and heads % kv_heads:
        fail(
            f"{arch}.attention.head_count {heads:,} is not a multiple of head_count_kv {kv_heads:,}"
        )


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """Read a model's metadata. Any part of a split set may be given; parts that are
    missing are left out of `files` (see `validate_model_file`)."""
    return _read(Path(path), complete=False)


def validate_model_file(path: str | os.PathLike[str]) -> ModelInfo:
    """Like `read_model_info`, and a split set must be complete to pass."""
    return _read(Path(path), complete=True)
