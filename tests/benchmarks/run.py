"""ParrotChat's developer benchmark suite: every figure, as a ratio or time, reproducibly.

Run:  python tests/benchmarks/run.py --out bench.json [--reps 5] [--threads 2] [--model PATH]

Writes FILE (JSON: each figure by name, {"median", "min", "max"}), and beside it
.md (a Markdown table with the goals and the machine), .png (time to first token
per turn; decode tokens/s along a 1,500-token reply) and .details.json (machine,
raw series). Not part of
the test run: the machines are noisy, so the suite reports and never asserts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import engine_figures as ef  # noqa: E402

from parrotchat.core.models.starter import starter_model_path  # noqa: E402
from parrotchat.engine.calls import load_model  # noqa: E402
from parrotchat.engine.local.client import EngineClient  # noqa: E402
from parrotchat.engine.protocol import LoadRequest  # noqa: E402

GOALS: dict[str, tuple[str, float, str]] = {
    "decode_ratio_256": (">=", 0.97, "decode tokens/s, engine / llama.cpp direct, 256-token reply"),
    "decode_ratio_1500": (">=", 0.97, "decode tokens/s, engine / llama.cpp direct, 1,500 tokens"),
    "prefill_ratio": (">=", 0.97, "prompt tokens/s, engine / llama.cpp direct, ~1,500 tokens"),
    "ttft_turn20_over_turn1": ("<=", 1.5, "first-token time, turn 20 / turn 1 of one chat"),
    "ttft_switch_over_inchat": ("<=", 2.0, "first token after switching back / in-chat turn"),
    "cancel_ms_decode": ("<=", 100.0, "cancel → reply ended, while decoding (ms)"),
    "cancel_ms_prefill": ("<=", 300.0, "cancel → reply ended, 2,000-token prompt (ms)"),
    "gui_max_stall_ms": ("<=", 50.0, "longest GUI stall while 1,500 tokens stream (ms)"),
    "gui_open_1000_msgs_ms": ("<=", 300.0, "open a 1,000-message chat (ms)"),
    "window_shown_s": ("<=", 1.0, "process start → window shown (s)"),
    "app_rss_overhead_mb": ("<=", 150.0, "GUI + engine RSS − llama.cpp alone (MB)"),
    "stop_on_screen_ms": ("<=", 150.0, "Stop pressed → streaming ended on screen (ms)"),
    "remote_decode_ratio": (">=", 0.97, "remote decode tokens/s, ParrotChat / plain HTTP client"),
    "remote_ttft_overhead_ms": ("<=", 15.0, "remote first token, ParrotChat − plain client (ms)"),
    "remote_stop_next_ms": ("<=", 300.0, "Stop on a remote reply → next request answered (ms)"),
}

RSS_PROBE = textwrap.dedent(
    """
    import json, sys, psutil, llama_cpp
    sys.path.insert(0, sys.argv[3]); import llama_cpu; llama_cpu.apply()
    llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=int(sys.argv[2]), n_threads=2,
                          verbose=False)
    tokens = llm.tokenize(b"Tell me about parrots.")
    for t in llm.generate(tokens, temp=0.0):
        tokens.append(t)
        if len(tokens) > 60:
            break
    print(json.dumps({"rss_mb": psutil.Process().memory_info().rss / 2**20}))
    """
)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def llama_alone_rss(model: str, n_ctx: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, model, str(n_ctx), str(HERE.parent)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"])


APP_RSS_PROBE = textwrap.dedent(
    """
    import json, sys, tempfile, time
    from pathlib import Path
    import psutil
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication
    from parrotchat.core.paths import AppPaths
    from parrotchat.core.settings import Settings
    from parrotchat.gui.main import WindowSession

    app = QApplication([])
    settings = Settings()
    settings.context_length = int(sys.argv[2])
    settings.threads = 2
    settings.default_model = sys.argv[1]
    session = WindowSession.create(AppPaths.portable(Path(tempfile.mkdtemp())), settings,
                                   ui_lang="en")
    session.show()
    session.start()

    def wait(cond, timeout):
        loop = QEventLoop()
        t = QTimer()
        t.timeout.connect(lambda: loop.quit() if cond() else None)
        t.start(5)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        t.stop()

    wait(lambda: session.engine.loaded is not None, 120)
    ended = []
    session.chats.replyEnded.connect(lambda *a: ended.append(a))
    session.window.composer.set_text("Tell me about parrots.")
    session.window.composer.send_button.click()
    wait(lambda: bool(ended), 120)
    wait(lambda: False, 1.0)  # let the view settle
    gui = psutil.Process().memory_info().rss / 2**20
    engine = psutil.Process(session.engine.client.pid).memory_info().rss / 2**20
    print(json.dumps({"gui_rss_mb": gui, "engine_rss_mb": engine}))
    session.close()
    """
)


def app_rss(model: str, n_ctx: int) -> float:
    """GUI process + engine process RSS after one reply, the window offscreen."""
    out = subprocess.run(
        [sys.executable, "-c", APP_RSS_PROBE, model, str(n_ctx)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if out.returncode != 0:
        raise RuntimeError(f"the window RSS probe failed: {out.stderr[-2000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["gui_rss_mb"]) + float(data["engine_rss_mb"])


def gui_figures() -> dict[str, float]:
    """One run of gui_figures.py (a fresh window, a 1,500-token stream, a long chat)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "gui_figures.py"), "--reps", "1"],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if out.returncode != 0:
        raise RuntimeError(f"gui_figures.py failed: {out.stderr[-2000:]}")
    data = json.loads(out.stdout[out.stdout.index("{") :])
    return {
        "window_shown_s": data["startup_ms"]["median"] / 1000,
        "gui_max_stall_ms": data["stream_stall_ms"]["max"],
        "gui_open_1000_msgs_ms": data["open_1000_ms"]["median"],
        "stop_on_screen_ms": data["stop_ms"]["median"],
    }


