"""A built llama-cpp-python wheel for one build variant, made once and kept in a cache.

llama-cpp-python ships only as a source package: pip compiles llama.cpp (about 8 minutes
on 2 cores). pip's own wheel cache is keyed by the source archive, not by CMAKE_ARGS, so a
wheel built natively for the developer's CPU would be reused silently for a "portable" or
"cuda" build. Each variant therefore gets its own wheel, built with `--no-cache-dir` under
that variant's CMAKE_ARGS and kept in a folder named by version, variant and a hash of the
flags (`$PARROTCHAT_BUILD_CACHE`, default `~/.cache/parrotchat-build/llama-wheels/`).

Variants:
  native  the wheel pip already built for this machine (pip's cache): fastest, but it
          uses every instruction this CPU has and may crash on an older one.
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

VARIANT_CMAKE_ARGS: dict[str, str | None] = {
    "native": None,  # whatever pip's cache holds (built with the llama.cpp defaults)
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


def cmake_args(variant: str) -> str | None:
    if variant not in VARIANT_CMAKE_ARGS:
        raise SystemExit(f"Unknown variant {variant!r} (known: {', '.join(VARIANT_CMAKE_ARGS)})")
    extra = os.environ.get("PARROTCHAT_EXTRA_CMAKE_ARGS", "").strip()
    base = VARIANT_CMAKE_ARGS[variant]
    if base is None:
        return None
    return f"{base} {extra}".strip()


def _cache_dir(version: str, variant: str, args: str) -> Path:
    tag = "|".join(
        [version, variant, args, sysconfig.get_platform(), platform.machine(), sys.version[:4]]
    )
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
    if args is None:  # native: let pip's own wheel cache answer
        folder = cache_root() / "llama-wheels" / f"{version}-native"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _run([*pip, "wheel", "--no-deps", "-w", str(folder), f"{PACKAGE}=={version}"], {}, log)
    else:
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
    ns = parser.parse_args()
    print(
        build_llama_wheel(
            ns.llama_version or installed_version(), ns.variant, [sys.executable, "-m", "pip"]
        )
    )
