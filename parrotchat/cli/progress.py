"""A one-line progress note on a terminal: "Loading SmolLM2-135M-Instruct… 42 %",
"Reading your message… 42 %".

Only a person watching a terminal sees it: when the stream is no terminal (a pipe, a
file, a script's capture) or the output is JSON, it writes nothing at all. The line is
rewritten in place and wiped before the reply starts, so that nothing of it stays
between the command and its answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TextIO

from parrotchat.engine.protocol import PromptProgress


class ProgressLine:
    def __init__(self, stream: TextIO, *, enabled: bool = True) -> None:
        self._stream = stream
        self.enabled = enabled and _is_terminal(stream)
        self._label = ""
        self._shown = ""
        self._percent = -1

    def show(self, label: str) -> None:
        """Start (or replace) the note, with no figure yet."""
        self._label = label
        self._percent = -1
        self._write(label)

    def update(self, fraction: float) -> None:
        percent = max(0, min(100, round(fraction * 100)))
        if percent != self._percent:  # a repaint per whole percent is plenty
            self._percent = percent
            self._write(self._label, f" {percent} %")

    def clear(self) -> None:
        if self._shown:
            self._write("")

    def _write(self, text: str, figure: str = "") -> None:
        if not self.enabled:
            return
        # A line wider than the terminal wraps, and "\r" then goes back to its last
        # row only: the note would repeat down the screen. The label gives way.
        width = shutil.get_terminal_size().columns - 1 - len(figure)
        if len(text) > width:
            text = text[: max(0, width - 1)] + "…"
        text += figure
        # Spaces over the longer old text rather than an escape sequence: every
        # terminal, Windows' old console included, understands them.
        pad = " " * max(0, len(self._shown) - len(text))
        self._stream.write(f"\r{text}{pad}\r" if not text else f"\r{text}{pad}")
        self._stream.flush()
        self._shown = text


class ReadingNote:
    """ "Reading your message… 42 %" while the engine reads the prompt (when it says how
    far: a remote server may not), wiped at the reply's first text."""

    def __init__(self, line: ProgressLine, on_text: Callable[[str], None]) -> None:
        self._line = line
        self._on_text = on_text
        self._shown = False

    def progress(self, event: PromptProgress) -> None:
        if not self._shown:
            self._line.show("Reading your message…")
            self._shown = True
        self._line.update(event.done / event.total if event.total > 0 else 1.0)

    def text(self, piece: str) -> None:
        if self._shown:
            self._line.clear()
            self._shown = False
        self._on_text(piece)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
