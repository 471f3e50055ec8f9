"""The window's composition root: QApplication, translators, controllers, window.

The window is shown first; the engine process starts and the model library is
scanned only after the first paint, so the window appears within a second
whatever the model's size. Nothing here imports llama_cpp: the engine process does.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import ParrotError, StorageError
from parrotchat.core.paths import AppPaths
from parrotchat.core.prompt_templates import TemplateLibrary
from parrotchat.core.servers import ServerStore
from parrotchat.core.settings import Settings, save_settings
from parrotchat.gui.app_resources import app_icon
from parrotchat.gui.chat.controller import ChatController
from parrotchat.gui.docs.embedding import QueryEmbedder
from parrotchat.gui.docs.library import DocumentLibrary
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.i18n import install_translators, ui_locale
from parrotchat.gui.main_window import MainWindow
from parrotchat.gui.models.controller import ModelController
from parrotchat.gui.platform_check import binding_problem, platform_problem
from parrotchat.gui.runtime_messages import plain
from parrotchat.gui.theme import apply_theme

STARTUP_PROBE_ENV = "PARROTCHAT_STARTUP_PROBE"  # a file to write the first-paint time to
START_FALLBACK_MS = 1500  # start the engine even if no paint event ever comes


@dataclass
class WindowSession:
    """Everything one window owns, built in one place and closed in one place."""

    paths: AppPaths
    settings: Settings
    store: ChatStore
    engine: EngineController
    models: ModelController
    chats: ChatController
    window: MainWindow
    owns_engine: bool = True
    warnings: list[str] = field(default_factory=list)  # every note for the user at start
    problems: list[str] = field(default_factory=list)  # those that need action: the banner
    _started: bool = False
    _closed: bool = False

    @classmethod
    def create(
        cls,
        paths: AppPaths,
        settings: Settings,
        *,
        engine: EngineController | None = None,
        warnings: list[str] | None = None,
        ui_lang: str | None = None,
        model: str | None = None,
    ) -> WindowSession:
        """Build the window and its controllers; `engine` may be shared (tests)."""
        paths.ensure()
        # A read-only disk still opens the window: the chats are read into memory.
        store = ChatStore(paths.chats_db, memory_fallback=True)
        store.open()
        problems = list(warnings or []) + list(store.warnings)
        try:
            recovered = store.recover_interrupted()
        except StorageError as exc:  # a full disk: they are marked at the next start
            recovered = 0
            problems.append(str(exc))
        owns_engine = engine is None
        engine = engine or EngineController()
        servers = ServerStore(paths.servers_file)
        models = ModelController(
            engine, settings, paths.models_dir, requested=model, servers=servers
        )
        chats = ChatController(store, engine, models, settings)
        documents = DocumentLibrary(
            paths.documents_db, settings=settings, models_dir=paths.models_dir
        )
        chats.documents = documents
        chats.use_query_embedder(QueryEmbedder(settings, paths.models_dir, chats))
        templates = TemplateLibrary(paths.user_templates_dir)
        problems.extend(templates.problems)
        notes = list(problems)
        if recovered:
            notes.append(
                QCoreApplication.translate(
                    "WindowSession", "Replies cut off when ParrotChat last closed were kept: %1"
                ).replace("%1", str(recovered))
            )
        lang = ui_lang or ui_locale(settings.ui_language)
        window = MainWindow(chats, models, engine, templates, settings, lang, documents)
        window.app_paths = paths
        session = cls(
            paths, settings, store, engine, models, chats, window, owns_engine, notes, problems
        )
        window.firstPainted.connect(session._schedule_start)
        window.settingsChanged.connect(session.save_settings)
        chats.unsentText.connect(window.composer.set_text)
        chats.storageRecovered.connect(window.banner.withdraw)
        return session

    def show(self) -> None:
        self.window.show()
        self.window.refresh_chat_list()
        last = self.settings.last_chat_id
        if last is not None and any(c == last for c in self.window.chat_list.chat_ids()):
            self.chats.open_chat(last)
        else:
            self.chats.open_chat(None)
        # Problems go in the banner, which stays until dismissed: the status bar would
        # show only the last of several, and only for seconds.
        if self.problems:
            title = QCoreApplication.translate("WindowSession", "ParrotChat found problems")
            self.window.banner.show_error(
                title, "\n".join(self.problems), can_retry=False, sticky=True
            )
        for note in self.warnings:
            if note not in self.problems:
                self.window.notify(note)
        QTimer.singleShot(START_FALLBACK_MS, self.start)

    def _schedule_start(self) -> None:
        probe = os.environ.get(STARTUP_PROBE_ENV)
        if probe:
            with open(probe, "w", encoding="utf-8") as f:
                json.dump({"first_paint": time.time()}, f)
        QTimer.singleShot(0, self.start)

    def start(self) -> None:
        """After the first paint: start the engine and find the models (once)."""
        if self._started:
            return
        self._started = True
        if self.owns_engine:
            self.engine.start()
        self.models.scan(load_default=True)
        self.models.list_servers()

    def save_settings(self) -> None:
        """Write the settings now (a dialog changed them)."""
        try:
            save_settings(self.paths.settings_file, self.settings)
        except StorageError as exc:
            self.window.notify(str(exc))

    def close(self) -> None:
        """Save settings and layout, stop the engine, close the store (once)."""
        if self._closed:
            return
        self._closed = True
        self.window.save_layout()
        self.window.chat_list.commit_delete()
        self.chats.detach()
        self.window.detach()
        self.models.wait_for_scan(2.0)
        self.models.wait_for_servers(2.0)
        try:
            save_settings(self.paths.settings_file, self.settings)
        except StorageError as exc:
            print(f"parrotchat: warning: {exc}", file=sys.stderr)
        if self.owns_engine:
            self.engine.shutdown()
        self.window.deleteLater()
        self.store.close()


class _Closer(QObject):
    def __init__(self, session: WindowSession) -> None:
        super().__init__()
        self.session = session

    @Slot()
    def close(self) -> None:
        self.session.close()


def run_window(ctx: Any, args: Any) -> int:
    """Open the window (`parrotchat` with no command); returns the exit code."""
    problem = platform_problem()
    if problem is not None:
        raise ParrotError(problem)
    QGuiApplication.setApplicationName("ParrotChat")
    QGuiApplication.setDesktopFileName("parrotchat")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    broken = binding_problem()
    if broken is not None:
        raise ParrotError(broken)
    app.setWindowIcon(app_icon())
    translators = install_translators(app, ui_locale(ctx.settings.ui_language))
    apply_theme(app, ctx.settings.theme)
    try:
        session = WindowSession.create(
            ctx.paths, ctx.settings, warnings=ctx.warnings, model=getattr(args, "model", None)
        )
    except StorageError as exc:
        QMessageBox.critical(None, "ParrotChat", plain(str(exc)))
        raise
    closer = _Closer(session)
    app.aboutToQuit.connect(closer.close)
    # Ctrl+C in the terminal closes the window properly (settings saved). Python runs
    # signal handlers only between bytecodes, so a timer wakes it now and then.
    signal.signal(signal.SIGINT, lambda _sig, _frame: app.closeAllWindows())
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    session.show()
    code = app.exec()
    del translators
    return int(code)
