"""llama.cpp really aborting, 20 times in one window: it stays, says so, and recovers.

The crashing model is a tiny GGUF whose tokenizer type ("llama", SentencePiece) does
not match its vocabulary: llama.cpp loads it, then throws std::out_of_range from its
tokenizer, which ends in std::terminate → SIGABRT in the engine process, the way a
real bug in llama.cpp or a subtly broken download would. Each cycle asks for that
model, sends a message (the engine dies while reading the prompt), then goes back
to the starter model and gets a reply. Every process is counted and the window's
memory is watched across the cycles. Every test run goes through 3 cycles; the full
campaign of 20 (PARROTCHAT_CRASH_CYCLES changes it) runs with `-m campaign`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gguf
import psutil
import pytest
from campaign import rounds
from gguf_factory import write_tiny_llama
from gui_helpers import fast_settings
from processes import live_engines
from pytestqt.qtbot import QtBot

from parrotchat.core.models.info import ModelInfo, validate_model_file
from parrotchat.core.paths import AppPaths
from parrotchat.gui.main import WindowSession

CYCLES = int(os.environ.get("PARROTCHAT_CRASH_CYCLES", "20"))
QUICK_CYCLES = 3


@contextmanager
def _tokenizer_model(kind: str) -> Iterator[None]:
    original = gguf.GGUFWriter.add_string

    def add_string(self: gguf.GGUFWriter, key: str, val: str) -> None:
        original(self, key, kind if key == "tokenizer.ggml.model" else val)

    gguf.GGUFWriter.add_string = add_string  # type: ignore[method-assign]
    try:
        yield
    finally:
        gguf.GGUFWriter.add_string = original  # type: ignore[method-assign]


def write_aborting_model(path: Path) -> Path:
    """A model llama.cpp loads but aborts on at the first tokenization."""
    with _tokenizer_model("llama"):
        return write_tiny_llama(path, name="aborts")


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("cycles", rounds(QUICK_CYCLES, CYCLES, "cycles"))
def test_llama_cpp_aborting_again_and_again(
    qtbot: QtBot, tmp_path: Path, starter_model: Path, cycles: int
) -> None:
    bad = validate_model_file(write_aborting_model(tmp_path / "aborts.gguf"))
    good = validate_model_file(starter_model)
    # Its own engine, not the session's shared one: crashing that one would change
    # how the next test's engine behaves (a second crash soon after is not reloaded).
    session = WindowSession.create(
        AppPaths.portable(tmp_path / "data"), fast_settings(max_tokens=8), ui_lang="en"
    )
    session.show()
    session.start()
    try:
        _cycles(session, qtbot, bad, good, cycles)
    finally:
        session.close()


def _cycles(
    session: WindowSession, qtbot: QtBot, bad: ModelInfo, good: ModelInfo, cycles: int
) -> None:
    qtbot.waitUntil(lambda: session.engine.is_ready, timeout=60_000)
    window, models, engine, chats = session.window, session.models, session.engine, session.chats
    crashes: list[str] = []
    engine.engineCrashed.connect(crashes.append)
    rss: list[float] = []
    pids: set[int] = set()
    others = {p.pid for p in live_engines()} - {engine.client.pid}
    for cycle in range(cycles):
        models.choose(bad, remember=False)
        pids.add(engine.client.pid or 0)
        # With a chat open, the window counts its tokens as soon as the model is in,
        # which already aborts; otherwise the message sent here does.
        qtbot.waitUntil(
            lambda c=cycle: engine.loaded is not None or len(crashes) > c, timeout=30_000
        )
        if len(crashes) == cycle:
            assert chats.send(f"Cycle {cycle}: hello")
        qtbot.waitUntil(lambda c=cycle: len(crashes) == c + 1, timeout=30_000)
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        assert window.isVisible()
        assert "aborted" in window.banner.detail_label.text(), window.banner.detail_label.text()
        assert not chats.busy and window.composer.send_button.text() == "Send"
        messages = session.store.get_chat(chats.chat_id or 0).messages
        assert all(m.status != "streaming" for m in messages), "every reply was closed"
        assert sum(m.role == "user" for m in messages) >= cycle + 1, "no message was lost"

        # The next load works, in a new engine, and the window chats again.
        qtbot.waitUntil(lambda: engine.is_ready, timeout=30_000)
        models.choose(good, remember=False)
        qtbot.waitUntil(lambda: engine.loaded is not None, timeout=30_000)
        assert chats.send(f"Cycle {cycle}: are you back?")
        qtbot.waitUntil(lambda: not chats.busy, timeout=60_000)
        last = session.store.get_chat(chats.chat_id or 0).messages[-1]
        assert last.status == "complete" and last.content, last
        assert not window.banner.isVisible()
        live = [p.pid for p in live_engines() if p.pid not in others]
        assert live == [engine.client.pid], f"cycle {cycle}: engine processes alive: {live}"
        rss.append(psutil.Process().memory_info().rss / 2**20)
    warm = rss[len(rss) // 4 :]
    growth = warm[-1] - warm[0]
    assert len(pids) == cycles, "every cycle ran in a fresh engine"
    assert growth < 40, f"the window's process grew by {growth:.0f} MB over {len(warm)} cycles"
    print(
        f"\nFIGURES real llama.cpp abort: {len(crashes)} crashes, {cycles} recoveries, "
        f"engines alive after each: 1; window RSS {warm[0]:.0f} -> {warm[-1]:.0f} MB "
        f"(cycles {len(rss) - len(warm) + 1}-{len(rss)})"
    )
