from __future__ import annotations

import os
import struct
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import gguf
import gguf_factory as gf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrotchat.core.errors import ModelFileError
from parrotchat.core.models.info import (
    chat_template_kind,
    read_model_info,
    validate_model_file,
)


def test_starter_model_metadata(starter_model: Path) -> None:
    info = read_model_info(starter_model)
    assert info.path == starter_model
    assert info.files == (starter_model,)
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.chat_template_kind == "chatml"
    assert info.chat_template is not None and "<|im_start|>" in info.chat_template
    assert info.parameter_count is not None
    assert 130_000_000 < info.parameter_count < 140_000_000
    assert (info.n_layers, info.n_embd, info.n_head, info.n_head_kv) == (30, 576, 9, 3)
    assert (info.head_dim_k, info.head_dim_v, info.vocab_size) == (64, 64, 49152)
    assert info.size_bytes == starter_model.stat().st_size
    assert "SmolLM2" in starter_model.name and info.name.lower().startswith("smollm2")
    assert "Q4_1" in info.display_label() and "135M" in info.display_label()
    # general.name is "Smollm2 135M 8k Lc100K Mix1 Ep2": the file's own name reads better.
    assert info.display_name == "SmolLM2-135M-Instruct"
    assert info.display_label().startswith("SmolLM2-135M-Instruct — Q4_1")


def test_tiny_model_agrees_with_gguf_reader(tiny_model: Path) -> None:
    info = validate_model_file(tiny_model)
    reader = gguf.GGUFReader(tiny_model)
    assert info.parameter_count == sum(t.n_elements for t in reader.tensors)
    assert info.name == "tiny"
    assert (info.quantization, info.context_length, info.vocab_size) == ("F32", 256, 266)
    assert (info.n_layers, info.n_head, info.n_head_kv, info.head_dim_k) == (2, 4, 2, 16)
    assert info.chat_template == gf.CHATML_TEMPLATE
    assert info.chat_template_kind == "chatml"
    assert info.source == "library"


def test_name_falls_back_to_file_stem_and_quantization_to_tensor_types(tmp_path: Path) -> None:
    path = gf.write_tiny_llama(tmp_path / "my-model.gguf", name=None, f16=True, file_type=False)
    info = read_model_info(path)
    assert info.name == "my-model"
    assert info.quantization == "F16"  # most weights by element count; norms stay F32


def test_no_chat_template(tmp_path: Path) -> None:
    info = read_model_info(gf.write_tiny_llama(tmp_path / "t.gguf", chat_template=None))
    assert info.chat_template is None and info.chat_template_kind is None


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("{{ '<|im_start|>' + m }}", "chatml"),
        ("<|start_header_id|>user<|end_header_id|>", "llama-3"),
        ("<start_of_turn>user", "gemma"),
        ("[INST] <<SYS>> x <</SYS>> [/INST]", "llama-2"),
        ("[INST] x [/INST]", "mistral"),
        ("<|user|>\nhi<|end|>\n<|assistant|>", "phi-3"),
        ("<|user|>\nhi</s>\n<|assistant|>", "zephyr"),
        ("User: {{ m }}\nAssistant:", "custom"),
    ],
)
def test_chat_template_kind(template: str, kind: str) -> None:
    assert chat_template_kind(template) == kind


def test_split_set_reads_as_one_model_from_any_part(tmp_path: Path) -> None:
    parts = gf.write_split_set(tmp_path, parts=3)
    for part in parts:
        info = validate_model_file(part)
        assert info.path == parts[0]
        assert info.files == tuple(parts)
    assert info.size_bytes == sum(p.stat().st_size for p in parts)
    single = read_model_info(gf.write_tiny_llama(tmp_path / "one.gguf"))
    assert info.parameter_count == single.parameter_count


def test_incomplete_split_set(tmp_path: Path) -> None:
    parts = gf.write_split_set(tmp_path, parts=3)
    parts[2].unlink()
    assert read_model_info(parts[0]).files == tuple(parts[:2])  # reading is lenient
    with pytest.raises(ModelFileError, match=r"incomplete: .*00003-of-00003.gguf is missing"):
        validate_model_file(parts[0])
    parts[0].unlink()
    with pytest.raises(ModelFileError, match="part 1 is missing"):
        read_model_info(parts[1])


