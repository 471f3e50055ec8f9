"""The one-folder app from packaging/build.py: it chats, finds its files, opens its window."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from doc_factory import make_docx, make_hwp, make_pdf
from packaging_helpers import FrozenApp

pytestmark = [pytest.mark.build, pytest.mark.timeout(2700)]

STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SIZE_GOAL_MB = 200
GUI_SECONDS = 6.0
ERROR_WORDS = ("Traceback", "Error", "error:", "Could not load", "Cannot ", "QObject::")


def snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime)
        for p in folder.rglob("*")
    }


def files_under(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def self_test(app: FrozenApp, tmp: Path, *args: str, **env: str) -> dict[str, object]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    done = subprocess.run(
        [str(app.exe), "--self-test", "--json", "--data-dir", str(tmp / "data"), *args],
        env=app.env(home, **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_folder_has_what_the_app_needs(frozen_app: FrozenApp) -> None:
    internal = frozen_app.folder / "_internal"
    lib = internal / "llama_cpp" / "lib"
    names = {p.name for p in lib.iterdir()}
    assert {"libllama.so", "libggml.so", "libggml-base.so", "libggml-cpu.so"} <= names
    assert (internal / "parrotchat" / "resources" / "templates" / "translate.json").is_file()
    assert (internal / "models" / STARTER_FILE).is_file()
    qt = internal / "PySide6" / "Qt"
    assert (qt / "plugins" / "platforms" / "libqoffscreen.so").is_file()
    assert (qt / "plugins" / "platforms" / "libqxcb.so").is_file()
    unwanted = ("WebEngine", "Qml", "Quick", "Multimedia", "Pdf", "3D", "Network")
    collected = [p.name for p in internal.rglob("libQt6*")]
    assert not [n for n in collected if any(u in n for u in unwanted)], collected
    translations = sorted(p.name for p in (qt / "translations").glob("*.qm"))
    assert all(n.startswith("qtbase_ko") for n in translations), translations
    assert (frozen_app.folder / "parrotchat.desktop").is_file()


def test_size_without_model_is_within_goal(frozen_app: FrozenApp) -> None:
    files = [p for p in frozen_app.folder.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files if p.parent.name != "models")
    assert total / 2**20 < SIZE_GOAL_MB, f"{total / 2**20:.0f} MiB"


def test_version_runs_without_python(frozen_app: FrozenApp, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(frozen_app.exe), "--version"],
        env=frozen_app.env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.startswith("ParrotChat ")


def test_self_test_finds_the_bundled_starter_and_writes_only_to_its_data_dir(
    frozen_app: FrozenApp, tmp_path: Path
) -> None:
    before = snapshot(frozen_app.folder)
    report = self_test(frozen_app, tmp_path)
    assert report["ok"] is True
    assert report["backend"] == "CPU"
    assert Path(str(report["model_path"])).is_relative_to(frozen_app.folder)
    assert int(str(report["tokens"])) > 0
    assert snapshot(frozen_app.folder) == before, "the app wrote into its own folder"
    assert files_under(tmp_path / "home") == [], "the app wrote outside --data-dir"
    assert (tmp_path / "data" / "config").is_dir(), "the data dir was not used"


def test_self_test_with_model_argument(frozen_app: FrozenApp, tmp_path: Path) -> None:
    model = tmp_path / "models-elsewhere" / "parrot.gguf"
    model.parent.mkdir()
    shutil.copy2(frozen_app.folder / "_internal" / "models" / STARTER_FILE, model)
    # A starter that is not there: only --model can make this pass.
    report = self_test(
        frozen_app, tmp_path, "--model", str(model), PARROTCHAT_STARTER_MODEL="/nonexistent.gguf"
    )
    assert report["ok"] is True
    assert report["model_path"] == str(model)


def test_documents_of_every_binary_format_are_read_by_the_frozen_app(
    frozen_app: FrozenApp, tmp_path: Path
) -> None:
    """PDFium, python-docx and olefile travel with the app: a PDF, a DOCX and an HWP are
    indexed and found by the built executable, with no Python on the path."""
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "manual.pdf", ["Intro page", "The parrot sleeps in the kitchen."])
    make_docx(docs / "memo.docx", ["Budget: the parrot eats sunflower seeds."])
    make_hwp(docs / "notice.hwp", ["앵무새는 해바라기씨를 좋아합니다."])
    data = ["--data-dir", str(tmp_path / "data")]
    env = frozen_app.env(tmp_path / "home")
    added = subprocess.run(
        [str(frozen_app.exe), *data, "docs", "add", str(docs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    found = {}
    for query in ("kitchen", "sunflower", "해바라기씨"):
        done = subprocess.run(
            [str(frozen_app.exe), *data, "docs", "search", query, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        found[query] = [Path(r["file"]).name for r in json.loads(done.stdout)["results"]]
    assert found["kitchen"][:1] == ["manual.pdf"]
    assert found["sunflower"][:1] == ["memo.docx"]
    assert found["해바라기씨"][:1] == ["notice.hwp"]


def test_engine_is_the_executable_itself(frozen_app: FrozenApp, tmp_path: Path) -> None:
    """multiprocessing 'spawn' in a frozen app re-runs the executable, not a Python."""
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.Popen(
        [str(frozen_app.exe), "--self-test", "--data-dir", str(tmp_path / "data")],
        env=frozen_app.env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine: list[str] = []
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        while not engine and time.monotonic() < deadline and proc.poll() is None:
            for child in parent.children(recursive=True):
                try:
                    cmdline = child.cmdline()
                except psutil.Error:
                    continue
                if "--multiprocessing-fork" in cmdline:
                    engine = cmdline
            time.sleep(0.05)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert engine, "no engine process was seen"
    assert os.path.realpath(engine[0]) == os.path.realpath(frozen_app.exe)


def test_window_opens_offscreen_and_engine_follows_it(
    frozen_app: FrozenApp, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    probe = tmp_path / "first-paint.json"
    started = time.time()
    proc = subprocess.Popen(
        [str(frozen_app.exe), "--data-dir", str(tmp_path / "data")],
        env=frozen_app.env(home, PARROTCHAT_STARTUP_PROBE=str(probe)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engines: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 30
        while not probe.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(GUI_SECONDS)  # the engine starts and loads the starter model meanwhile
        assert proc.poll() is None, "the window closed by itself"
        engines = [
            c
            for c in psutil.Process(proc.pid).children(recursive=True)
            if "--multiprocessing-fork" in c.cmdline()
        ]
        # No quit hook exists for an offscreen window: end it as a session manager would.
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert probe.exists(), f"no first paint\n{err}"
    paint_s = json.loads(probe.read_text())["first_paint"] - started
    print(f"\n[window] launch -> first paint: {paint_s:.2f} s")
    assert paint_s < 10
    bad = [line for line in err.splitlines() if any(w in line for w in ERROR_WORDS)]
    assert not bad, err
    assert engines, "the window started no engine process"
    _gone, alive = psutil.wait_procs(engines, timeout=5)
    assert not alive, "the engine outlived the window"


def test_linux_desktop_install_per_user(frozen_app: FrozenApp, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "PATH": "/usr/bin:/bin",
    }
    script = frozen_app.folder / "install.sh"
    subprocess.run(["sh", str(script), "--in-place"], env=env, check=True, timeout=60)
    desktop = home / ".local" / "share" / "applications" / "parrotchat.desktop"
    text = desktop.read_text()
    assert f'Exec="{frozen_app.exe}"' in text
    assert f"TryExec={frozen_app.exe}" in text
    assert os.readlink(home / ".local" / "bin" / "parrotchat") == str(frozen_app.exe)
    bundled = frozen_app.folder / "_internal" / "parrotchat" / "resources" / "icons"
    hicolor = home / ".local" / "share" / "icons" / "hicolor"
    if (bundled / "parrotchat.svg").is_file():
        assert (hicolor / "scalable" / "apps" / "parrotchat.svg").is_file()
    if (bundled / "parrotchat.png").is_file():
        assert list(hicolor.glob("*x*/apps/parrotchat.png"))
    validate = shutil.which("desktop-file-validate")
    if validate:
        subprocess.run([validate, str(desktop)], check=True)
    subprocess.run(["sh", str(script), "--uninstall"], env=env, check=True, timeout=60)
    assert not desktop.exists()
    assert frozen_app.exe.is_file(), "--uninstall after --in-place must keep the folder"
