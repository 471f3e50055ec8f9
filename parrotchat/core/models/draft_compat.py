"""Whether a GGUF can draft for a chat model: the same vocabulary, token for token.

The engine feeds the draft model's token ids to the chat model as they are, so the two
must mean the same text by every id and agree on the tokenizer and its start and end
tokens. This reads only the files' headers (the bounded walker in gguf_header.py, not
`gguf.GGUFReader`: that one takes seconds on a real vocabulary, loops on a hostile
array length and memory-maps the file), so the settings can check a choice at once,
with no weights loaded.
"""

from __future__ import annotations

from pathlib import Path

from parrotchat.core.errors import ModelFileError
from parrotchat.core.models.gguf_header import Header, quoted, read_header, show_path

_TOKENIZER = "tokenizer.ggml.model"
_SPECIAL_IDS = (
    ("tokenizer.ggml.bos_token_id", "start token"),
    ("tokenizer.ggml.eos_token_id", "end token"),
)


def draft_incompatibility(chat_model: str | Path, draft_model: str | Path) -> str | None:
    """None when `draft_model` can draft for `chat_model`; else one line saying why."""
    chat_path, draft_path = Path(chat_model), Path(draft_model)
    try:
        draft = read_header(draft_path, keep_tokens=True)
    except ModelFileError as exc:
        return f"{exc}"
    try:
        chat = read_header(chat_path, keep_tokens=True)
    except ModelFileError as exc:
        return f"the chat model cannot be read: {exc}"
    return _difference(draft_path.name, chat, draft)


def _difference(name: str, chat: Header, draft: Header) -> str | None:
    shown = show_path(Path(name))
    if draft.tokens is None or chat.tokens is None:
        missing = "the chat model has" if chat.tokens is None else f"{shown} has"
        return f"{missing} no vocabulary (tokenizer.ggml.tokens)"
    kind, chat_kind = draft.meta.get(_TOKENIZER), chat.meta.get(_TOKENIZER)
    if kind != chat_kind:
        return f"{shown} has a different tokenizer: {kind!r}, the chat model has {chat_kind!r}"
    if len(draft.tokens) != len(chat.tokens):
        return (
            f"{shown} has a different vocabulary: {len(draft.tokens):,} tokens, "
            f"the chat model has {len(chat.tokens):,}"
        )
    for i, (ours, theirs) in enumerate(zip(draft.tokens, chat.tokens, strict=True)):
        if ours != theirs:
            a, b = (quoted(t.decode("utf-8", "replace"), 30) for t in (ours, theirs))
            return f"{shown} has a different vocabulary: token {i:,} differs ({a} vs {b})"
    for key, what in _SPECIAL_IDS:
        if draft.meta.get(key) != chat.meta.get(key):
            return (
                f"{shown} has a different {what}: id {draft.meta.get(key)!r}, "
                f"the chat model's is {chat.meta.get(key)!r}"
            )
    return None
