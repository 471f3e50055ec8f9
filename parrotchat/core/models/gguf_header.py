"""The GGUF header walker: metadata and tensor table, read with bounded checks.

Every length the file claims is checked against the file size before anything is
read or allocated, so a damaged or hostile file ends in a `ModelFileError` (one
line: the file and the reason), never in a traceback, a multi-gigabyte allocation
or a hang. The `gguf` package supplies the format's constants (value types,
quantization block sizes).

Why not `gguf.GGUFReader`: it takes 3.3 s on the 98 MB starter model (it builds a
numpy view per tokenizer string), loops without bound on array lengths that run past
the end of the file, and memory-maps the file (a file truncated while mapped kills
the process with SIGBUS; a mapped file cannot be deleted on Windows). This walker
reads the same header in about 0.1 s.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import gguf

from parrotchat.core.errors import ModelFileError

MAX_KV_COUNT = 100_000
MAX_TENSOR_COUNT = 1_000_000
MAX_STRING_BYTES = 16 * 1024 * 1024  # a chat template is a few KB; nothing real comes close
MAX_ARRAY_LENGTH = 16 * 1024 * 1024  # the largest vocabularies have ~260k tokens
MAX_TENSOR_NAME = 63  # GGML_MAX_NAME is 64 including the NUL
MAX_DIMS = 4  # GGML_MAX_DIMS
SUPPORTED_VERSIONS = (2, 3)  # llama.cpp dropped GGUF v1 in 2023


_VT = gguf.GGUFValueType
_SCALARS: dict[int, struct.Struct] = {
    _VT.UINT8: struct.Struct("<B"),
    _VT.INT8: struct.Struct("<b"),
    _VT.UINT16: struct.Struct("<H"),
    _VT.INT16: struct.Struct("<h"),
    _VT.UINT32: struct.Struct("<I"),
    _VT.INT32: struct.Struct("<i"),
    _VT.FLOAT32: struct.Struct("<f"),
    _VT.BOOL: struct.Struct("<?"),
    _VT.UINT64: struct.Struct("<Q"),
    _VT.INT64: struct.Struct("<q"),
    _VT.FLOAT64: struct.Struct("<d"),
}
_U32, _U64 = struct.Struct("<I"), struct.Struct("<Q")
_KEEP_ARRAY = 4096  # longer arrays are walked, not kept

# Other formats people download by mistake, recognised by their first bytes.
_FOREIGN_MAGIC = (
    (
        (b"GGJT", b"tjgg", b"GGML", b"lmgg", b"GGMF", b"fmgg"),
        "an old GGML/GGJT model from before GGUF",
    ),
    ((b"PK\x03\x04",), "a ZIP archive (a PyTorch checkpoint?)"),
    ((b"<!DO", b"<!do", b"<htm", b"<HTM"), "an HTML page (a failed download?)"),
    ((b"vers",), "probably a Git LFS pointer, not the model itself"),
)


def _printable(text: str) -> str:
    """No control characters, no lone surrogates: safe for a one-line message."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def show_path(path: Path) -> str:
    return _printable(str(path))


def model_file_error(path: Path, reason: str) -> ModelFileError:
    return ModelFileError(f"{show_path(path)}: {_printable(reason)}")


def quoted(name: str, limit: int = 60) -> str:
    """A key or tensor name read from the file, quoted and cut short for a message."""
    return repr(name if len(name) <= limit else name[:limit] + "…")


@dataclass(frozen=True)
class Tensor:
    name: str
    ggml_type: int
    n_elements: int
    n_dims: int


@dataclass(frozen=True)
class Header:
    """What one GGUF file holds: metadata values and the tensor table."""

    meta: dict[str, object]
    tensors: tuple[Tensor, ...]
    size: int
    # The vocabulary's raw token texts, only where asked for (`read_header(keep_tokens=)`):
    # a 150k-token list is megabytes that a library scan has no use for.
    tokens: list[bytes] | None = None


_SKIP_BLOCK = 256 * 1024


