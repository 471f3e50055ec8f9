"""Counting engine processes from outside (imported by module name by the fault tests)."""

from __future__ import annotations

import psutil


def live_engines(parent: int | None = None) -> list[psutil.Process]:
    """Engine processes (multiprocessing spawn children) of `parent` (default: this
    process) that are still alive; zombies have exited and only wait to be reaped."""
    out = []
    for child in psutil.Process(parent).children(recursive=True):
        try:
            alive = child.status() != psutil.STATUS_ZOMBIE
            if alive and "spawn_main" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            pass
    return out
