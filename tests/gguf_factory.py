"""Write GGUF files for tests: a tiny model llama.cpp really loads, and broken ones.

`write_tiny_llama` makes a 2-layer LLaMA with random F32 weights (about 0.5 MB) and a
byte-level BPE tokenizer ("gpt2": 256 byte tokens, a few merges, ChatML control
tokens), so llama.cpp loads it and generates (nonsense) in milliseconds. The other
writers produce one kind of damage each, for the model library's error paths.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import gguf
import numpy as np

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
BOS_ID, EOS_ID = 1, 2
_MERGES = (("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("a", "n"), ("e", "r"), ("o", "n"))

N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_LAYER = 64, 4, 2, 128, 2


def _byte_tokens() -> list[str]:
    """GPT-2's reversible byte-to-unicode table: one printable character per byte."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    keep += range(ord("®"), ord("ÿ") + 1)
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def tiny_vocab(vocab_size: int | None = None) -> tuple[list[str], list[int], list[str]]:
    """Tokens, token types and merges of the tiny tokenizer, padded to `vocab_size`."""
    tokens = [*SPECIAL_TOKENS, *_byte_tokens(), *(a + b for a, b in _MERGES)]
    types = [gguf.TokenType.CONTROL] * len(SPECIAL_TOKENS)
    types += [gguf.TokenType.NORMAL] * (len(tokens) - len(SPECIAL_TOKENS))
    if vocab_size is not None:
        if vocab_size < len(tokens):
            raise ValueError(f"vocab_size must be at least {len(tokens)}")
        pad = vocab_size - len(tokens)
        tokens += [f"<|pad_{i}|>" for i in range(pad)]
        types += [gguf.TokenType.UNUSED] * pad
    return tokens, [int(t) for t in types], [f"{a} {b}" for a, b in _MERGES]


def _add_tiny_metadata(
    w: gguf.GGUFWriter,
    *,
    name: str | None,
    file_type: gguf.LlamaFileType | None,
    context_length: int,
    chat_template: str | None,
    tokens: list[str],
    types: list[int],
    merges: list[str],
    n_head_kv: int = N_HEAD_KV,
) -> None:
    if name is not None:
        w.add_name(name)
    w.add_context_length(context_length)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(n_head_kv)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(len(tokens))
    if file_type is not None:
        w.add_file_type(file_type)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(BOS_ID)
    w.add_eos_token_id(EOS_ID)
    w.add_add_bos_token(False)
    if chat_template is not None:
        w.add_chat_template(chat_template)


