"""Messages from below the window (engine, core, hub) in the window's language.

Core and engine have no Qt and speak English: their messages are right for the CLI
and the logs. The window translates them where they are shown (the error band, the
status bar, the line under a reply, the offline notice): each known message shape
maps to a tr() sentence, its variable parts (file names, numbers, signal names)
kept. What no shape matches stays as it is in an English window; in a translated
one its English part is replaced by a note, and the original is kept for the
tooltip, so that nothing technical is lost and nothing half-translated is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from parrotchat.core.hub.config import OFFLINE_MESSAGE

ENGLISH_NOTE = "(details in English: point here to read them)"


# (pattern, translated sentence with %1, %2 for the pattern's groups). The sentences
# are in lambdas so that they are looked up in the language active when shown.
_FILE = r"([^\s:][^:\n]*?)"  # a file name or path, as gguf_header.show_path writes it
_RULES: list[tuple[str, Callable[[], str]]] = [
    # The engine process died (engine/local/client.py: describe_exit).
    (
        r"The engine process was killed \(SIGKILL; the system may have run out of memory\)\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "The engine process was killed (SIGKILL; the system may have run out of memory).",
        ),
    ),
    (
        r"The engine process aborted \(llama\.cpp stopped on an internal check\)\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "The engine process aborted (llama.cpp stopped on an internal check).",
        ),
    ),
    (
        r"The engine process crashed \(segmentation fault\)\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "The engine process crashed (segmentation fault)."
        ),
    ),
    (
        r"The engine process was stopped by signal (\w+)\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "The engine process was stopped by signal %1."
        ),
    ),
    (
        r"The engine process exited with code (-?\d+)\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "The engine process exited with code %1."
        ),
    ),
    (
        r"The engine process stopped answering\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "The engine process stopped answering."
        ),
    ),
    (
        r"The engine could not be restarted: ",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "The engine could not be restarted: "
        ),
    ),
    (
        r"([^\n]+?): the connection was stopped\.",
        lambda: QCoreApplication.translate("RuntimeMessages", "%1: the connection was stopped."),
    ),
    # Loading a model (engine/local/runtime.py, service/model_load.py).
    (
        r"Model (\S+) could not be loaded: ",
        lambda: QCoreApplication.translate("RuntimeMessages", "Model %1 could not be loaded: "),
    ),
    # A draft model refused (core/models/draft_compat.py, engine/local/runtime.py).
    (
        r"Draft model (\S+) was not loaded: ",
        lambda: QCoreApplication.translate("RuntimeMessages", "Draft model %1 was not loaded: "),
    ),
    (
        r"(\S[^\n:]*?) has a different vocabulary: ([\d,]+) tokens, the chat model has "
        r"([\d,]+)",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "%1 has a different vocabulary: %2 tokens, the chat model has %3",
        ),
    ),
    (
        r"(\S[^\n:]*?) has a different vocabulary: token ([\d,]+) differs \(([^\n]*)\)",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1 has a different vocabulary: token %2 differs (%3)"
        ),
    ),
    (
        r"(\S[^\n:]*?) has a different tokenizer: ([^\n,]+), the chat model has ([^\n]+)",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1 has a different tokenizer: %2, the chat model has %3"
        ),
    ),
    (
        r"Model (\S+) is too large for this machine: ",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "Model %1 is too large for this machine: "
        ),
    ),
    (
        r"Model file ([^\n]+): not found",
        lambda: QCoreApplication.translate("RuntimeMessages", "Model file %1 was not found."),
    ),
    (
        r"The GPU could not be used \(([^\n]*)\); running on the CPU",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "The GPU could not be used (%1); running on the CPU"
        ),
    ),
    (
        r"No model is loaded",
        lambda: QCoreApplication.translate("RuntimeMessages", "No model is loaded"),
    ),
    # A model file that cannot be used (core/models/gguf_header.py, library.py).
    (
        _FILE + r": not a GGUF file; ParrotChat runs \.gguf",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1: not a GGUF file; ParrotChat runs .gguf model files."
        ),
    ),
    (
        _FILE + r": not a GGUF file\b[^\n]*",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1: not a GGUF model file (it is another kind of file)."
        ),
    ),
    (
        _FILE + r": (?:truncated|corrupt)\b[^\n]*",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1: the file is damaged or incomplete; download it again."
        ),
    ),
    (
        _FILE + r": unsupported\b[^\n]*",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "%1: written in a newer format than this version reads; update ParrotChat.",
        ),
    ),
    (
        _FILE + r": a big-endian GGUF file[^\n]*",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1: a GGUF file made for a different kind of computer."
        ),
    ),
    (
        _FILE + r": split model without its part 1 \(([^)\n]+)\)",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "%1: part of a split model whose first part (%2) is missing."
        ),
    ),
    # The hub's offline switch (core/hub/config.py). The core's text names a place
    # the window has no such thing as; this one names where the switch is.
    (
        re.escape(OFFLINE_MESSAGE),
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "Hub search is off: ParrotChat is in offline mode. To go online, untick "
            "“Offline” under Network at the bottom of the Download tab (Models window).",
        ),
    ),
    (
        r"Hub search is off: (\w+) is set in the environment",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "Hub search is off: %1 is set in the environment."
        ),
    ),
    # The settings file (core/settings.py): said at start, in the banner.
    (
        r"Unknown setting '([^'\n]+)' ignored",
        lambda: QCoreApplication.translate("RuntimeMessages", "Unknown setting “%1” ignored."),
    ),
    (
        r"Setting '([^'\n]+)' = [^\n]*?; using the default ([^\n]+)",
        lambda: QCoreApplication.translate(
            "RuntimeMessages", "Setting “%1” had a value that cannot be used; using the default %2."
        ),
    ),
    (
        r"([^\n]+?\.json) (?:is not valid JSON \(line \d+\)|does not hold a JSON object|"
        r"has an invalid schema_version [^;\n]*|cannot be read \([^\n]*?\)|"
        r"cannot be upgraded from [^\n]*?); using defaults \(the old file is kept as ([^)\n]+)\)",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "The settings file %1 is damaged; the default settings are used (the old file is "
            "kept as %2).",
        ),
    ),
    (
        r"([^\n]+?\.json) was written by a newer ParrotChat \(settings version (\d+), this "
        r"version knows (\d+)\); using defaults and leaving the file as is",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "The settings file %1 was written by a newer ParrotChat (settings version %2; this "
            "one knows %3): the default settings are used and the file is left as it is.",
        ),
    ),
    # A turn that does not fit (core/chats/context_budget.py, engine/local/runtime.py).
    (
        r"This chat needs (\d+) tokens but the context holds (\d+) \((\d+) kept free for the "
        r"reply\)\. Start a new chat, raise the context length, or let ParrotChat drop the "
        r"oldest turns\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "This chat needs %1 tokens but the context holds %2 (%3 kept free for the "
            "reply). Start a new chat, raise the context length, or let ParrotChat drop "
            "the oldest turns.",
        ),
    ),
    (
        r"The message is (\d+) tokens long with the system prompt, more than the context "
        r"length of (\d+)\. Shorten it or raise the context length\.",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "The message is %1 tokens long with the system prompt, more than the context "
            "length of %2. Shorten it or raise the context length.",
        ),
    ),
    (
        r"The prompt is (\d+) tokens long; the context holds (\d+) with at least one token "
        r"for the reply",
        lambda: QCoreApplication.translate(
            "RuntimeMessages",
            "The prompt is %1 tokens long; the context holds %2 with at least one token "
            "for the reply.",
        ),
    ),
]
_COMPILED = [(re.compile(pattern), sentence) for pattern, sentence in _RULES]
# Rules whose first group is a model file: the window names the file, not its folder
# (the whole path stays in the original, for the tooltip).
_NAMES_A_FILE = {pattern for pattern, _ in _RULES if pattern.startswith(_FILE)}

# A run of printable ASCII words; it is English when three or more of them are words.
_ASCII_RUN = re.compile(r"[A-Za-z][!-~]*(?: +[!-~]+)*")
_WORD = re.compile(r"(?<![\w.\-'/])[A-Za-z][a-z]+(?![\w.\-'/])")


def _fill(template: str, groups: tuple[str | None, ...]) -> str:
    # Highest first: %1 must not eat the start of %10.
    for i in range(len(groups), 0, -1):
        template = template.replace(f"%{i}", groups[i - 1] or "")
    return template


def _translated_ui() -> bool:
    return english_note() != ENGLISH_NOTE


def english_note() -> str:
    """What stands in for English text that has no translation."""
    return QCoreApplication.translate(
        "RuntimeMessages", "(details in English: point here to read them)"
    )


@dataclass(frozen=True)
class Shown:
    """A message as the window shows it, and the original when they differ."""

    text: str
    original: str | None


def translate_text(text: str) -> str:
    """Every known message shape in `text` in the window's language."""
    for pattern, sentence in _COMPILED:
        text = pattern.sub(_filler(sentence, pattern.pattern in _NAMES_A_FILE), text)
    return text


def _filler(sentence: Callable[[], str], names_file: bool) -> Callable[[re.Match[str]], str]:
    def fill(match: re.Match[str]) -> str:
        groups = match.groups()
        if names_file and groups[0]:
            groups = (re.split(r"[/\\]", groups[0])[-1], *groups[1:])
        return _fill(sentence(), groups)

    return fill


def localize(text: str) -> Shown:
    """`text` for the window: known shapes translated; in a translated window, English
    no shape knows is replaced by a note (the original comes back for a tooltip)."""
    shown = translate_text(text)
    if _translated_ui():
        shown = _ASCII_RUN.sub(_replace_english, shown)
    return Shown(shown, text if shown != text else None)


def plain(text: str) -> str:
    """`localize` for places without a tooltip."""
    return localize(text).text


def _replace_english(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(_WORD.findall(run)) < 3:
        return run  # a name, a number, an acronym: kept
    return english_note()