def windowed_rate(stamps: list[float], window: int = 100) -> list[tuple[int, float]]:
    """Tokens/s over each `window` tokens along a reply: (token index, rate)."""
    points = []
    for end in range(window, len(stamps), window):
        dt = stamps[end] - stamps[end - window]
        points.append((end, window / dt if dt > 0 else 0.0))
    return points


def machine() -> dict[str, Any]:
    import psutil

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Machine: {result['machine']['os']}, {result['machine']['cores_logical']} cores, "
        f"{result['machine']['ram_gb']} GB RAM; model {result['model']}, "
        f"{result['threads']} threads; {result['reps']} repetitions; {result['machine']['date']}.",
        "",
        "| figure | median | min – max | goal | met | what |",
        "|---|---|---|---|---|---|",
    ]
    for name, (op, goal, what) in GOALS.items():
        fig = result["figures"].get(name)
        if fig is None:
            lines.append(f"| `{name}` | not measured | | {op} {goal:g} | | {what} |")
            continue
        met = fig["median"] >= goal if op == ">=" else fig["median"] <= goal
        lines.append(
            f"| `{name}` | {fig['median']:.3g} | {fig['min']:.3g} – {fig['max']:.3g} | "
            f"{op} {goal:g} | {'yes' if met else '**no**'} | {what} |"
        )
    return "\n".join(lines) + "\n"


