"""Run by test_small_windows.py under QT_SCALE_FACTOR=2: opens the window on a chat (no
engine: the layout is what is checked), at two sizes in English and Korean, and prints
what it found as one JSON line. Arguments: a data folder, the screenshot folder."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from gui_helpers import fast_settings, fill_chat  # noqa: E402
from layout_check import clipped, hidden_in_toolbar  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from parrotchat.core.paths import AppPaths  # noqa: E402
from parrotchat.gui.engine_controller import EngineController  # noqa: E402
from parrotchat.gui.i18n import install_translators  # noqa: E402
from parrotchat.gui.main import WindowSession  # noqa: E402

SIZES = ((1280, 720), (800, 600))


def main() -> int:
    data, shots = Path(sys.argv[1]), Path(sys.argv[2])
    app = QApplication(sys.argv[:1])
    results = []
    for lang in ("en", "ko"):
        translators = install_translators(app, lang) if lang == "ko" else []
        engine = EngineController()  # never started: nothing here needs a model
        session = WindowSession.create(
            AppPaths.portable(data / lang), fast_settings(), engine=engine, ui_lang=lang
        )
        chat_id = fill_chat(session.store, 6, title="Scaled")
        window = session.window
        window.show()
        window.refresh_chat_list()
        session.chats.open_chat(chat_id)
        for width, height in SIZES:
            window.resize(width, height)
            for _ in range(20):
                app.processEvents()
            picture = window.grab()
            picture.save(str(shots / f"scaled_200_{width}x{height}_{lang}.png"), "PNG")
            results.append(
                {
                    "lang": lang,
                    "width": window.width(),
                    "height": window.height(),
                    "device_pixel_ratio": window.devicePixelRatio(),
                    "grabbed": [picture.width(), picture.height()],
                    "chat_width": window.chat_view.width(),
                    "clipped": clipped(window),
                    "hidden_in_toolbar": hidden_in_toolbar(window),
                }
            )
        window.close()
        session.window.detach()
        session.store.close()
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
