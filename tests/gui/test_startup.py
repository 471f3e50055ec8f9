"""The window starts fast: nothing heavy is imported before it shows."""

from __future__ import annotations

import subprocess
import sys


def test_window_modules_import_nothing_heavy() -> None:
    code = (
        "import sys, parrotchat.app, parrotchat.cli.context, parrotchat.gui.main; "
        "print(sorted(m for m in ('llama_cpp', 'numpy', 'gguf', 'pygments') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", f"imported at start-up: {out.strip()}"