def chart(result: dict[str, Any], path: Path) -> None:
    """Two panels drawn with Qt (already a dependency): no plotting library needed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen

    _app = QGuiApplication.instance() or QGuiApplication([])
    img = QImage(1200, 480, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setFont(QFont("Sans", 10))

    def panel(
        rect: QRectF,
        title: str,
        xlabel: str,
        ylabel: str,
        lines: list[tuple[str, QColor, list[tuple[float, float]]]],
    ) -> None:
        xs = [x for _, _, pts in lines for x, _ in pts] or [0.0, 1.0]
        ys = [y for _, _, pts in lines for _, y in pts] or [0.0, 1.0]
        x0, x1, y1 = min(xs), max(xs) or 1.0, max(ys) * 1.1 or 1.0
        inner = rect.adjusted(60, 30, -20, -45)
        p.setPen(QPen(QColor("black"), 1))
        p.drawRect(inner)
        p.drawText(
            QRectF(rect.left(), rect.top(), rect.width(), 24), Qt.AlignmentFlag.AlignCenter, title
        )
        p.drawText(
            QRectF(inner.left(), inner.bottom() + 22, inner.width(), 20),
            Qt.AlignmentFlag.AlignCenter,
            xlabel,
        )
        p.save()
        p.translate(rect.left() + 14, inner.center().y())
        p.rotate(-90)
        p.drawText(
            QRectF(-inner.height() / 2, -10, inner.height(), 20),
            Qt.AlignmentFlag.AlignCenter,
            ylabel,
        )
        p.restore()
        for i in range(5):
            v = y1 * i / 4
            y = inner.bottom() - inner.height() * i / 4
            p.setPen(QPen(QColor("#dddddd"), 1))
            p.drawLine(QPointF(inner.left(), y), QPointF(inner.right(), y))
            p.setPen(QPen(QColor("black"), 1))
            p.drawText(
                QRectF(inner.left() - 58, y - 8, 54, 16), Qt.AlignmentFlag.AlignRight, f"{v:.3g}"
            )
        for j in range(5):
            v = x0 + (x1 - x0) * j / 4
            x = inner.left() + inner.width() * j / 4
            p.drawText(
                QRectF(x - 30, inner.bottom() + 4, 60, 16), Qt.AlignmentFlag.AlignCenter, f"{v:.0f}"
            )

        def to_px(x: float, y: float) -> QPointF:
            fx = (x - x0) / (x1 - x0) if x1 > x0 else 0.5
            return QPointF(
                inner.left() + fx * inner.width(), inner.bottom() - y / y1 * inner.height()
            )

        for k, (label, color, pts) in enumerate(lines):
            p.setPen(QPen(color, 2))
            for a, b in itertools.pairwise(pts):
                p.drawLine(to_px(*a), to_px(*b))
            for pt in pts:
                p.drawEllipse(to_px(*pt), 2.5, 2.5)
            p.drawText(
                QRectF(inner.right() - 200, inner.top() + 6 + 18 * k, 190, 16),
                Qt.AlignmentFlag.AlignRight,
                label,
            )

    series = result["series"]
    ttft = [(i + 1.0, t * 1000) for i, t in enumerate(series["ttft_per_turn_s"])]
    panel(
        QRectF(0, 0, 600, 480),
        "Time to first token per turn (one 20-turn chat)",
        "turn",
        "ms",
        [("ParrotChat engine", QColor("#1f77b4"), ttft)],
    )
    panel(
        QRectF(600, 0, 600, 480),
        "Decode speed along a 1,500-token reply",
        "reply length (tokens)",
        "tokens/s",
        [
            (
                "llama.cpp direct",
                QColor("#7f7f7f"),
                [(float(x), y) for x, y in series["decode_rate_direct"]],
            ),
            (
                "ParrotChat engine",
                QColor("#d62728"),
                [(float(x), y) for x, y in series["decode_rate_engine"]],
            ),
        ],
    )
    p.end()
    img.save(str(path))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="JSON file to write (.md and .png beside it)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--skip-gui", action="store_true", help="engine figures only")
    ap.add_argument("--skip-remote", action="store_true", help="no llama-cpp-python server run")
    args = ap.parse_args()
    model = args.model or str(starter_model_path())
    n_ctx = ef.N_CTX
    figures: dict[str, dict[str, float]] = {}
    series: dict[str, Any] = {}

    client = EngineClient()
    client.start()
    load_model(client, LoadRequest(path=model, n_ctx=n_ctx, threads=args.threads))
    direct = ef.Direct(model, args.threads)
    d256 = ef.decode_ratio(client, direct, 256, args.reps)
    d1500 = ef.decode_ratio(client, direct, 1500, args.reps)
    figures["decode_ratio_256"] = summary(d256["ratios"])
    figures["decode_ratio_1500"] = summary(d1500["ratios"])
    series["decode_rate_direct"] = windowed_rate(d1500["series"]["direct"])
    series["decode_rate_engine"] = windowed_rate(d1500["series"]["engine"])
    figures["prefill_ratio"] = summary(ef.prefill_ratio(client, direct, args.reps))
    del direct
    turn_ratios = []
    for _ in range(args.reps):
        client.close()  # a fresh engine per chat: turn 1 is a cold start for every repetition
        client = EngineClient()
        client.start()
        load_model(client, LoadRequest(path=model, n_ctx=n_ctx, threads=args.threads))
        per_turn = ef.ttft_turns(client)
        turn_ratios.append(per_turn[-1] / per_turn[0])
        series["ttft_per_turn_s"] = per_turn
    figures["ttft_turn20_over_turn1"] = summary(turn_ratios)
    switch = ef.ttft_switch(client, args.reps)
    figures["ttft_switch_over_inchat"] = summary(switch["ratio"])
    cancel = ef.cancel_latency(client, args.reps)
    figures["cancel_ms_decode"] = summary(cancel["decode_ms"])
    if cancel["prefill_ms"]:
        figures["cancel_ms_prefill"] = summary(cancel["prefill_ms"])
    client.close()

    if not args.skip_remote:
        import remote_figures  # a llama-cpp-python server on the same model (tests/benchmarks)

        figures.update(remote_figures.measure(model, args.threads, args.reps, 256)["figures"])
    print(json.dumps(figures), flush=True)  # the engine half, in case a later stage fails
    if not args.skip_gui and (HERE / "gui_figures.py").exists():
        gui_runs = [gui_figures() for _ in range(args.reps)]
        for key in (
            "gui_max_stall_ms",
            "gui_open_1000_msgs_ms",
            "window_shown_s",
            "stop_on_screen_ms",
        ):
            values = [float(r[key]) for r in gui_runs if key in r]
            if values:
                figures[key] = summary(values)
        overhead = []
        for _ in range(args.reps):
            alone = llama_alone_rss(model, n_ctx)
            overhead.append(app_rss(model, n_ctx) - alone)
        figures["app_rss_overhead_mb"] = summary(overhead)

    meta = {
        "model": Path(model).name,
        "threads": args.threads,
        "reps": args.reps,
        "machine": machine(),
        "figures": figures,
        "series": series,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The JSON holds the figures alone, by name; the run's details go beside it.
    out.write_text(json.dumps(figures, indent=2))
    out.with_suffix(".details.json").write_text(json.dumps(meta, indent=2))
    out.with_suffix(".md").write_text(markdown(meta))
    chart(meta, out.with_suffix(".png"))
    print(markdown(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
