"""The bad model files corpus of the fault campaign (issue #7 item 3).

`build_corpus(folder)` writes every kind of broken "model" a user can hand ParrotChat:
foreign formats, every unsupported GGUF version, a real tiny model cut at 20 points,
absurd counts and lengths, a tensor table pointing at the wrong bytes, non-UTF-8
text, hyperparameters and a vocabulary that make llama.cpp abort (GGML_ASSERT) instead
of failing the load, things that are not regular files. Each case is the real tiny
model (or a bare header) with one thing wrong, so the test proves that one thing is
caught. `build_unloadable` adds files only llama.cpp itself can refuse (engine only);
`valid_controls` the files that must import.

`expected_reason(case)` is a regular expression the one-line message must match after
"<file>: " (the reason a user reads). Imported by module name, like gguf_factory.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import gguf
import gguf_factory as gf

Case = tuple[str, Path]

TRUNCATION_POINTS = 20
# The tiny model's header is ~6 KB of its ~430 KB, so the evenly spaced cuts all land in
# the tensor data; these cut the header itself: in the magic, the version, the counts
# (then the counts cannot fit), the metadata (twice) and the tensor table.
HEADER_CUTS = (2, 6, 20, 300, 900, 2000, 5000)

_LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    b"size 98000000\n"
)
_HTML_PAGE = b"<!DOCTYPE html><html><body>Sign in to download this model</body></html>\n"
# A safetensors file starts with its JSON header's length, then the JSON.
_SAFETENSORS = (
    struct.pack("<Q", 58) + b'{"__metadata__":{},"w":{"dtype":"F32","shape":[1]}}' + bytes(8)
)


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return write


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _dangling(path: Path) -> Path:
    path.symlink_to(path.with_name("was-deleted.gguf"))
    return path


def _lone_split_part(path: Path) -> Path:
    parts = gf.write_split_set(path.parent / "lone-part", parts=2, stem="lone")
    parts[0].unlink()
    return parts[1]


def _incomplete_split(path: Path) -> Path:
    parts = gf.write_split_set(path.parent / "incomplete-set", parts=3, stem="set")
    parts[2].unlink()
    return parts[0]


def _non_utf8_file_name(path: Path) -> Path:
    # POSIX file names are bytes; Python carries the undecodable ones as surrogates.
    odd = path.with_name(os.fsdecode(b"model-\xff\xfe.gguf"))
    odd.write_bytes(b"\x00" * 64)
    return odd


def _writer(fn: Callable[..., Path], *args: object) -> Callable[[Path], Path]:
    return lambda path: fn(path, *args)


def _experts(count: int, used: int) -> Callable[[gguf.GGUFWriter], None]:
    def edit(w: gguf.GGUFWriter) -> None:
        w.add_expert_count(count)
        w.add_expert_used_count(used)

    return edit


_LAYERS = r"corrupt metadata: llama.block_count is [\d,]+ \(llama.cpp runs 1 to 512 layers\)"

# (case, writer given the path to create, reason regex)
_CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    # --- not a GGUF file at all
    ("magic GGJT (old GGML)", gf.write_bad_magic, r"not a GGUF file: an old GGML/GGJT model"),
    ("magic ggml (old, byte-swapped)", _writer(gf.write_bad_magic, b"lmgg"), r"old GGML/GGJT"),
    ("magic ZIP (PyTorch)", _writer(gf.write_bad_magic, b"PK\x03\x04"), r"a ZIP archive"),
    ("magic lower-case gguf", _writer(gf.write_bad_magic, b"gguf"), r"starts with b'gguf'"),
    ("magic all zero", _writer(gf.write_bad_magic, b"\0\0\0\0"), r"not a GGUF file"),
    ("HTML page", _bytes(_HTML_PAGE), r"an HTML page \(a failed download\?\)"),
    ("Git LFS pointer", _bytes(_LFS_POINTER), r"Git LFS pointer"),
    ("safetensors file", _bytes(_SAFETENSORS), r"not a GGUF file"),
    ("random bytes", gf.write_random_bytes, r"not a GGUF file"),
    ("three bytes", _bytes(b"GGU"), r"truncated or corrupt: the file signature"),
    ("magic only", _bytes(b"GGUF"), r"truncated or corrupt: the GGUF version"),
    # --- versions (2 and 3 are valid; the test imports them as controls)
    ("version 0", _writer(gf.write_bad_version, 0), r"unsupported GGUF version 0\b"),
    ("version 1", _writer(gf.write_bad_version, 1), r"unsupported GGUF version 1\b"),
    ("version 4", _writer(gf.write_bad_version, 4), r"unsupported GGUF version 4\b"),
    ("version 99", _writer(gf.write_bad_version, 99), r"unsupported GGUF version 99\b"),
    ("version 2**32-1", _writer(gf.write_bad_version, 2**32 - 1), r"version 4294967295"),
    ("version 3 big-endian", _writer(gf.write_bad_version, 3 << 24), r"a big-endian GGUF file"),
    # --- absurd counts and lengths
    (
        "tensor count 2**40",
        _writer(gf.write_absurd_counts, 2**40, 3),
        r"claims 1,099,511,627,776 tensors",
    ),
    (
        "key count 2**63",
        _writer(gf.write_absurd_counts, 3, 2**63),
        r"and 9,223,372,036,854,775,808 keys",
    ),
    (
        "counts 2**64-1",
        _writer(gf.write_absurd_counts, 2**64 - 1, 2**64 - 1),
        r"corrupt header: it claims",
    ),
    (
        "key count past the end",
        _writer(gf.write_absurd_counts, 3, 50_000),
        r"cannot fit in [\d,]+ bytes",
    ),
    (
        "string length 2**62",
        gf.write_huge_string_len,
        r"'general.name' claims a string of 4,611,686,018,427,387,904 bytes",
    ),
    (
        "string length 2**64-1",
        _writer(gf.write_huge_string_len, 2**64 - 1),
        r"claims a string of 18,446,744,073,709,551,615 bytes",
    ),
    (
        "string past the end",
        _writer(gf.write_huge_string_len, 10_000),
        r"the value of 'general.name' .* the file ends at byte",
    ),
    (
        "key length 2**63",
        gf.write_huge_key_len,
        r"metadata key #0 claims to be 9,223,372,036,854,775,808 bytes long",
    ),
    (
        "array length 2**40",
        gf.write_huge_array_len,
        r"'general.tags' claims 1,099,511,627,776 elements",
    ),
    (
        "array length 2**64-1",
        _writer(gf.write_huge_array_len, 2**64 - 1),
        r"'general.tags' claims 18,446,744,073,709,551,615 elements",
    ),
    (
        "array past the end",
        _writer(gf.write_huge_array_len, 1000),
        r"the array 'general.tags' .* the file ends at byte",
    ),
    (
        "tensor name length 2**40",
        gf.write_huge_tensor_name_len,
        r"the name of tensor #0 claims to be 1,099,511,627,776 bytes long",
    ),
    # --- metadata that cannot be right
    (
        "unknown value type",
        gf.write_unknown_value_type,
        r"'general.name' has unknown value type 99",
    ),
    (
        "duplicate key",
        gf.write_duplicate_key,
        r"the key 'tokenizer.ggml.bos_token_id' appears twice",
    ),
    ("alignment 3", gf.write_bad_alignment, r"general.alignment 3 is not a power of two"),
    (
        "alignment 0",
        _writer(gf.write_bad_alignment, 0),
        r"general.alignment 0 is not a power of two",
    ),
    ("unknown architecture", gf.write_unknown_arch, r"architecture 'parrotnet' is not supported"),
    ("no tensors (vocabulary only)", gf.write_vocab_only, r"holds no tensors"),
    (
        "vision projector (mmproj)",
        lambda path: gf.write_tiny_llama(path, arch="clip"),
        r"is a vision projector \(mmproj\), not a chat model",
    ),
    ("LoRA adapter", gf.write_adapter, r"is a LoRA adapter, not a model"),
    # --- non-UTF-8 text
    ("non-UTF-8 key name", gf.write_non_utf8_key, r"metadata key #\d+ is not valid UTF-8"),
    ("non-UTF-8 value", gf.write_non_utf8_value, r"'tokenizer.ggml.pre' is not valid UTF-8"),
    ("non-UTF-8 model name", gf.write_non_utf8_name, r"'general.name' is not valid UTF-8"),
    (
        "non-UTF-8 tensor name",
        gf.write_non_utf8_tensor_name,
        r"the name of tensor #\d+ is not valid UTF-8",
    ),
    ("non-UTF-8 file name", _non_utf8_file_name, r"not a GGUF file"),
    # --- the tensor table
    (
        "tensor offset past the end",
        _writer(gf.write_bad_tensor_offset, "past_end"),
        r"'output.weight' is at the wrong offset",
    ),
    (
        "tensor offset misaligned",
        _writer(gf.write_bad_tensor_offset, "misaligned"),
        r"'blk.0.attn_norm.weight' is at the wrong offset",
    ),
    (
        "tensors overlap",
        _writer(gf.write_bad_tensor_offset, "overlap"),
        r"'blk.0.attn_q.weight' is at the wrong offset",
    ),
    (
        "tensor data past the end",
        _writer(gf.write_bad_tensor_offset, "data_past_end"),
        r"truncated: the tensor data should end at byte [\d,]+ but the file has",
    ),
    (
        "tensor with 0 dimensions",
        _writer(gf.write_tensor_dims, 0),
        r"'token_embd.weight' has 0 dimensions",
    ),
    (
        "tensor with 5 dimensions",
        _writer(gf.write_tensor_dims, 5),
        r"'token_embd.weight' has 5 dimensions",
    ),
    (
        "unknown tensor type",
        gf.write_unknown_tensor_type,
        r"unsupported tensor type 1000 for 'token_embd.weight'",
    ),
    ("duplicate tensor name", gf.write_duplicate_tensor, r"'blk.0.attn_k.weight' appears twice"),
    # --- what llama.cpp asserts on (each aborted the engine before our check)
    ("block count 0", _writer(gf.write_uint32_value, "llama.block_count", 0), _LAYERS),
    ("block count 513", _writer(gf.write_uint32_value, "llama.block_count", 513), _LAYERS),
    (
        "block count 2**32-1",
        _writer(gf.write_uint32_value, "llama.block_count", 2**32 - 1),
        _LAYERS,
    ),
    (
        "experts used, none exist",
        lambda path: gf.write_tiny_llama(path, edit=lambda w: w.add_expert_used_count(2)),
        r"llama.expert_used_count 2 does not fit llama.expert_count 0",
    ),
    (
        "4 experts, 0 used",
        lambda path: gf.write_tiny_llama(path, edit=_experts(4, 0)),
        r"llama.expert_used_count 0 does not fit llama.expert_count 4",
    ),
    (
        "4 experts, 8 used",
        lambda path: gf.write_tiny_llama(path, edit=_experts(4, 8)),
        r"llama.expert_used_count 8 does not fit llama.expert_count 4",
    ),
    (
        "expert tensors, no expert count",
        _writer(gf.write_renamed_tensor, "blk.0.ffn_up.weight", "blk.0.ffn_up_exps.w"),
        r"the file has expert tensors but no llama.expert_count",
    ),
    (
        "4 heads over 3 KV heads",
        lambda path: gf.write_tiny_llama(path, n_head_kv=3),
        r"head_count 4 is not a multiple of head_count_kv 3",
    ),
    (
        "a token repeated in the vocabulary",
        _writer(gf.write_token_bytes, b"he", b"an"),
        r"corrupt vocabulary: token #\d+ 'an' repeats token #\d+ in 'tokenizer.ggml.tokens'",
    ),
    (
        "a token equal to another up to a NUL",
        _writer(gf.write_token_bytes, b"an", b"q\0"),
        r"corrupt vocabulary: token #\d+ 'q' repeats token #\d+",
    ),
    # --- split sets
    ("split part 2 without part 1", _lone_split_part, r"is part 2 of 2; part 1 is missing"),
    (
        "split set missing part 3",
        _incomplete_split,
        r"split model is incomplete: set-00003-of-00003.gguf is missing",
    ),
    # --- not a regular file
    ("missing file", lambda path: path, r"does not exist"),
    ("0-byte file", _bytes(b""), r"is empty \(0 bytes\)"),
    ("folder named x.gguf", _folder, r"is a folder, not a model file"),
    ("symlink loop", gf.make_symlink_loop, r"is a symbolic link loop"),
    ("dangling symlink", _dangling, r"is a broken symbolic link"),
]
if sys.platform != "win32":
    _CASES.append(("FIFO (named pipe)", _fifo, r"is not a regular file"))
# Not here: a file without read permission means nothing when the tests run as root.

_REASONS: dict[str, str] = {name: reason for name, _, reason in _CASES}
_TRUNCATED_REASON = (
    r"truncated: the tensor data should end at byte [\d,]+ but the file has [\d,]+ bytes "
    r"\(\d+% of the data\); was the download or copy interrupted\?"
)
_HEADER_CUT_REASON = (
    r"truncated or corrupt: .* (the file ends at byte|cannot fit in|runs past the end of the file)"
)


def expected_reason(case: str) -> str:
    """The regular expression the reason for `case` must match."""
    if case.startswith("truncated at "):
        return _TRUNCATED_REASON
    if case.startswith("header cut at "):
        return _HEADER_CUT_REASON
    return _REASONS[case]


def build_corpus(folder: Path) -> list[Case]:
    """Write every bad file into `folder` (created); returns (case name, path) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    for number, (name, write, _) in enumerate(_CASES):
        cases.append((name, write(folder / f"case-{number:02d}.gguf")))
    (folder / "source").mkdir()
    source = gf.write_tiny_llama(folder / "source" / "tiny.gguf")
    size = source.stat().st_size
    for k in range(1, TRUNCATION_POINTS + 1):
        cut = size * k // (TRUNCATION_POINTS + 1)
        name = f"truncated at {k}/{TRUNCATION_POINTS + 1} ({cut:,} bytes)"
        cases.append((name, _cut(source, folder / f"cut-{k:02d}.gguf", cut)))
    for cut in HEADER_CUTS:
        name = f"header cut at byte {cut:,}"
        cases.append((name, _cut(source, folder / f"header-cut-{cut}.gguf", cut)))
    source.unlink()
    source.parent.rmdir()
    return cases


