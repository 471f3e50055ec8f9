"""A real ParrotChat window, driven like a user who keeps chatting (not a test module).

The kill -9 campaign (tests/faults/test_kill_loop.py) starts this as the app, kills
it (or its engine) at random moments and then checks the data folder. Usage:

    python tests/faults/app_driver.py DATA_DIR [--max-tokens N] [--model PATH]

One JSON object per line on stdout, each with "t" (time.monotonic(), which is the
same clock in every process on Linux):

    {"ev": "started"}                                  the window is up, the store is open
    {"ev": "loading", "engine_pid": P}                 a model load was asked for
    {"ev": "ready", "engine_pid": P}                   the model is loaded
    {"ev": "sent", "chat": C, "text": T}               the user's message is saved
    {"ev": "screen", "message": M, "text": T}          what the streaming reply shows (every 50 ms)
    {"ev": "ended", "message": M, "status": S, "text": T}
    {"ev": "crashed", "message": why}                  the engine process died
    {"ev": "banner", "title": T, "detail": D}          the error banner was shown

The "user" sends a new message whenever the app is idle, and after a crash asks
for the model again (as the model picker would) if no reload is under way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from parrotchat.core.paths import AppPaths
from parrotchat.core.sampling import SamplingParams
from parrotchat.core.settings import Settings
from parrotchat.gui.main import WindowSession

SCREEN_MS = 50
USER_PAUSE_MS = 150  # how long the "user" waits before acting on what the window shows


def emit(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}, ensure_ascii=False), flush=True)


class User:
    """Keeps one chat going: send, watch the reply stream, send again."""

    def __init__(self, session: WindowSession) -> None:
        self.session = session
        self.count = 0
        self.reloading_at = 0.0
        engine, chats, window = session.engine, session.chats, session.window
        engine.loadStarted.connect(lambda _name: emit("loading", engine_pid=engine.client.pid))
        engine.modelLoaded.connect(lambda _info: emit("ready", engine_pid=engine.client.pid))
        engine.engineCrashed.connect(lambda why: emit("crashed", message=why))
        chats.replyEnded.connect(self._ended)
        # Every time the banner is shown, even with the same title as the last time and
        # even if a new reply takes it down again within one screen sample.
        show_error = window.banner.show_error

        def shown(title: str, detail: str, *args: Any, **kwargs: Any) -> None:
            emit("banner", title=title, detail=detail)
            show_error(title, detail, *args, **kwargs)

        window.banner.show_error = shown  # type: ignore[method-assign]
        self.screen = QTimer()
        self.screen.setInterval(SCREEN_MS)
        self.screen.timeout.connect(self._watch)
        self.screen.start()
        self.act = QTimer()
        self.act.setInterval(USER_PAUSE_MS)
        self.act.timeout.connect(self._act)
        self.act.start()

    def _ended(self, message_id: int, status: str, _stats: dict[str, Any]) -> None:
        widgets = self.session.window.chat_view.message_widgets
        text = widgets[-1].text if widgets else ""
        emit("ended", message=message_id, status=status, text=text)

    def _watch(self) -> None:
        window = self.session.window
        widget = window.chat_view.streaming_widget
        if widget is not None:
            emit("screen", message=widget.message_id, text=widget.text)

    def _act(self) -> None:
        session = self.session
        engine, chats = session.engine, session.chats
        if chats.busy:
            return
        if engine.loaded is None:
            # After a crash while loading, or a second crash soon after a first, the
            # app waits for the user to ask for the model again.
            idle = not engine.is_loading and engine.is_ready
            if idle and time.monotonic() - self.reloading_at > 2.0:
                self.reloading_at = time.monotonic()
                session.models.reload()
            return
        self.count += 1
        text = f"Message {self.count} from pid {os.getpid()}: tell me about parrots."
        if chats.send(text):
            emit("sent", chat=chats.chat_id, text=text)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    settings = Settings()
    settings.context_length = 1024
    settings.threads = 2
    settings.sampling = SamplingParams(max_tokens=args.max_tokens, temperature=0.7, seed=-1)
    session = WindowSession.create(
        AppPaths.portable(args.data_dir), settings, ui_lang="en", model=args.model
    )
    session.show()
    session.chats.ignore_eos = True  # replies of a known length: kills land mid-stream
    emit("started", recovered=len(session.warnings))
    user = User(session)
    app.aboutToQuit.connect(session.close)
    code = app.exec()
    user.screen.stop()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