def _tiny_tensors(
    n_vocab: int, seed: int, dtype: type, n_head_kv: int = N_HEAD_KV
) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.02).astype(dtype)

    ones = np.ones(N_EMBD, dtype=np.float32)
    kv_dim = n_head_kv * (N_EMBD // N_HEAD)
    tensors = [("token_embd.weight", mat(n_vocab, N_EMBD))]
    for i in range(N_LAYER):
        tensors += [
            (f"blk.{i}.attn_norm.weight", ones),
            (f"blk.{i}.attn_q.weight", mat(N_EMBD, N_EMBD)),
            (f"blk.{i}.attn_k.weight", mat(kv_dim, N_EMBD)),
            (f"blk.{i}.attn_v.weight", mat(kv_dim, N_EMBD)),
            (f"blk.{i}.attn_output.weight", mat(N_EMBD, N_EMBD)),
            (f"blk.{i}.ffn_norm.weight", ones),
            (f"blk.{i}.ffn_gate.weight", mat(N_FF, N_EMBD)),
            (f"blk.{i}.ffn_up.weight", mat(N_FF, N_EMBD)),
            (f"blk.{i}.ffn_down.weight", mat(N_EMBD, N_FF)),
        ]
    tensors += [("output_norm.weight", ones), ("output.weight", mat(n_vocab, N_EMBD))]
    return tensors


def write_tiny_llama(
    path: Path,
    *,
    chat_template: str | None = CHATML_TEMPLATE,
    name: str | None = "tiny",
    context_length: int = 256,
    vocab_size: int | None = None,
    arch: str = "llama",
    f16: bool = False,
    file_type: bool = True,
    split_parts: int = 1,
    seed: int = 0,
    edit: Callable[[gguf.GGUFWriter], None] | None = None,
    n_head_kv: int = N_HEAD_KV,
) -> Path:
    """Write a tiny random-weight LLaMA that llama.cpp loads; returns the (first) file.

    `f16` stores the 2-D weights as F16 (norms stay F32); `file_type=False` leaves out
    general.file_type. With `split_parts` > 1 the model is written as a gguf-split set
    (`stem-00001-of-0000N.gguf`, with split.no / split.count / split.tensors.count).
    `edit` may add metadata of its own before anything is written; `n_head_kv` other
    than a divisor of 4 makes a file whose shapes agree but whose attention cannot run.
    """
    path = Path(path)
    tokens, types, merges = tiny_vocab(vocab_size)
    tensors = _tiny_tensors(len(tokens), seed, np.float16 if f16 else np.float32, n_head_kv)
    ftype = gguf.LlamaFileType.MOSTLY_F16 if f16 else gguf.LlamaFileType.ALL_F32
    per_part = -(-len(tensors) // split_parts) if split_parts > 1 else 0
    w = gguf.GGUFWriter(path, arch, split_max_tensors=per_part)
    _add_tiny_metadata(
        w,
        name=name,
        file_type=ftype if file_type else None,
        context_length=context_length,
        chat_template=chat_template,
        tokens=tokens,
        types=types,
        merges=merges,
        n_head_kv=n_head_kv,
    )
    if edit is not None:
        edit(w)
    for tensor_name, data in tensors:
        w.add_tensor(tensor_name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if split_parts > 1:
        return path.with_name(f"{path.stem}-00001-of-{split_parts:05d}.gguf")
    return path


def write_split_set(directory: Path, parts: int = 2, *, stem: str = "tiny-split") -> list[Path]:
    """A gguf-split set of the tiny model: `stem-0000i-of-0000N.gguf`, all parts."""
    directory.mkdir(parents=True, exist_ok=True)
    write_tiny_llama(directory / f"{stem}.gguf", name=stem, split_parts=parts)
    return [directory / f"{stem}-{i:05d}-of-{parts:05d}.gguf" for i in range(1, parts + 1)]


# --- broken files -----------------------------------------------------------------------


def _patch(path: Path, old: bytes, new: bytes) -> Path:
    data = path.read_bytes()
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times"
    path.write_bytes(data.replace(old, new))
    return path


def write_bad_magic(path: Path, magic: bytes = b"GGJT") -> Path:
    """A tiny model whose first four bytes are not b'GGUF' (default: the old GGJT format)."""
    write_tiny_llama(path)
    with path.open("r+b") as f:
        f.write(magic[:4].ljust(4, b"\0"))
    return path


def write_bad_version(path: Path, version: int = 99) -> Path:
    write_tiny_llama(path)
    with path.open("r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", version))
    return path


def write_truncated(src: Path, dst: Path, fraction: float) -> Path:
    """The first `fraction` of `src`, as an interrupted download would leave it."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)


def write_random_bytes(path: Path, n: int = 4096, *, seed: int = 0) -> Path:
    path.write_bytes(np.random.default_rng(seed).bytes(n))
    return path


def write_absurd_counts(path: Path, tensors: int = 2**40, kvs: int = 2**40) -> Path:
    """A GGUF v3 header claiming `tensors` tensors and `kvs` key/value pairs, then junk."""
    header = b"GGUF" + struct.pack("<IQQ", 3, tensors, kvs)
    path.write_bytes(header + bytes(4096))
    return path


def write_unknown_arch(path: Path, arch: str = "parrotnet") -> Path:
    return write_tiny_llama(path, arch=arch)


def write_vocab_only(path: Path) -> Path:
    """Metadata and tokenizer but no tensors, like llama.cpp's vocab-only test files."""
    tokens, types, merges = tiny_vocab()
    w = gguf.GGUFWriter(path, "llama")
    _add_tiny_metadata(
        w,
        name="vocab",
        file_type=None,
        context_length=256,
        chat_template=None,
        tokens=tokens,
        types=types,
        merges=merges,
    )
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def write_huge_string_len(path: Path, length: int = 2**62) -> Path:
    """A header whose first key claims a string value of `length` bytes."""
    key = b"general.name"
    kv = struct.pack("<Q", len(key)) + key
    kv += struct.pack("<I", gguf.GGUFValueType.STRING) + struct.pack("<Q", length) + b"tiny"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kv + bytes(1024))
    return path


def write_huge_array_len(path: Path, length: int = 2**40) -> Path:
    """A header whose only key is a uint8 array claiming `length` elements
    (gguf.GGUFReader loops over such an array for hours)."""
    key = b"general.tags"
    kv = struct.pack("<Q", len(key)) + key + struct.pack("<I", gguf.GGUFValueType.ARRAY)
    kv += struct.pack("<IQ", gguf.GGUFValueType.UINT8, length)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kv + bytes(64))
    return path


