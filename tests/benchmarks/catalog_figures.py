"""Recommended-models figures: catalog size, architectures proven, time to show the tab.

Run:  python tests/benchmarks/catalog_figures.py [--reps 5]

Prints one JSON object:

- entries, architectures: what the shipped catalog holds.
- load_catalog_ms: reading and validating resources/catalog/recommended.json.
- show_tab_ms: a new Recommended tab (catalog read, fit estimated for every entry
  against this machine's free memory, table filled) to its first paint, offscreen;
  median and max over --reps fresh tabs. No network call is made.
- proven: each catalog architecture, True when the bundled llama.cpp loads a tiny
  random-weight model of it and generates (embeds, for bert); the same check as
  tests/integration/test_catalog_architectures.py, without pytest.

Not part of the test run: these are figures, and machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the GGUF writers


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def load_ms(reps: int) -> list[float]:
    from parrotchat.core.models.catalog import load_catalog

    times = []
    for _ in range(reps):
        began = time.perf_counter()
        load_catalog(None)
        times.append(_ms(time.perf_counter() - began))
    return times


def show_tab_ms(reps: int, folder: Path) -> list[float]:
    from PySide6.QtWidgets import QApplication

    from parrotchat.core.settings import Settings
    from parrotchat.gui.models.hub_tasks import HubTasks
    from parrotchat.gui.models.recommended_tab import RecommendedTab

    app = QApplication.instance() or QApplication([])
    tasks = HubTasks(Settings(), folder / "models", folder / "downloads")
    times = []
    try:
        for _ in range(reps):
            began = time.perf_counter()
            tab = RecommendedTab(tasks, folder / "config")
            tab.resize(980, 600)
            tab.show()
            tab.repaint()  # the first paint, synchronously
            app.processEvents()
            times.append(_ms(time.perf_counter() - began))
            tab.close()
            tab.deleteLater()
            app.processEvents()
    finally:
        tasks.stop()
    return times


def proven(folder: Path) -> dict[str, bool]:
    import llama_cpp
    from gguf_arch_factory import EMBEDDING_ARCHITECTURES, write_tiny_arch

    from parrotchat.core.models.catalog import load_catalog

    result = {}
    for arch in load_catalog(None).architectures:
        path = write_tiny_arch(folder / f"tiny-{arch}.gguf", arch)
        embedding = arch in EMBEDDING_ARCHITECTURES
        try:
            llm = llama_cpp.Llama(
                model_path=str(path), n_ctx=256, embedding=embedding, verbose=False
            )
            ok = bool(llm.embed("hello")) if embedding else bool(llm("Hi", max_tokens=4))
            llm.close()
        except Exception:  # a figure, not a test: report False and go on
            ok = False
        result[arch] = ok
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    from parrotchat.core.models.catalog import load_catalog

    catalog = load_catalog(None)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        loads = load_ms(args.reps)
        shows = show_tab_ms(args.reps, folder)
        archs = proven(folder)
    print(
        json.dumps(
            {
                "entries": len(catalog.entries),
                "architectures": catalog.architectures,
                "load_catalog_ms": {"median": statistics.median(loads), "max": max(loads)},
                "show_tab_ms": {"median": statistics.median(shows), "max": max(shows)},
                "proven": archs,
            }
        )
    )


if __name__ == "__main__":
    main()
