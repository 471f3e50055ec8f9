"""The top bar: the loaded model with its quantization and backend; --model for one run."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import WindowFactory, fast_settings
from pytestqt.qtbot import QtBot

from parrotchat.core.paths import AppPaths
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.main import WindowSession


def test_model_from_the_command_line_is_loaded_not_remembered(
    qtbot: QtBot, tmp_path: Path, shared_engine: EngineController, starter_model: Path
) -> None:
    settings = fast_settings()
    session = WindowSession.create(
        AppPaths.portable(tmp_path), settings, engine=shared_engine, ui_lang="en",
        model=str(starter_model),
    )  # fmt: skip
    try:
        session.show()
        session.start()
        qtbot.waitUntil(lambda: session.engine.loaded is not None, timeout=60_000)
        qtbot.waitUntil(lambda: "CPU" in session.window.model_picker.details.text(), timeout=5000)
        assert session.models.current is not None
        assert session.models.current.path == starter_model
        picker = session.window.model_picker
        assert picker.combo.currentText().startswith(session.models.current.display_name)
        assert picker.details.text() == "Q4_1 · CPU"
        assert not picker.progress.isVisible()
        assert settings.default_model is None, "--model is for this run only"
        assert session.window.context_label.text().endswith("/ 2,048 tokens")
    finally:
        session.close()


def test_changing_context_reloads_and_loading_can_be_cancelled(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window()
    window, picker = session.window, session.window.model_picker
    cancelled: list[bool] = []
    session.engine.loadCancelled.connect(lambda: cancelled.append(True))

    # Cancel the moment the reload starts, so the small model cannot finish first.
    def cancel_now(_name: str) -> None:
        session.engine.loadStarted.disconnect(cancel_now)
        picker.cancel_button.click()

    session.engine.loadStarted.connect(cancel_now)
    window.controls.context_length.setValue(1024)
    window.controls.reload_bar.apply_button.click()  # a model reloads when the user says so
    qtbot.waitUntil(lambda: bool(cancelled), timeout=15_000)
    assert session.settings.context_length == 1024
    assert "Reloading" in window.statusBar().currentMessage() or "cancelled" in (
        window.statusBar().currentMessage()
    )
    assert picker.details.text() == "Loading cancelled" and not picker.progress.isVisible()
    assert session.engine.loaded is None

    session.chats.send("Hello?")  # no model now: said in the window, with Retry to load
    assert window.banner.isVisible() and window.banner.retry_button.isVisibleTo(window)
    window.banner.retry_button.click()
    qtbot.waitUntil(lambda: session.engine.loaded is not None, timeout=60_000)
    loaded = session.engine.loaded
    assert loaded is not None and loaded["n_ctx"] == 1024
