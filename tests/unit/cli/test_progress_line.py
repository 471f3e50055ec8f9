"""The loading note of `ask` and `chat`: only on a terminal, never wider than it."""

from __future__ import annotations

import io

import pytest

from parrotchat.cli.progress import ProgressLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_or_json_gets_nothing() -> None:
    for stream, enabled in ((io.StringIO(), True), (Terminal(), False)):
        line = ProgressLine(stream, enabled=enabled)
        line.show("Loading SmolLM2-135M-Instruct…")
        line.update(0.5)
        line.clear()
        assert stream.getvalue() == ""


def test_a_long_name_gives_way_to_the_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    screen = Terminal()
    line = ProgressLine(screen)
    line.show("Loading " + "very-long-model-name-" * 5 + "…")
    line.update(0.42)
    line.update(0.421)  # the same whole percent: no repaint
    line.clear()
    writes = screen.getvalue().split("\r")[1:]
    shown = [w for w in writes if w.strip()]
    assert all(len(w) <= 39 for w in writes), writes
    assert len(shown) == 2 and shown[1].endswith("… 42 %")
    assert screen.getvalue().endswith("\r" + " " * len(shown[1]) + "\r"), "wiped at the end"
