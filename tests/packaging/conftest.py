"""The frozen app, built once per test session with packaging/build.py.

The build goes to build/test-dist/ (never the developer's dist/) and reuses the build
environment build/venv-pyinstaller and the cached llama-cpp-python wheel, so only the first
session on a machine compiles llama.cpp. PARROTCHAT_TEST_BUILD_VARIANT picks the variant
(default: cpu, the portable one that ships).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from packaging_helpers import ROOT, FrozenApp

BUILD_TIMEOUT_S = 2400  # a first build compiles llama.cpp (about 8 minutes on 2 cores)


@pytest.fixture(scope="session")
def frozen_app() -> Iterator[FrozenApp]:
    if not sys.platform.startswith("linux"):
        pytest.skip("the frozen-app tests run on Linux (CI's platform)")
    dist = ROOT / "build" / "test-dist"
    variant = os.environ.get("PARROTCHAT_TEST_BUILD_VARIANT", "cpu")
    started = time.perf_counter()
    cmd = [
        sys.executable,
        str(ROOT / "packaging" / "build.py"),
        "--variant",
        variant,
        "--with-starter-model",
        "--dist",
        str(dist),
        "--work",
        str(ROOT / "build" / f"pyinstaller-test-{variant}"),
    ]
    done = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        tail = f"{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
        pytest.fail(f"build failed ({done.returncode}):\n{tail}")
    build_s = time.perf_counter() - started
    print(f"\n[frozen_app] built in {build_s:.0f} s")
    yield FrozenApp(dist / "ParrotChat", dist / "ParrotChat" / "ParrotChat", build_s)
