"""A built llama-cpp-python wheel for one build variant, made once and kept in a cache.

llama-cpp-python ships only as a source package: pip compiles llama.cpp (about 8 minutes
on 2 cores). pip's own wheel cache is keyed by the source archive, not by CMAKE_ARGS, so a
wheel built natively for the developer's CPU would be reused silently for a "portable" or
"cuda" build. Each variant therefore gets its own wheel, built with `--no-cache-dir` under
that variant's CMAKE_ARGS and kept in a folder named by version, variant and a hash of the
flags (`$PARROTCHAT_BUILD_CACHE`, default `~/.cache/parrotchat-build/llama-wheels/`).

Every variant is built with COMMON_CMAKE_ARGS:
  -DGGML_LLAMAFILE=OFF  llamafile's sgemm sums a batch of tokens in another order than
                        one token, so a reply drafted ahead (checked in one batch) could
                        differ from the plain loop's at a near-tie. Without it, batched
                        logits equal single-token logits bit for bit on the CPU, and the
                        engine drafts (runtime.py, `_batched_logits_match`). Cost:
                        reading a prompt is slower where sgemm served (the starter
                        model, 1,500 tokens: about 0.8x; docs/benchmarks.md).
  -DLLAVA_BUILD=OFF     the multimodal library, which nothing here loads.

Variants:
  native  this machine's CPU (-march=native): fastest, but it uses every instruction
          this CPU has and may crash on an older one. The README's install commands
          put it into .venv (`--install`).
  cpu     portable x86-64/arm64 CPU build (-DGGML_NATIVE=OFF).
  cuda    NVIDIA GPUs (-DGGML_CUDA=on); needs the CUDA toolkit (nvcc) to build.
  metal   Apple silicon (-DGGML_METAL=on); macOS arm64 only.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

PACKAGE = "llama-cpp-python"
# The version the tests ran with (pyproject.toml allows the 0.3 series from 0.3.30).
TESTED_VERSION = "0.3.36"
COMMON_CMAKE_ARGS = "-DGGML_LLAMAFILE=OFF -DLLAVA_BUILD=OFF"

VARIANT_CMAKE_ARGS: dict[str, str] = {
    "native": "",
    "cpu": "-DGGML_NATIVE=OFF",
    "cuda": "-DGGML_CUDA=on -DGGML_NATIVE=OFF",
    "metal": "-DGGML_METAL=on -DGGML_METAL_EMBED_LIBRARY=on",
}


def installed_version(python: str = sys.executable) -> str:
    """The llama-cpp-python version installed for `python` (the one the tests ran)."""
    out = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('llama_cpp_python'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(
            "llama-cpp-python is not installed in this Python; install ParrotChat first "
            "(pip install .) or pass --llama-version"
        )
    return out.stdout.strip()


def cache_root() -> Path:
    base = os.environ.get("PARROTCHAT_BUILD_CACHE")
    if base:
        return Path(base).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "parrotchat-build"


def cmake_args(variant: str) -> str:
    if variant not in VARIANT_CMAKE_ARGS:
        raise SystemExit(f"Unknown variant {variant!r} (known: {', '.join(VARIANT_CMAKE_ARGS)})")
    extra = os.environ.get("PARROTCHAT_EXTRA_CMAKE_ARGS", "").strip()
    return " ".join(a for a in (COMMON_CMAKE_ARGS, VARIANT_CMAKE_ARGS[variant], extra) if a)


def _cpu_flags() -> str:
    """A native build uses this CPU's instructions: another CPU needs another wheel."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return next((line for line in f if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()


def _cache_dir(version: str, variant: str, args: str) -> Path:
    tag = "|".join(
        [version, variant, args, sysconfig.get_platform(), platform.machine(), sys.version[:4]]
    )
    if variant == "native":
        tag += "|" + _cpu_flags()
    digest = hashlib.sha256(tag.encode()).hexdigest()[:12]
    return cache_root() / "llama-wheels" / f"{version}-{variant}-{digest}"


def _find_wheel(folder: Path) -> Path | None:
    found = sorted(folder.glob("llama_cpp_python-*.whl")) if folder.is_dir() else []
    return found[-1] if found else None


def build_llama_wheel(version: str, variant: str, pip: list[str], log: bool = True) -> Path:
    """Return a wheel of llama-cpp-python==version for `variant`, building it if needed.

    `pip` is the pip command to build with, e.g. [python, "-m", "pip"].
    """
    args = cmake_args(variant)
    if variant == "metal" and sys.platform != "darwin":
        raise SystemExit("The metal variant builds on macOS (Apple silicon) only")
    folder = _cache_dir(version, variant, args)
    cached = _find_wheel(folder)
    if cached is not None:
        if log:
            print(f"[llama-wheel] cached {variant} wheel: {cached}", flush=True)
        return cached
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = {"CMAKE_ARGS": args}
    if "CMAKE_BUILD_PARALLEL_LEVEL" not in os.environ:
        env["CMAKE_BUILD_PARALLEL_LEVEL"] = str(os.cpu_count() or 2)
    if log:
        print(
            f"[llama-wheel] building {PACKAGE}=={version} with CMAKE_ARGS={args!r} "
            "(several minutes, once per version and variant)",
            flush=True,
        )
    # --no-cache-dir: pip's wheel cache would hand back a wheel built with other flags.
    _run(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-cache-dir",
            "--no-binary",
            PACKAGE,
            "-w",
            str(partial),
            f"{PACKAGE}=={version}",
        ],
        env,
        log,
    )
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    wheel = _find_wheel(folder)
    if wheel is None:
        raise SystemExit(f"pip built no {PACKAGE} wheel in {folder}")
    return wheel


def _run(cmd: list[str], env: dict[str, str], log: bool) -> None:
    if log:
        print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, env={**os.environ, **env}, check=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="cpu", choices=sorted(VARIANT_CMAKE_ARGS))
    parser.add_argument("--llama-version", default=None)
    parser.add_argument(
        "--install",
        action="store_true",
        help=f"install the wheel into this Python (default: --variant native, {TESTED_VERSION})",
    )
    ns = parser.parse_args()
    pip = [sys.executable, "-m", "pip"]
    if ns.install:
        variant = ns.variant if "--variant" in sys.argv else "native"
        wheel = build_llama_wheel(ns.llama_version or TESTED_VERSION, variant, pip)
        _run([*pip, "install", "--force-reinstall", "--no-deps", str(wheel)], {}, True)
        # Its dependencies come from the index, as they would with `pip install .`.
        _run([*pip, "install", str(wheel)], {}, True)
    else:
        print(build_llama_wheel(ns.llama_version or installed_version(), ns.variant, pip))
