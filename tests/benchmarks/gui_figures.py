"""Window figures: start-up, streaming stalls, opening a long chat, Stop, switching branches.

Run:  python tests/benchmarks/gui_figures.py [--platform offscreen|xcb] [--reps 3] [--out F]

(`--platform xcb` needs a display; under a headless machine: xvfb-run -a python ...)
Prints one JSON object:

- startup_s: process start (just before the OS starts `python -m parrotchat`) to the
  window's first paint, read from the PARROTCHAT_STARTUP_PROBE file; goal <= 1.0 s.
- stream_stall_ms: the longest gap of a 5 ms QTimer heartbeat on the GUI thread while
  a 1,500-token reply streams (ignore_eos, so the model cannot stop early) and is
  rendered at its end; goal <= 50 ms. `max_gui_thread_cpu` is the most CPU time the
  GUI thread itself spent within one gap: when `max` is much larger, the thread was
  waiting for a CPU (a loaded machine), not busy with our code.
- open_1000_ms: opening a 1,000-message chat (store read, widgets, layout, one
  synchronous repaint); goal <= 300 ms.
- stop_ms: Stop pressed mid-reply to the window repainted with the reply ended;
  goal <= 150 ms. `stop_engine_ms` is Stop to the engine's final stats arriving.
- branch_switch_ms: in a 200-message chat, ‹ or › clicked to the window repainted
  with the other branch on screen (store write, re-read, widgets, layout, paint);
  goal <= 100 ms. `mid`: the fork is at message 100 (100 messages below it change);
  `last`: the last reply has 3 versions (what Regenerate makes).
  `--branch-only` measures this alone, without the engine.

Not part of the test run: these are figures, and machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPLY_TOKENS = 1500


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def measure_startup(platform: str, reps: int) -> list[float]:
    """Seconds from process start to first paint, one fresh process per repetition."""
    results = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "probe.json"
            env = dict(os.environ, PARROTCHAT_STARTUP_PROBE=str(probe), QT_QPA_PLATFORM=platform)
            started = time.time()
            proc = subprocess.Popen(
                [sys.executable, "-m", "parrotchat", "--data-dir", str(Path(tmp) / "data")],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                deadline = time.time() + 30
                while not probe.exists() or not probe.read_text():
                    if time.time() > deadline or proc.poll() is not None:
                        raise SystemExit("the window never painted")
                    time.sleep(0.005)
                painted = json.loads(probe.read_text())["first_paint"]
                results.append((painted - started) * 1000)
            finally:
                proc.terminate()
                proc.wait(10)
    return results


def forked_chat(store: Any, fork_at: int, below: int, versions: int) -> tuple[int, int]:
    """A chat of fork_at shared messages, then `versions` versions of the next message,
    each followed by `below` more; the last version is shown. Returns (chat, fork id)."""
    from gui_helpers import fill_chat

    chat = fill_chat(store, fork_at, title=f"Forked at {fork_at}")
    fork = 0
    for version in range(versions):
        first = store.add_message(chat, "assistant", f"Version {version + 1} of the reply.")
        fork = fork or first
        for i in range(below):
            role = "user" if i % 2 == 0 else "assistant"
            store.add_message(chat, role, f"Branch {version + 1}, message {i}: **Python** `x`")
        if version < versions - 1:
            store.branch_before(chat, first)  # the next version becomes its sibling
    return chat, fork


def measure_branch_switch(session: Any, app: Any, reps: int) -> dict[str, dict[str, float]]:
    """Milliseconds from a switcher click to the other branch painted, in 200-message chats."""
    view, store = session.window.chat_view, session.store
    result = {}
    for name, fork_at, below, versions in (("mid", 100, 99, 2), ("last", 199, 0, 3)):
        chat, _fork = forked_chat(store, fork_at, below, versions)
        assert len(store.get_chat(chat).messages) == 200
        session.chats.open_chat(chat)
        app.processEvents()
        times = []
        for i in range(reps * 2 + 2):
            shown = next(m for m in view.messages if m.branch_count > 1)
            widget = view.reveal(shown.id)
            app.processEvents()
            assert widget is not None
            button = widget.branch_switcher.prev_button
            if not button.isEnabled():
                button = widget.branch_switcher.next_button
            started = time.perf_counter()
            button.click()
            app.processEvents()  # layout requests, deferred deletes: all of it counts
            session.window.repaint()
            elapsed = (time.perf_counter() - started) * 1000
            now = next(m for m in view.messages if m.branch_count > 1)
            assert now.id != shown.id, "the branch did not switch"
            if i >= 2:  # the first two warm the caches (fonts, Markdown)
                times.append(elapsed)
        result[name] = summary(times)
    return result


def branch_only(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from parrotchat.core.paths import AppPaths
    from parrotchat.core.settings import Settings
    from parrotchat.gui.main import WindowSession

    app = QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="parrot-gui-figures-"))
    session = WindowSession.create(AppPaths.portable(tmp), Settings(), ui_lang="en")
    session._started = True  # the engine is not started: switching needs none
    session.show()
    app.processEvents()
    figures = measure_branch_switch(session, app, args.reps)
    session.close()
    result = {
        "platform": app.platformName(),
        "branch_switch_ms": figures,
        "goals": {"branch_switch_ms": 100},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--startup-only", action="store_true", help="measure start-up alone")
    parser.add_argument(
        "--branch-only", action="store_true", help="measure branch switching alone (no engine)"
    )
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    if args.branch_only:
        return branch_only(args)

    startup = measure_startup(args.platform, args.reps)
    if args.startup_only:
        print(json.dumps({"platform": args.platform, "startup_ms": summary(startup)}, indent=2))
        return 0

    from gui_helpers import fill_chat
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from parrotchat.core.paths import AppPaths
    from parrotchat.core.sampling import SamplingParams
    from parrotchat.core.settings import Settings
    from parrotchat.gui.main import WindowSession

    app = QApplication([])

    def run_until(condition: Any, timeout_s: float) -> None:
        loop = QEventLoop()
        check = QTimer()
        check.setInterval(2)

        def poll() -> None:
            if condition():
                loop.quit()

        check.timeout.connect(poll)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        check.start()
        loop.exec()
        check.stop()
        if not condition():
            raise SystemExit("timed out")

    tmp = Path(tempfile.mkdtemp(prefix="parrot-gui-figures-"))
    settings = Settings()
    settings.context_length = 4096
    settings.threads = 2
    settings.sampling = SamplingParams(max_tokens=REPLY_TOKENS, temperature=0.8, seed=1)
    session = WindowSession.create(AppPaths.portable(tmp), settings, ui_lang="en")
    session.show()
    session.start()
    run_until(lambda: session.engine.loaded is not None, 120)
    window, chats = session.window, session.chats
    chats.ignore_eos = True

    # --- GUI-thread stalls while a 1,500-token reply streams ---------------------------------
    gaps: list[float] = []
    cpu_gaps: list[float] = []  # GUI-thread CPU time within each gap: our own work
    clock = QElapsedTimer()
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(5)
    last = [0]
    last_cpu = [time.thread_time()]

    def beat() -> None:
        now, cpu = clock.nsecsElapsed(), time.thread_time()
        gaps.append((now - last[0]) / 1e6)
        cpu_gaps.append((cpu - last_cpu[0]) * 1000)
        last[0], last_cpu[0] = now, cpu

    heartbeat.timeout.connect(beat)
    ended: list[dict[str, Any]] = []
    chats.replyEnded.connect(lambda _id, _status, stats: ended.append(stats))
    finished_stats: list[dict[str, Any]] = []
    session.engine.replyFinished.connect(lambda _id, stats: finished_stats.append(stats))
    clock.start()
    heartbeat.start()
    window.composer.set_text("Write a very long story about a parrot who learns to talk.")
    window.composer.send_button.click()
    run_until(lambda: bool(ended), 600)
    beats = len(gaps)
    run_until(lambda: len(gaps) > beats + 40, 5)  # the heartbeat after the final render
    heartbeat.stop()
    stream_stats = finished_stats[-1] if finished_stats else ended[-1]
    stalls = sorted(gaps)
    stall = {
        "max": round(max(gaps), 1),
        "p99": round(stalls[int(len(stalls) * 0.99)], 1),
        "median": round(statistics.median(gaps), 1),
        "max_gui_thread_cpu": round(max(cpu_gaps), 1),
        "heartbeats": len(gaps),
        "reply_tokens": stream_stats.get("reply_tokens"),
        "tokens_per_s": round(float(stream_stats.get("tokens_per_s", 0.0)), 1),
    }

    # --- opening a 1,000-message chat ------------------------------------------------------------
    long_chat = fill_chat(session.store, 1000)
    other = fill_chat(session.store, 4, title="Short chat")
    opens = []
    for _ in range(args.reps + 2):
        chats.open_chat(other)
        app.processEvents()
        started = time.perf_counter()
        chats.open_chat(long_chat)
        app.processEvents()  # layout requests, deferred deletes: all of it counts
        window.repaint()
        opens.append((time.perf_counter() - started) * 1000)
        app.processEvents()

    # --- Stop -> streaming ends on screen --------------------------------------------------------
    stops, engine_stops = [], []
    for _ in range(args.reps):
        chats.new_chat()
        finished_stats.clear()
        window.composer.set_text("Tell me another long story.")
        window.composer.send_button.click()
        run_until(
            lambda: (w := window.chat_view.streaming_widget) is not None and len(w.text) > 200,
            120,
        )
        started = time.perf_counter()
        window.composer.send_button.click()  # Stop
        window.repaint()
        assert window.chat_view.streaming_widget is None
        stops.append((time.perf_counter() - started) * 1000)
        run_until(lambda: bool(finished_stats), 30)
        engine_stops.append((time.perf_counter() - started) * 1000)

    branch_switch = measure_branch_switch(session, app, args.reps)
    session.close()
    result = {
        "platform": app.platformName(),
        "startup_ms": summary(startup),
        "stream_stall_ms": stall,
        "open_1000_ms": summary(opens),
        "stop_ms": summary(stops),
        "stop_engine_ms": summary(engine_stops),
        "branch_switch_ms": branch_switch,
        "goals": {
            "startup_ms": 1000,
            "stream_stall_ms": 50,
            "open_1000_ms": 300,
            "stop_ms": 150,
            "branch_switch_ms": 100,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
