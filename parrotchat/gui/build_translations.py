"""Build the window's translations: `python -m parrotchat.gui.build_translations`.

1. `pyside6-lupdate` collects every tr()/translate() string of parrotchat/gui into
   resources/translations/parrotchat_<lang>.ts (translations already there are kept;
   new strings come in marked unfinished, for a translator to fill in with Qt Linguist
   or a text editor).
2. `pyside6-lrelease` compiles each .ts into the .qm the app loads.

The .qm files are committed (they are small) so that an install without the Qt
tools still speaks Korean; tests/gui/test_translation.py fails when a .qm is older
than its .ts. `--check` only compiles (no lupdate), for a build without sources.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

LANGUAGES = ("ko",)
GUI_DIR = Path(__file__).resolve().parent
REPO = GUI_DIR.parents[1]
TRANSLATIONS = REPO / "resources" / "translations"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: pip install PySide6-Essentials (it ships the tool)")
    return found


def update_sources() -> None:
    sources = sorted(str(p.relative_to(REPO)) for p in GUI_DIR.rglob("*.py"))
    for lang in LANGUAGES:
        ts = TRANSLATIONS / f"parrotchat_{lang}.ts"
        subprocess.run(
            [_tool("pyside6-lupdate"), "-silent", "-locations", "none", "-no-obsolete",
             *sources, "-target-language", lang, "-ts", str(ts.relative_to(REPO))],
            check=True, cwd=REPO,
        )  # fmt: skip


def compile_all() -> list[Path]:
    built = []
    for lang in LANGUAGES:
        ts = TRANSLATIONS / f"parrotchat_{lang}.ts"
        qm = ts.with_suffix(".qm")
        subprocess.run([_tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        built.append(qm)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compile only, no lupdate")
    args = parser.parse_args(argv)
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    if not args.check:
        update_sources()
    for qm in compile_all():
        print(f"built {qm.relative_to(REPO)} ({qm.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
