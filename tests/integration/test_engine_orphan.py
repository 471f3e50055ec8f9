"""If the app dies, even by kill -9, its engine process must not linger."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

# An orphaned engine stays for good: this bound only has to beat "never", on a machine
# busy with other work (it is gone in well under a second when idle; printed with -s).
GONE_S = 15.0

APP = textwrap.dedent(
    """
    import sys, time
    from parrotchat.engine.local.client import EngineClient
    from parrotchat.engine.protocol import ChatRequest, LoadRequest
    from parrotchat.engine.calls import load_model, stream_chat
    if __name__ == "__main__":
        c = EngineClient()
        c.start()
        load_model(c, LoadRequest(path=sys.argv[1], n_ctx=512, threads=2))
        print(c.pid, flush=True)
        if sys.argv[2] == "streaming":
            req = ChatRequest(messages=[{"role": "user", "content": "Tell a long story."}],
                              sampling={"max_tokens": 2000, "temperature": 0.7})
            for ev in stream_chat(c, req):
                pass
        time.sleep(60)
    """
)


def _engine_gone_after_parent_kill(starter_model: Path, tmp_path: Path, mode: str) -> float:
    script = tmp_path / "app.py"
    script.write_text(APP)
    app = subprocess.Popen(
        [sys.executable, str(script), str(starter_model), mode], stdout=subprocess.PIPE, text=True
    )
    assert app.stdout is not None
    engine_pid = int(app.stdout.readline())
    engine = psutil.Process(engine_pid)
    time.sleep(0.5)
    os.kill(app.pid, signal.SIGKILL)
    killed = time.monotonic()
    app.wait()
    while time.monotonic() - killed < GONE_S:
        if not _running(engine):
            gone = time.monotonic() - killed
            print(f"\nengine gone {gone:.2f} s after its app was killed ({mode})")
            return gone
        time.sleep(0.02)
    engine.kill()
    raise AssertionError(f"the engine outlived its app by more than {GONE_S:g} s")


def _running(proc: psutil.Process) -> bool:
    # An exited orphan stays a zombie until init reaps it, which some containers do
    # only every few seconds; a zombie holds no memory, so it counts as gone.
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_engine_exits_when_idle_app_is_killed(starter_model: Path, tmp_path: Path) -> None:
    _engine_gone_after_parent_kill(starter_model, tmp_path, "idle")


def test_engine_exits_when_app_is_killed_mid_reply(starter_model: Path, tmp_path: Path) -> None:
    _engine_gone_after_parent_kill(starter_model, tmp_path, "streaming")