def write_non_utf8_name(path: Path) -> Path:
    """A tiny model whose general.name holds bytes that are not UTF-8."""
    write_tiny_llama(path, name="NAME-XYZ-MARKER")
    return _patch(path, b"NAME-XYZ-MARKER", b"NAME-\xff\xfe\xfd-MARKER")


def write_non_utf8_value(path: Path) -> Path:
    """A tiny model whose tokenizer.ggml.pre (a key we do not use) is not UTF-8.

    llama.cpp loads it, but llama-cpp-python then drops *all* metadata, the chat
    template included, and silently formats prompts as llama-2.
    """
    write_tiny_llama(path)
    return _patch(path, b"default", b"def\xffult")


def write_duplicate_key(path: Path) -> Path:
    """A tiny model in which two keys are both 'tokenizer.ggml.bos_token_id'."""
    write_tiny_llama(path)
    return _patch(path, b"tokenizer.ggml.eos_token_id", b"tokenizer.ggml.bos_token_id")


def make_symlink_loop(path: Path) -> Path:
    """`path` -> `path`.loop -> `path`: opening either fails with ELOOP."""
    other = path.with_name(path.name + ".loop")
    os.symlink(other, path)
    os.symlink(path, other)
    return path


# --- surgical damage to a real tiny model: one field of the header at a time -------------
#
# gguf.GGUFReader locates every field of the valid file (fine for a 0.4 MB file we
# wrote ourselves); the writers below overwrite bytes in place, so everything else in
# the file stays valid and the damage is the only thing a reader can trip on.


def _field_offsets(path: Path, field: str) -> list[int]:
    """File offsets of each part of a metadata field or of a tensor's table entry.

    Parts: metadata [key length, key, type, value...]; tensor [name length, name,
    n_dims, dims, type, offset].
    """
    reader = gguf.GGUFReader(path)
    found = reader.fields.get(field)
    if found is None:
        found = next(t.field for t in reader.tensors if t.name == field)
    offsets, at = [], found.offset
    for part in found.parts:
        offsets.append(at)
        at += int(part.nbytes)
    del reader  # its memory map must be gone before the file changes
    return offsets


def _overwrite(path: Path, offset: int, data: bytes) -> Path:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)
    return path


def patch_field(path: Path, field: str, part: int, data: bytes) -> Path:
    """Overwrite part `part` of a metadata field or tensor entry (see `_field_offsets`)."""
    return _overwrite(path, _field_offsets(path, field)[part], data)


TensorDamage = Literal["past_end", "misaligned", "overlap", "data_past_end"]