def _fifo(p: Path) -> Path:
    os.mkfifo(p)
    return p


def _folder(p: Path) -> Path:
    p.mkdir()
    return p


def _dangling(p: Path) -> Path:
    p.symlink_to(p.with_name("gone"))
    return p


def _vocab_only(p: Path) -> Path:
    return gf.write_vocab_only(p)


def _clip(p: Path) -> Path:
    return gf.write_tiny_llama(p, arch="clip")


BROKEN: list[tuple[str, Callable[[Path], Path], str]] = [
    ("missing", lambda p: p, "does not exist"),
    ("folder", _folder, "is a folder"),
    ("empty", lambda p: (p.write_bytes(b""), p)[1], r"is empty \(0 bytes\)"),
    ("three bytes", lambda p: (p.write_bytes(b"GGU"), p)[1], "truncated"),
    ("old ggjt", gf.write_bad_magic, "old GGML/GGJT model"),
    ("zip", lambda p: gf.write_bad_magic(p, b"PK\x03\x04"), "ZIP archive"),
    ("random", gf.write_random_bytes, "not a GGUF file"),
    ("version 1", lambda p: gf.write_bad_version(p, 1), "unsupported GGUF version 1"),
    ("version 99", gf.write_bad_version, "unsupported GGUF version 99"),
    ("big-endian", lambda p: gf.write_bad_version(p, 3 << 24), "big-endian"),
    ("absurd counts", gf.write_absurd_counts, "claims 1,099,511,627,776 tensors"),
    ("many keys", lambda p: gf.write_absurd_counts(p, 3, 50_000), "cannot fit in"),
    ("huge string", gf.write_huge_string_len, "string of 4,611,686,018,427,387,904 bytes"),
    ("string past end", lambda p: gf.write_huge_string_len(p, 10_000), "file ends at byte"),
    ("huge array", gf.write_huge_array_len, "'general.tags' claims 1,099,511,627,776 elements"),
    ("array past end", lambda p: gf.write_huge_array_len(p, 1000), "the array 'general.tags'"),
    ("unknown arch", gf.write_unknown_arch, "architecture 'parrotnet' is not supported"),
    ("non-utf8 name", gf.write_non_utf8_name, "'general.name' is not valid UTF-8"),
    ("non-utf8 value", gf.write_non_utf8_value, "'tokenizer.ggml.pre' is not valid UTF-8"),
    ("duplicate key", gf.write_duplicate_key, "appears twice"),
    ("vocab only", _vocab_only, "holds no tensors"),
    ("mmproj", _clip, "vision projector"),
    ("symlink loop", gf.make_symlink_loop, "symbolic link loop"),
    ("dangling link", _dangling, "broken symbolic"),
    ("fifo", _fifo, "is not a regular file"),
]


