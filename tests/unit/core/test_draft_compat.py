"""The draft model's vocabulary check: headers only, one line of reason, no traceback."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest
from gguf_factory import write_bad_magic, write_tiny_llama, write_truncated

from parrotchat.core.models.draft_compat import draft_incompatibility

TOKENS = ["<s>", "</s>", "a", "b", "ab", "parrot"]


def vocab_file(
    path: Path,
    tokens: list[str] = TOKENS,
    *,
    model: str = "gpt2",
    bos: int = 0,
    eos: int = 1,
    with_tokens: bool = True,
) -> Path:
    """A GGUF with a tokenizer and no weights: all the check reads."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_tokenizer_model(model)
    if with_tokens:
        w.add_token_list(tokens)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_a_model_can_draft_for_itself(starter_model: Path) -> None:
    assert draft_incompatibility(starter_model, starter_model) is None


def test_the_same_vocabulary_in_another_file_is_compatible(tmp_path: Path) -> None:
    assert (
        draft_incompatibility(vocab_file(tmp_path / "a.gguf"), vocab_file(tmp_path / "b.gguf"))
        is None
    )


def test_another_vocabulary_size_is_refused_naming_the_file(
    starter_model: Path, tmp_path: Path
) -> None:
    draft = write_tiny_llama(tmp_path / "tiny-draft.gguf")
    reason = draft_incompatibility(starter_model, draft)
    assert reason == (
        "tiny-draft.gguf has a different vocabulary: 266 tokens, the chat model has 49,152"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"tokens": [*TOKENS[:4], "ba", "parrot"]},
            "draft.gguf has a different vocabulary: token 4 differs ('ba' vs 'ab')",
        ),
        (
            {"model": "llama"},
            "draft.gguf has a different tokenizer: 'llama', the chat model has 'gpt2'",
        ),
        (
            {"eos": 5},
            "draft.gguf has a different end token: id 5, the chat model's is 1",
        ),
        (
            {"with_tokens": False},
            "draft.gguf has no vocabulary (tokenizer.ggml.tokens)",
        ),
    ],
)
def test_each_difference_is_named(tmp_path: Path, change: dict[str, object], expected: str) -> None:
    chat = vocab_file(tmp_path / "chat.gguf")
    draft = vocab_file(tmp_path / "draft.gguf", **change)  # type: ignore[arg-type]
    assert draft_incompatibility(chat, draft) == expected


def test_broken_files_give_a_reason_not_a_traceback(starter_model: Path, tmp_path: Path) -> None:
    cut = write_truncated(starter_model, tmp_path / "cut.gguf", 0.001)
    reason = draft_incompatibility(starter_model, cut)
    assert reason is not None and reason.startswith(str(cut)) and "truncated" in reason
    ggjt = write_bad_magic(tmp_path / "old.gguf")
    reason = draft_incompatibility(starter_model, ggjt)
    assert reason is not None and "not a GGUF file" in reason
    missing = draft_incompatibility(starter_model, tmp_path / "gone.gguf")
    assert missing == f"{tmp_path / 'gone.gguf'}: does not exist"
    reason = draft_incompatibility(tmp_path / "gone.gguf", starter_model)
    assert reason is not None and reason.startswith("the chat model cannot be read: ")
