"""Endless and trickling hub answers against `parrotchat models search|files|download`
with the shipped bounds (a 60 s minimum-rate window, 64 MB answers): how long until the
command gives up, and with what line. Minutes long, so run by hand for the campaign
(issue #7, item 6); tests/faults/test_hub_faults.py runs the same faults with small
bounds in CI.

    .venv/bin/python tests/faults/hub_trickle_campaign.py

Every case runs at once (they mostly wait), each in its own process with its memory
capped at 3 GB and a 20-minute limit.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub_server import HOSTILE_MODES, TINY_REPO, HubServer, add_tiny_repo, tiny_files

LIMIT_S = 20 * 60


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


def run_case(root: Path, tiny: dict[str, bytes], route: str, mode: str) -> str:
    home = root / f"{route}-{mode}"
    with HubServer() as hub:
        add_tiny_repo(hub, tiny)
        hub.faults.hostile[route] = mode
        hub.faults.tick_s = 1.0  # a byte a second: each read well inside the read timeout
        args = {
            "search": ["search", "tiny"],
            "info": ["files", TINY_REPO],
        }.get(route, ["download", TINY_REPO, "--quant", "F16"])
        command = [sys.executable, "-m", "parrotchat", "--data-dir", str(home), "models"]
        command += [*args, "--endpoint", hub.url]
        started = time.monotonic()
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=LIMIT_S,
                env={**os.environ, "HF_ENDPOINT": ""},
                preexec_fn=_cap,
            )
        except subprocess.TimeoutExpired:
            return f"{route:8} {mode:16} HUNG past {LIMIT_S} s"
        elapsed = time.monotonic() - started
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("parrotchat: error:")]
    shape = "one line" if len(errors) == 1 and "Traceback" not in result.stderr else "BAD OUTPUT"
    models = home / "data" / "models"
    in_library = [p.name for p in models.iterdir()] if models.is_dir() else []
    return (
        f"{route:8} {mode:16} rc={result.returncode} {elapsed:6.1f} s {shape}, "
        f"library {in_library or 'empty'}: {errors[-1] if errors else result.stderr[-200:]}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hub-campaign-") as tmp:
        root = Path(tmp)
        tiny = tiny_files(root / "tiny")
        cases = [(r, m) for r in ("search", "info", "resolve", "cdn") for m in HOSTILE_MODES]
        with ThreadPoolExecutor(len(cases)) as pool:
            for line in pool.map(lambda c: run_case(root, tiny, *c), cases):
                print(line, flush=True)
        outside = [p for p in root.parent.glob("x.gguf")] + [Path("/tmp/parrot-x.gguf")]
        print(f"files written outside the data folders: {[p for p in outside if p.exists()]}")


if __name__ == "__main__":
    main()
