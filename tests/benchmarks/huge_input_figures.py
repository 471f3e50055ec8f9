"""Huge-input figures: the GUI thread's longest stall with a 5 MB paste, a
100,000-message chat and a 1 MB reply, against the issue's goal of 100 ms.

Run:  python tests/benchmarks/huge_input_figures.py [--reps 3] [--out F]

The scenarios are the fault tests of tests/faults/test_huge_inputs.py; those tests
hold only what a freeze breaks (1 s of the app's own stall), so that they pass on a
busy machine, and print each figure. This script runs them `--reps` times, reads
the printed figures and prints one JSON object, per scenario:

- own_stall_ms: the longest gap of a 5 ms GUI-thread heartbeat, less the time that
  thread waited for a CPU (Linux counts it per thread): the stall the app itself
  causes; goal <= 100 ms (median, min, max over the runs);
- max_gap_ms: the same gap in wall-clock time (other work on the machine included);
- rss_growth_mb: the app's memory growth during the scenario.

Not part of the test run: these are figures, and machines are noisy; run it on an
idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = "tests/faults/test_huge_inputs.py"
GOAL_MS = 100.0
_LINE = re.compile(r"^\[huge-inputs\] (?P<name>[^:]+): (?P<fields>.*)$")
_FIELD = re.compile(r"(\w+)=([-\d.]+)(?:\s|$)")
FIGURES = ("own_stall_ms", "max_gap_ms", "rss_growth_mb")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def one_run() -> dict[str, dict[str, float]]:
    """The printed figures of one run of the huge-input tests, by scenario."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the huge-input tests failed:\n{done.stdout[-4000:]}")
    figures: dict[str, dict[str, float]] = {}
    for line in done.stdout.splitlines():
        match = _LINE.match(line.strip())
        if match and "own_stall_ms=" in line:  # not the pure context-fitting figure
            fields = dict(_FIELD.findall(match["fields"]))
            figures[match["name"]] = {k: float(fields[k]) for k in FIGURES if k in fields}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    runs = [one_run() for _ in range(args.reps)]
    scenarios: dict[str, dict[str, object]] = {}
    for name in runs[0]:
        entry: dict[str, object] = {
            k: summary([run[name][k] for run in runs if k in run.get(name, {})]) for k in FIGURES
        }
        own = entry["own_stall_ms"]
        assert isinstance(own, dict)
        entry["met"] = own["median"] <= GOAL_MS
        scenarios[name] = entry
    result = {
        "scenarios": scenarios,
        "goal_own_stall_ms": GOAL_MS,
        "all_met": all(entry["met"] for entry in scenarios.values()),
        "reps": args.reps,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