@pytest.mark.parametrize(("make", "reason"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_file_is_a_one_line_model_file_error(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    if sys.platform == "win32" and make in (_fifo, gf.make_symlink_loop):
        pytest.skip("POSIX only")
    path = make(tmp_path / "broken.gguf")
    with pytest.raises(ModelFileError, match=reason) as caught:
        validate_model_file(path)
    message = str(caught.value)
    assert message.startswith(str(path) + ": ")
    assert "\n" not in message


@pytest.mark.parametrize("fraction", [0.001, 0.02, 0.5, 0.999])
def test_truncated_file(tiny_model: Path, tmp_path: Path, fraction: float) -> None:
    cut = gf.write_truncated(tiny_model, tmp_path / "cut.gguf", fraction)
    with pytest.raises(ModelFileError, match="truncated") as caught:
        read_model_info(cut)
    assert str(cut) in str(caught.value)
    if fraction > 0.1:  # cut in the tensor data: says how much is there
        assert "% of the data); was the download or copy interrupted?" in str(caught.value)


def test_a_fifo_does_not_hang(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX only")
    fifo = _fifo(tmp_path / "pipe.gguf")
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_model_info(fifo)
        except ModelFileError as e:
            outcome.append(e)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive() and outcome


def test_no_file_stays_open(tiny_model: Path) -> None:
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        pytest.skip("needs /proc")
    read_model_info(tiny_model)
    with pytest.raises(ModelFileError):
        read_model_info(gf.write_truncated(tiny_model, tiny_model.with_name("c.gguf"), 0.5))
    open_files = {os.path.realpath(fd_dir / fd) for fd in os.listdir(fd_dir)}
    assert str(tiny_model.resolve()) not in open_files


# --- fuzzing: damaged headers raise ModelFileError and nothing else ------------------

with tempfile.TemporaryDirectory() as _d:
    _SEED = gf.write_tiny_llama(Path(_d) / "seed.gguf", vocab_size=280).read_bytes()
_HEADER_END = _SEED.index(b"token_embd.weight") + 600  # the tensor table and a bit of data


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.gguf"
        path.write_bytes(data)
        try:
            read_model_info(path)
        except ModelFileError as e:
            assert "\n" not in str(e) and str(path) in str(e)


@settings(
    max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(
        st.tuples(st.integers(0, _HEADER_END - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    st.one_of(st.none(), st.integers(0, len(_SEED))),
)
def test_fuzz_mutated_headers_raise_only_model_file_error(
    flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(_SEED)
    for offset, value in flips:
        data[offset] = value
    _check(bytes(data[:cut]))


@settings(max_examples=50, deadline=None, database=None)
@given(
    st.sampled_from([1, 2, 3, 99]),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    st.binary(max_size=512),
)
def test_fuzz_random_headers_raise_only_model_file_error(
    version: int, n_tensors: int, n_kv: int, rest: bytes
) -> None:
    _check(b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv) + rest)


def test_tiny_model_loads_and_generates_in_llama_cpp(tiny_model: Path, tmp_path: Path) -> None:
    """The factory's promise to the engine tests: llama.cpp really runs these files."""
    llama_cpp = pytest.importorskip("llama_cpp")
    for path in (tiny_model, gf.write_split_set(tmp_path / "split", parts=2)[0]):
        llm = llama_cpp.Llama(str(path), n_ctx=128, verbose=False)
        out = llm.create_completion("hello the", max_tokens=4, temperature=0.0)
        assert out["usage"]["completion_tokens"] >= 1
        assert llm.metadata.get("tokenizer.chat_template") == gf.CHATML_TEMPLATE
        llm.close()


@pytest.mark.parametrize(
    ("file_name", "shown"),
    [
        ("qwen2.5-3b-instruct-q4_k_m.gguf", "qwen2.5-3b-instruct"),
        ("Llama-3.2-1B-Instruct-UD-Q4_K_XL.gguf", "Llama-3.2-1B-Instruct"),
        ("gemma-2-2b-it-IQ4_XS.gguf", "gemma-2-2b-it"),
        ("Mistral-7B-v0.1.F16.gguf", "Mistral-7B-v0.1"),
        ("phi-3-mini-4k.gguf", "phi-3-mini-4k"),
        # Generic file names: the header's basename and size label, else its name.
        ("model.gguf", "tinyllama 1.1B"),
        ("ggml-model-q4_0.gguf", "tinyllama 1.1B"),
    ],
)
def test_display_name_is_the_clean_file_name(tmp_path: Path, file_name: str, shown: str) -> None:
    def label(w: gguf.GGUFWriter) -> None:
        w.add_string("general.basename", "tinyllama")
        w.add_string("general.size_label", "1.1B")

    path = gf.write_tiny_llama(tmp_path / file_name, name="Tinyllama 1.1B Chat v1.0", edit=label)
    info = read_model_info(path)
    assert info.display_name == shown
    assert info.name == "Tinyllama 1.1B Chat v1.0", "general.name is kept as it was"


def test_display_name_of_a_split_set_and_a_generic_file_without_labels(tmp_path: Path) -> None:
    first = gf.write_tiny_llama(tmp_path / "big-model-Q8_0.gguf", split_parts=2)
    assert read_model_info(first).display_name == "big-model"
    plain = gf.write_tiny_llama(tmp_path / "model.gguf", name="Tiny Chat")
    assert read_model_info(plain).display_name == "Tiny Chat"