class _Walker:
    def __init__(self, path: Path, f: BinaryIO, size: int, keep_tokens: bool = False) -> None:
        self.path, self.f, self.size, self.pos = path, f, size, 0
        self.keep_tokens = keep_tokens
        self.tokens: list[bytes] | None = None

    def fail(self, reason: str) -> ModelFileError:
        return model_file_error(self.path, reason)

    def read(self, n: int, what: str) -> bytes:
        if self.pos + n > self.size:
            raise self.fail(
                f"truncated or corrupt: {what} at byte {self.pos:,} needs {n:,} bytes "
                f"but the file ends at byte {self.size:,}"
            )
        data = self.f.read(n)
        if len(data) != n:  # the file shrank while we read it
            raise self.fail(f"truncated: the file ended at byte {self.pos + len(data):,}")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        if self.pos + n > self.size:
            self.read(n, what)  # raises with the message
        self.f.seek(n, os.SEEK_CUR)
        self.pos += n

    def skip_strings(self, n: int, key: str) -> None:
        """Walk `n` length-prefixed strings (the hot loop: ~100k per tokenizer)."""
        self._walk_strings(n, key, None)

    def unique_strings(self, n: int, key: str) -> None:
        """`skip_strings` for the vocabulary, which must not repeat a token: llama.cpp
        maps each token to its id and aborts the process (GGML_ASSERT) on a repeat
        instead of failing the load."""
        tokens: list[bytes] = []
        self._walk_strings(n, key, tokens.append)
        if self.keep_tokens:
            self.tokens = tokens
        # The whole-list checks run in C; the loop below only when one of them trips.
        distinct = set(tokens)
        if len(distinct) == n and b"" not in distinct and b"\0" not in b"\1".join(tokens):
            return
        # llama.cpp reads a token as a C string (up to its first NUL) and names an empty
        # one "[EMPTY_<id>]": tokens that differ only after a NUL are the same to it.
        seen: dict[bytes, int] = {}
        for i, raw in enumerate(tokens):
            token = raw.split(b"\0", 1)[0] or b"[EMPTY_%d]" % i
            first = seen.setdefault(token, i)
            if first != i:
                shown = quoted(token.decode("utf-8", "replace"))
                raise self.fail(
                    f"corrupt vocabulary: token #{i:,} {shown} repeats token #{first:,} "
                    f"in {quoted(key)}"
                )

    def _walk_strings(self, n: int, key: str, keep: Callable[[bytes], None] | None) -> None:
        """Walk `n` length-prefixed strings, handing each to `keep` if given.

        The lengths are read from blocks in memory: one read and one seek per string
        took 0.1 s for a 49k-token vocabulary, as long as downloading the model.
        """
        f, unpack_from, size, pos = self.f, _U64.unpack_from, self.size, self.pos
        buf, off = b"", 0
        for i in range(n):
            if off + 8 > len(buf):
                f.seek(pos)
                buf, off = f.read(_SKIP_BLOCK), 0
            length = unpack_from(buf, off)[0] if off + 8 <= len(buf) and pos + 8 <= size else -1
            if length < 0 or length > MAX_STRING_BYTES or pos + 8 + length > size:
                self.pos = pos
                f.seek(pos)
                raise self.fail(
                    f"truncated or corrupt: string {i:,} of {quoted(key)} at byte {pos:,} "
                    f"runs past the end of the file ({size:,} bytes)"
                )
            if keep is not None:
                if off + 8 + length > len(buf):  # the string crosses the block's end
                    f.seek(pos)
                    buf, off = f.read(max(_SKIP_BLOCK, 8 + length)), 0
                keep(buf[off + 8 : off + 8 + length])
            pos += 8 + length
            off += 8 + length
        f.seek(pos)
        self.pos = pos

    def u32(self, what: str) -> int:
        return int(_U32.unpack(self.read(4, what))[0])

    def u64(self, what: str) -> int:
        return int(_U64.unpack(self.read(8, what))[0])

    def text(self, what: str, limit: int) -> str:
        n = self.u64(f"the length of {what}")
        if n > limit:
            raise self.fail(f"corrupt metadata: {what} claims to be {n:,} bytes long")
        raw = self.read(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"corrupt metadata: {what} is not valid UTF-8") from None

    def header(self) -> tuple[int, int]:
        magic = self.read(4, "the file signature")
        if magic != b"GGUF":
            for magics, what in _FOREIGN_MAGIC:
                if magic in magics:
                    raise self.fail(f"not a GGUF file: {what}")
            raise self.fail(f"not a GGUF file (it starts with {magic!r}, not b'GGUF')")
        version = self.u32("the GGUF version")
        if version not in SUPPORTED_VERSIONS:
            # Byte-swapped, a supported version reads as (2 or 3) << 24; a plain
            # `version & 0xFFFF == 0` test would call version 0 big-endian too.
            if int.from_bytes(version.to_bytes(4, "little"), "big") in SUPPORTED_VERSIONS:
                raise self.fail("a big-endian GGUF file, made for a different kind of computer")
            raise self.fail(
                f"unsupported GGUF version {version} (llama.cpp reads versions 2 and 3)"
            )
        n_tensors, n_kv = self.u64("the tensor count"), self.u64("the metadata count")
        if n_tensors > MAX_TENSOR_COUNT or n_kv > MAX_KV_COUNT:
            raise self.fail(f"corrupt header: it claims {n_tensors:,} tensors and {n_kv:,} keys")
        if 24 + 13 * n_kv + 24 * n_tensors > self.size:  # the smallest possible entries
            raise self.fail(
                f"truncated or corrupt: {n_tensors:,} tensors and {n_kv:,} keys "
                f"cannot fit in {self.size:,} bytes"
            )
        return n_tensors, n_kv

    def value(self, vtype: int, key: str) -> object:
        scalar = _SCALARS.get(vtype)
        if scalar is not None:
            return scalar.unpack(self.read(scalar.size, f"the value of {quoted(key)}"))[0]
        if vtype == _VT.STRING:
            n = self.u64(f"the length of {quoted(key)}")
            if n > MAX_STRING_BYTES:
                raise self.fail(f"corrupt metadata: {quoted(key)} claims a string of {n:,} bytes")
            try:  # llama-cpp-python drops *all* metadata (the chat template too) otherwise
                return self.read(n, f"the value of {quoted(key)}").decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail(f"corrupt metadata: {quoted(key)} is not valid UTF-8") from None
        if vtype == _VT.ARRAY:
            return self.array(key)
        raise self.fail(f"corrupt metadata: {quoted(key)} has unknown value type {vtype}")

    def array(self, key: str) -> object:
        item_type, n = (
            self.u32(f"the type of {quoted(key)}"),
            self.u64(f"the length of {quoted(key)}"),
        )
        if n > MAX_ARRAY_LENGTH:
            raise self.fail(f"corrupt metadata: {quoted(key)} claims {n:,} elements")
        scalar = _SCALARS.get(item_type)
        if scalar is not None and n <= _KEEP_ARRAY:  # per-layer values
            raw = self.read(n * scalar.size, f"the array {quoted(key)}")
            return struct.unpack(f"<{n}{scalar.format[1:]}", raw)
        if scalar is not None:  # token types, scores: only their count matters here
            self.skip(n * scalar.size, f"the array {quoted(key)}")
        elif item_type == _VT.STRING and key == "tokenizer.ggml.tokens":
            self.unique_strings(n, key)
        elif item_type == _VT.STRING:  # merges: the same
            self.skip_strings(n, key)
        else:
            raise self.fail(f"unsupported metadata: {quoted(key)} is an array of type {item_type}")
        return LongArray(n)

    def tensor(self, index: int) -> tuple[Tensor, int, int]:
        name = self.text(f"the name of tensor #{index}", MAX_TENSOR_NAME)
        n_dims = self.u32(f"the dimension count of {quoted(name)}")
        if not 1 <= n_dims <= MAX_DIMS:
            raise self.fail(f"corrupt tensor table: {quoted(name)} has {n_dims} dimensions")
        dims = [self.u64(f"the shape of {quoted(name)}") for _ in range(n_dims)]
        ggml_type, offset = (
            self.u32(f"the type of {quoted(name)}"),
            self.u64(f"the offset of {quoted(name)}"),
        )
        if ggml_type not in gguf.GGML_QUANT_SIZES:
            raise self.fail(
                f"unsupported tensor type {ggml_type} for {quoted(name)} (a newer format?)"
            )
        block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ggml_type)]
        n_elements = 1
        for d in dims:
            n_elements *= d
        if n_elements >= 2**62 or dims[0] % block:
            raise self.fail(f"corrupt tensor table: {quoted(name)} has an impossible shape")
        tensor = Tensor(name, ggml_type, n_elements, n_dims)
        return tensor, offset, n_elements // block * type_size


