"""What the packaging tests share: the built app and a clean environment to run it in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FrozenApp:
    folder: Path
    exe: Path
    build_s: float

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """A clean environment: no Python paths, no starter override, a fresh HOME."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "PARROTCHAT_", "VIRTUAL_ENV", "XDG_", "QT_"))
        }
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            QT_QPA_PLATFORM="offscreen",
            PATH="/usr/bin:/bin",
        )
        env.update(extra)
        return env
