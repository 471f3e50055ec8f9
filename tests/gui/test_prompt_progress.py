"""A sign of life before the first word: "Reading your message… N%" in the empty reply,
then the text; the context count is true while the reply streams (#17.6).

The real window on the real engine (starter model): the prompt is long enough for
several batches of the engine's 512.
"""

from __future__ import annotations

import re

import pytest
from gui_helpers import WindowFactory
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.gui.chat import controller as chat_controller

READING = {"en": "Reading your message… {}%", "ko": "메시지를 읽는 중… {}%"}
LONG = " ".join(f"Note {i}: the parrot repeats what it hears in the garden." for i in range(90))


def count_in(label_text: str) -> int:
    """The tokens in use, from "Context: 1,234 / 2,048 tokens" (or its Korean)."""
    return int(re.findall(r"[\d,]+", label_text)[0].replace(",", ""))


def test_reading_progress_then_text_and_a_true_context_count(
    make_window: WindowFactory, qtbot: QtBot, ui_lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reply (10 tokens, 6 of them drafted) streams in 0.1 s, within one interval of
    # the count's rate limit: shown at every chunk here, so that its growth can be seen.
    monkeypatch.setattr(chat_controller, "USAGE_INTERVAL_S", 0.0)
    session = make_window(ui_lang=ui_lang)
    window, view, chats = session.window, session.window.chat_view, session.chats
    window.resize(1100, 760)
    shown: list[tuple[int, int, str | None, bool]] = []  # done, total, the reply's label, text?
    prompt_tokens: list[int] = []
    counts: list[tuple[int, bool]] = []  # the status bar's count, and whether text had come

    def on_progress(done: int, total: int) -> None:  # after the window has shown it
        widget = view.streaming_widget
        assert widget is not None
        label = widget.progress_label
        shown.append((done, total, label.text() if label else None, bool(widget.text)))
        if 0 < done < total and label is not None and not any(s[0] for s in shown[:-1]):
            qtbot.waitUntil(label.isVisible)
            save_shot(window, f"reading_progress_{ui_lang}.png")

    def on_usage(_used: int, _total: int) -> None:
        if chats.busy:
            widget = view.streaming_widget
            counts.append((count_in(window.context_label.text()), bool(widget and widget.text)))

    ended: list[dict[str, int]] = []
    chats.replyEnded.connect(lambda _id, _status, stats: ended.append(stats))
    chats.replyProgress.connect(on_progress)
    chats.contextUsage.connect(on_usage)
    session.engine.promptProgress.connect(lambda _id, _d, _t, whole: prompt_tokens.append(whole))
    # Its own first words per language: the engine's cache must not have read it already.
    assert chats.send(f"({ui_lang}) Read these notes, then say what the parrot does. {LONG}")
    reply = view.streaming_widget
    assert reply is not None and reply.progress_label is not None  # at once, before the engine
    qtbot.waitUntil(lambda: bool(reply.text), timeout=180_000)
    qtbot.waitUntil(lambda: not chats.busy, timeout=180_000)

    # The indicator counted up to 100 %, all before the first text, then gave way to it.
    done = [s[0] for s in shown]
    total = shown[0][1]
    assert len(shown) >= 4 and total > 1000, shown  # 0 %, then one per batch of 512
    assert done == sorted(done) and done[0] == 0 and done[-1] == total
    for d, t, label, had_text in shown:
        assert not had_text
        assert label == READING[ui_lang].format(d * 100 // t)
    final = view.message_widgets[-1]
    assert final.progress_label is None and final.text.strip()

    # The status bar counted the prompt as soon as the engine read it, then its tokens
    # as they came: never 0, never the count from before the message.
    whole = prompt_tokens[0]
    assert whole > total // 2
    assert counts[0] == (whole, False), counts
    assert counts == sorted(counts) and all(n >= whole for n, _ in counts)
    assert any(n > whole for n, had_text in counts if had_text), counts
    (stats,) = ended
    end = stats["prompt_tokens"] + stats["reply_tokens"]
    assert stats["prompt_tokens"] == whole and counts[-1][0] <= end
    assert count_in(window.context_label.text()) == end