class LongArray:
    """A long metadata array (tokens, merges, scores) that was walked but not kept."""

    def __init__(self, length: int) -> None:
        self.length = length


def _walk(path: Path, f: BinaryIO, size: int, keep_tokens: bool = False) -> Header:
    w = _Walker(path, f, size, keep_tokens)
    n_tensors, n_kv = w.header()
    meta: dict[str, object] = {}
    for i in range(n_kv):
        key = w.text(f"metadata key #{i}", 65_535)
        vtype = w.u32(f"the type of {quoted(key)}")
        if key in meta:
            raise w.fail(f"corrupt metadata: the key {quoted(key)} appears twice")
        meta[key] = w.value(vtype, key)
    alignment = meta.get("general.alignment", gguf.GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise w.fail(f"corrupt metadata: general.alignment {alignment!r} is not a power of two")
    tensors: list[Tensor] = []
    names: set[str] = set()
    next_offset = data_size = 0
    for i in range(n_tensors):
        tensor, offset, n_bytes = w.tensor(i)
        if tensor.name in names:
            raise w.fail(f"corrupt tensor table: {quoted(tensor.name)} appears twice")
        names.add(tensor.name)
        tensors.append(tensor)
        if offset != next_offset:  # llama.cpp wants them packed in table order
            raise w.fail(f"corrupt tensor table: {quoted(tensor.name)} is at the wrong offset")
        data_size = offset + n_bytes
        next_offset = offset + -(-n_bytes // alignment) * alignment
    data_start = -(-w.pos // alignment) * alignment
    if data_size and data_start + data_size > size:
        have = max(0, size - data_start) * 100 // data_size
        raise w.fail(
            f"truncated: the tensor data should end at byte {data_start + data_size:,} but "
            f"the file has {size:,} bytes ({have}% of the data); "
            "was the download or copy interrupted?"
        )
    return Header(meta, tuple(tensors), size, w.tokens)


def read_header(path: Path, keep_tokens: bool = False) -> Header:
    try:
        st = path.stat()
    except ValueError:  # a NUL in the name
        raise model_file_error(path, "is not a valid file name") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise model_file_error(path, "is a symbolic link loop") from None
        if isinstance(e, FileNotFoundError):
            reason = "is a broken symbolic link" if path.is_symlink() else "does not exist"
            if "\ufffd" in str(path):  # a name that was not UTF-8, decoded with U+FFFD
                reason += " (its file name is not valid UTF-8; rename the file and try again)"
            raise model_file_error(path, reason) from None
        raise model_file_error(path, f"cannot be read ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise model_file_error(path, "is a folder, not a model file")
    if not stat.S_ISREG(st.st_mode):
        raise model_file_error(path, "is not a regular file")
    if st.st_size == 0:
        raise model_file_error(path, "is empty (0 bytes)")
    try:
        with path.open("rb", buffering=1 << 20) as f:
            return _walk(path, f, st.st_size, keep_tokens)
    except OSError as e:
        raise model_file_error(path, f"cannot be read ({e.strerror or e})") from None