def write_bad_tensor_offset(path: Path, damage: TensorDamage) -> Path:
    """A tiny model whose tensor table points at the wrong bytes.

    past_end: the last tensor's offset is 1 TiB; misaligned: the second tensor starts
    one byte late; overlap: the third tensor starts where the second does;
    data_past_end: the last tensor claims 1000x its rows, so its data runs past the end.
    """
    write_tiny_llama(path)
    reader = gguf.GGUFReader(path)
    offsets = [int(t.data_offset) - reader.data_offset for t in reader.tensors]
    last, rows = reader.tensors[-1].name, int(reader.tensors[-1].shape[1])
    names = [t.name for t in reader.tensors]
    del reader
    if damage == "past_end":
        return patch_field(path, last, 5, struct.pack("<Q", 2**40))
    if damage == "misaligned":
        return patch_field(path, names[1], 5, struct.pack("<Q", offsets[1] + 1))
    if damage == "overlap":
        return patch_field(path, names[2], 5, struct.pack("<Q", offsets[1]))
    dims = _field_offsets(path, last)[3]
    return _overwrite(path, dims + 8, struct.pack("<Q", rows * 1000))


def write_non_utf8_key(path: Path) -> Path:
    """A tiny model in which the key 'tokenizer.ggml.pre' ends in the byte 0xff."""
    write_tiny_llama(path)
    return patch_field(path, "tokenizer.ggml.pre", 1, b"tokenizer.ggml.pr\xff")


def write_non_utf8_tensor_name(path: Path) -> Path:
    write_tiny_llama(path)
    return patch_field(path, "output_norm.weight", 1, b"output_norm.weigh\xff")


def write_tensor_dims(path: Path, n_dims: int) -> Path:
    """The first tensor claims `n_dims` dimensions (GGML allows 1 to 4)."""
    write_tiny_llama(path)
    return patch_field(path, "token_embd.weight", 2, struct.pack("<I", n_dims))


def write_unknown_tensor_type(path: Path, ggml_type: int = 1000) -> Path:
    write_tiny_llama(path)
    return patch_field(path, "token_embd.weight", 4, struct.pack("<I", ggml_type))


def write_huge_tensor_name_len(path: Path, length: int = 2**40) -> Path:
    write_tiny_llama(path)
    return patch_field(path, "token_embd.weight", 0, struct.pack("<Q", length))


def write_duplicate_tensor(path: Path) -> Path:
    """Two tensors named blk.0.attn_k.weight (the first was blk.0.attn_q.weight)."""
    write_tiny_llama(path)
    return patch_field(path, "blk.0.attn_q.weight", 1, b"blk.0.attn_k.weight")


def write_unknown_value_type(path: Path, vtype: int = 99) -> Path:
    """general.name's value type is `vtype` (GGUF defines 0 to 12)."""
    write_tiny_llama(path)
    return patch_field(path, "general.name", 2, struct.pack("<I", vtype))


def write_huge_key_len(path: Path, length: int = 2**63) -> Path:
    write_tiny_llama(path)
    return patch_field(path, "general.architecture", 0, struct.pack("<Q", length))


def write_bad_alignment(path: Path, alignment: int = 3) -> Path:
    """general.alignment is `alignment` (it must be a power of two)."""
    write_tiny_llama(path, edit=lambda w: w.add_custom_alignment(gguf.GGUF_DEFAULT_ALIGNMENT))
    return patch_field(path, "general.alignment", 3, struct.pack("<I", alignment))


def write_adapter(path: Path) -> Path:
    """A file that says it is a LoRA adapter (general.type = adapter)."""
    return write_tiny_llama(path, edit=lambda w: w.add_type("adapter"))


def write_uint32_value(path: Path, key: str, value: int) -> Path:
    """A tiny model whose uint32 `key` holds `value` (header valid, model nonsense)."""
    write_tiny_llama(path)
    return patch_field(path, key, 3, struct.pack("<I", value))


def write_renamed_tensor(path: Path, old: str, new: str) -> Path:
    """A tiny model with tensor `old` renamed `new` (same length): llama.cpp misses it."""
    assert len(old.encode()) == len(new.encode())
    write_tiny_llama(path)
    return patch_field(path, old, 1, new.encode())


def write_token_bytes(path: Path, old: bytes, new: bytes) -> Path:
    """A tiny model whose vocabulary token `old` reads `new` (same length), e.g. a copy
    of another token: llama.cpp aborts on a vocabulary with a repeated token."""
    assert len(old) == len(new)
    write_tiny_llama(path)
    prefix = struct.pack("<Q", len(old))
    return _patch(path, prefix + old, prefix + new)