def _cut(source: Path, path: Path, n_bytes: int) -> Path:
    with source.open("rb") as f:
        path.write_bytes(f.read(n_bytes))
    return path


def valid_controls(folder: Path) -> list[Case]:
    """Files that must import: the tiny model as written (GGUF v3) and as version 2."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        ("version 3 (control)", gf.write_tiny_llama(folder / "control-v3.gguf", name="control v3")),
        ("version 2 (control)", _as_version_2(folder / "control-v2.gguf")),
    ]


def _as_version_2(path: Path) -> Path:
    # v2 and v3 share a layout (v3 only added big-endian files), so llama.cpp loads both.
    gf.write_tiny_llama(path, name="control v2", seed=1)
    with path.open("r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", 2))
    return path


def build_unloadable(folder: Path) -> list[tuple[str, Path, str]]:
    """Files with a sound header and hyperparameters that llama.cpp refuses at load time
    (it throws, the load fails). Only a load can tell, so an import accepts them; the
    engine must answer with an error that names the file and llama.cpp's reason (the
    regex, third in each tuple), and stay up."""
    folder.mkdir(parents=True, exist_ok=True)
    u32 = gf.write_uint32_value
    return [
        (
            "0 attention heads",
            u32(folder / "no-heads.gguf", "llama.attention.head_count", 0),
            r"tensor 'blk.0.attn_q.weight' has wrong shape",
        ),
        (
            "3 layers, 2 present",
            u32(folder / "three-layers.gguf", "llama.block_count", 3),
            r"tensor 'blk.2.attn_norm.weight' not found",
        ),
        (
            "embedding length 32, tensors 64",
            u32(folder / "narrow.gguf", "llama.embedding_length", 32),
            r"hyperparameters: invalid n_rot",
        ),
        (
            "a tensor missing",
            gf.write_renamed_tensor(
                folder / "missing-tensor.gguf", "blk.1.ffn_up.weight", "blk.1.ffn_xx.weight"
            ),
            r"tensor 'blk.1.ffn_up.weight' not found",
        ),
        (
            "unknown tokenizer",
            gf.patch_field(
                gf.write_tiny_llama(folder / "tokenizer.gguf"), "tokenizer.ggml.model", 4, b"gpt9"
            ),
            r"unknown tokenizer: 'gpt9'",
        ),
    ]
