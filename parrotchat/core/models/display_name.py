"""The one name a model is shown by, in the window and on the command line.

`general.name` is often generated from the repository and reads badly (the starter
model's is "Smollm2 135M 8k Lc100K Mix1 Ep2"). The file name is what the publisher
chose and what the user saw when downloading ("SmolLM2-135M-Instruct.Q4_1.gguf"):
without the quantization (shown beside the name anyway) and split-part suffixes it
is the clean name. A file named generically ("model.gguf", "ggml-model-q4_0.gguf")
says nothing: then `general.basename` and `general.size_label`, then `general.name`.
"""

from __future__ import annotations

import re

# A quantization or precision tag at the end of a file stem: .Q4_K_M, -q8_0, -IQ4_XS,
# .f16, -BF16, .fp32, and unsloth's UD- prefixed ones.
_QUANT_SUFFIX = re.compile(
    r"[.\-_](?:ud-)?(?:i?q\d+(?:_[a-z0-9]+)*|b?f(?:16|32)|fp(?:16|32))$", re.IGNORECASE
)
_SPLIT_SUFFIX = re.compile(r"-\d{5}-of-\d{5}$", re.IGNORECASE)
_GENERIC = frozenset({"", "model", "ggml-model", "ggml_model", "gguf", "consolidated", "weights"})


def clean_stem(stem: str) -> str:
    """A file stem without its split-part and quantization suffixes."""
    stem = _SPLIT_SUFFIX.sub("", stem)
    previous = None
    while previous != stem:  # "x.Q4_K_M-f16" style double tags
        previous = stem
        stem = _QUANT_SUFFIX.sub("", stem)
    return stem.strip(" .-_")


def display_name(
    stem: str, basename: str | None, size_label: str | None, general_name: str | None
) -> str:
    # A file name that is not UTF-8 reaches us with surrogate escapes, which no terminal
    # or label can show; the name shown gets U+FFFD there instead (the path keeps its bytes).
    stem = stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    cleaned = clean_stem(stem)
    if cleaned.casefold() not in _GENERIC:
        return cleaned
    if basename and basename.strip():
        return " ".join(p for p in (basename.strip(), (size_label or "").strip()) if p)
    if general_name and general_name.strip():
        return general_name.strip()
    return stem
