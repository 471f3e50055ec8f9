"""What each control of the controls panel does, in plain words: its tooltip.

Written for someone who has never heard of sampling: what changes in the reply, what
the usual values are, and what "off" is. Kept apart from the panel so that the words
can be read (and translated) in one place.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def control_hints() -> dict[str, str]:
    """Tooltip text by control name (the ControlsPanel attribute it belongs to)."""
    # Spelled out at each string: lupdate finds translate() calls, not wrappers.
    return {
        "system_prompt": QCoreApplication.translate(
            "ControlHints",
            "Instructions the model reads before every message of this chat: who it "
            "should be, what language to answer in, what to avoid.",
        ),
        "temperature": QCoreApplication.translate(
            "ControlHints",
            "How adventurous the wording is. Low (0.2) gives focused answers that come "
            "out much the same each time; high (1.0 and up) gives varied, creative ones "
            "that may wander off.",
        ),
        "max_tokens": QCoreApplication.translate(
            "ControlHints",
            "The longest a reply may get, in tokens (a token is a short word or a piece "
            "of one). The reply stops when it reaches this.",
        ),
        "top_p": QCoreApplication.translate(
            "ControlHints",
            "Chooses each next word only among the likeliest ones that together make up "
            "this share of the chances. 1.0 is off; 0.9 leaves out the unlikely tail.",
        ),
        "top_k": QCoreApplication.translate(
            "ControlHints",
            "Chooses each next word only among this many of the likeliest. 40 is usual; "
            "off lets every word compete.",
        ),
        "min_p": QCoreApplication.translate(
            "ControlHints",
            "Leaves out words far less likely than the likeliest one: 0.05 drops those "
            "with under 5 % of its chance. 0 is off.",
        ),
        "repeat_penalty": QCoreApplication.translate(
            "ControlHints",
            "Makes the model less likely to repeat words it has just used. 1.0 is off, "
            "1.1 is gentle; much higher and the wording turns odd.",
        ),
        "draft_ahead": QCoreApplication.translate(
            "ControlHints",
            "Faster replies that copy from the message (translations, summaries, answers "
            "from documents): the model checks several guessed words at once and keeps the "
            "ones it would have written. It turns itself off while guesses miss. The reply "
            "is the same as without it: it only works where llama.cpp computes several "
            "words exactly as it computes one (checked at the model's first reply with "
            "it on; the stats line shows no drafts otherwise).",
        ),
        "seed": QCoreApplication.translate(
            "ControlHints",
            "The starting point of the model's random choices. The same seed, settings "
            "and message give the same reply again; random gives a new one each time.",
        ),
        "overflow": QCoreApplication.translate(
            "ControlHints",
            "What happens when this chat grows longer than the context length: leave out "
            "the oldest messages (the model forgets how the chat began), or stop and "
            "tell you.",
        ),
        "save_defaults": QCoreApplication.translate(
            "ControlHints", "Make these settings the starting point of every new chat."
        ),
        "context_length": QCoreApplication.translate(
            "ControlHints",
            "How much text the model keeps in mind at once, in tokens: the chat so far "
            "and the reply must fit. Longer needs more memory. Changing it reloads the "
            "model, after you confirm.",
        ),
        "gpu_layers": QCoreApplication.translate(
            "ControlHints",
            "How much of the model runs on the graphics card, which is faster if the "
            "model fits in its memory. Auto uses the card when there is one; a number "
            "puts that many layers on it and the rest on the processor.",
        ),
        "threads": QCoreApplication.translate(
            "ControlHints",
            "How many processor cores work on the model. Auto lets llama.cpp choose; "
            "more than the machine has makes it slower.",
        ),
    }
