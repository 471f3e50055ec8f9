"""The main window: chats on the left, the chat in the middle, controls on the right.

The child widgets never know each other: `_connect_signals` wires them to the
controllers, and the controllers' signals back to the widgets.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.chats.export import export_json, export_markdown
from parrotchat.core.errors import ParrotError, StorageError, TemplateError
from parrotchat.core.prompt_templates import TemplateLibrary
from parrotchat.core.settings import Settings
from parrotchat.gui.chat.chat_list import ChatListPanel
from parrotchat.gui.chat.chat_view import ChatView
from parrotchat.gui.chat.composer import Composer
from parrotchat.gui.chat.controller import ChatController
from parrotchat.gui.chat.controls_panel import ControlsPanel
from parrotchat.gui.chat.template_editor import TemplateEditor
from parrotchat.gui.chat.template_picker import TemplateBar, TemplateDialog, render
from parrotchat.gui.docs.dialog import DocumentsDialog
from parrotchat.gui.docs.library import DocumentLibrary
from parrotchat.gui.docs.picker import DocumentsPicker
from parrotchat.gui.engine_controller import EngineController
from parrotchat.gui.error_banner import ErrorBanner
from parrotchat.gui.models.controller import ModelController
from parrotchat.gui.models.dialog import ModelsDialog
from parrotchat.gui.models.model_picker import ModelPicker
from parrotchat.gui.no_model_banner import NoModelBanner
from parrotchat.gui.runtime_messages import localize
from parrotchat.gui.serving.serve_panel import ServePanel
from parrotchat.gui.serving.window_server import WindowServer
from parrotchat.gui.side_panels import SidePanels
from parrotchat.gui.small_model_note import SmallModelNote
from parrotchat.gui.theme import apply_theme
from parrotchat.gui.window_actions import WindowActions

if TYPE_CHECKING:
    from parrotchat.core.chats.records import Chat, ChatSummary
    from parrotchat.core.chats.settings import ChatSettings
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.core.paths import AppPaths
    from parrotchat.gui.models.remote_models import RemoteChoice

APP_TITLE = "ParrotChat"
# The narrowest the chat column may be squeezed to when the user shows a side panel in
# a small window (see side_panels.py: the panels fold first, so it is rarely reached).
CENTER_MIN_WIDTH = 320


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: str | None) -> QByteArray | None:
    if not text:
        return None
    try:
        return QByteArray(base64.b64decode(text))
    except ValueError:
        return None


class MainWindow(QMainWindow):
    """The ParrotChat window.

    Signals:
        firstPainted(): the window has been painted once (start the engine now).
        settingsChanged(): settings were changed in a dialog; write them to disk.
    """

    firstPainted = Signal()
    settingsChanged = Signal()

    def __init__(
        self,
        chats: ChatController,
        models: ModelController,
        engine: EngineController,
        templates: TemplateLibrary,
        settings: Settings,
        ui_lang: str,
        documents: DocumentLibrary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.chats = chats
        self.documents = documents
        self.documents_dialog: DocumentsDialog | None = None
        self.models = models
        self.engine = engine
        self._error_after_crash = -1  # engine.crashes when the banner last showed an error
        self._asked_context: int | None = None  # a context length set in the controls
        self.templates = templates
        self.settings = settings
        self.ui_lang = ui_lang
        self._painted = False
        self.app_paths: AppPaths | None = None  # set by the composition root
        self.models_dialog: ModelsDialog | None = None
        self.setWindowTitle(APP_TITLE)
        self._default_size()

        self.actions_ = WindowActions(self, settings.ui_language, settings.theme)
        self.model_picker = ModelPicker()
        toolbar = QToolBar(self.tr("Model"))
        toolbar.setObjectName("modelToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.actions_.show_chat_list)
        toolbar.addWidget(self.model_picker)
        toolbar.addAction(self.actions_.show_controls)
        self.addToolBar(toolbar)
        self._toolbar = toolbar

        self.chat_list = ChatListPanel()
        self.banner = ErrorBanner()
        self.chat_view = ChatView()
        self.chat_view.history = chats.store.messages_before  # a long chat's older pages
        self.template_bar = TemplateBar(templates, ui_lang)
        self.composer = Composer()
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(6, 6, 6, 6)
        center_layout.addWidget(self.banner)
        self.no_model = NoModelBanner(Path(self.models.models_dir))
        center_layout.addWidget(self.no_model)
        center_layout.addWidget(self.chat_view, 1)
        self.small_model_note = SmallModelNote()
        center_layout.addWidget(self.small_model_note)
        center_layout.addWidget(self.template_bar)
        self.documents_picker = DocumentsPicker()
        self.documents_picker.setVisible(documents is not None)
        center_layout.addWidget(self.documents_picker)
        center_layout.addWidget(self.composer)
        self.controls = ControlsPanel()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.chat_list)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.controls)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([220, 620, 330])
        center.setMinimumWidth(CENTER_MIN_WIDTH)
        self.setCentralWidget(self.splitter)

        self.context_label = QLabel()
        self.statusBar().addPermanentWidget(self.context_label)
        self.server = WindowServer(engine, settings, self)
        self.serve_panel = ServePanel(self.server)
        self.statusBar().addPermanentWidget(self.serve_panel)
        self.controls.set_chat_settings(chats.chat_settings)
        self.controls.set_model_settings(
            settings.context_length, settings.gpu_layers, settings.threads
        )
        self._connect_signals()
        self._restore_layout()
        self.panels = SidePanels(
            self.splitter,
            (self.actions_.show_chat_list, self.actions_.show_controls),
            settings,
        )
        self.panels.noticePosted.connect(self.notify)
        self.setMinimumWidth(self._toolbar_width())
        self.installEventFilter(self)

    # --- wiring ----------------------------------------------------------------------------

    def _connect_signals(self) -> None:
        a = self.actions_
        a.new_chat.triggered.connect(self.chats.new_chat)
        a.manage_models.triggered.connect(lambda: self.open_models())
        a.documents.triggered.connect(self.open_documents)
        a.documents.setEnabled(self.documents is not None)
        self.documents_picker.manageRequested.connect(self.open_documents)
        self.documents_picker.selectionChanged.connect(self.chats.set_documents)
        # The index is opened when documents are first wanted, not at start.
        self.documents_picker.menuOpening.connect(self._collections_changed)
        if self.documents is not None:
            self.documents.collectionsChanged.connect(self._collections_changed)
        a.export_markdown.triggered.connect(self._export_markdown)
        a.export_json.triggered.connect(self._export_json)
        a.quit.triggered.connect(self.close)
        a.find.triggered.connect(self.chat_list.focus_search)
        a.focus_composer.triggered.connect(self.composer.edit.setFocus)
        a.stop.triggered.connect(self.chats.stop)
        a.regenerate.triggered.connect(self.chats.regenerate)
        a.about.triggered.connect(self._about)
        a.serve.toggled.connect(self._serve_toggled)
        self.server.servingChanged.connect(a.serve.setChecked)
        self.server.noticePosted.connect(self.notify)
        a.language_group.triggered.connect(self._language_chosen)
        a.theme_group.triggered.connect(self._theme_chosen)

        self.chat_list.newChatRequested.connect(self.chats.new_chat)
        self.chat_list.chatSelected.connect(self.chats.open_chat)
        self.chat_list.searchChanged.connect(self.search)
        self.chat_list.resultActivated.connect(self._open_result)
        self.chat_list.renameRequested.connect(self.chats.rename_chat)
        self.chat_list.pinRequested.connect(self.chats.set_pinned)
        self.chat_list.deleteStarted.connect(self._chat_hidden)
        self.chat_list.deleteConfirmed.connect(self.chats.delete_chat)

        self.composer.sendRequested.connect(self.chats.send)
        self.composer.editSubmitted.connect(self.chats.edit_and_resend)
        self.composer.stopRequested.connect(self.chats.stop)
        self.chat_view.editRequested.connect(self.composer.begin_edit)
        self.chat_view.regenerateRequested.connect(self.chats.regenerate)
        self.chat_view.branchRequested.connect(self.chats.switch_branch)
        self.banner.retryRequested.connect(self.chats.retry)

        self.template_bar.templateChosen.connect(self._apply_template)
        self.template_bar.templateChosen.connect(self._check_model_size)
        self.small_model_note.recommendedRequested.connect(lambda: self.open_models("recommended"))
        self.template_bar.previewRequested.connect(self._preview_template)
        self.template_bar.newTemplateRequested.connect(self._new_template)

        self.controls.chatSettingsEdited.connect(self.chats.update_chat_settings)
        self.controls.saveDefaultsRequested.connect(self.chats.save_settings_as_defaults)
        self.controls.contextPreview.connect(self._show_fit)
        self.controls.modelSettingsEdited.connect(self._model_settings_edited)

        self.model_picker.modelSelected.connect(self.models.choose)
        self.model_picker.remoteSelected.connect(self.models.choose_remote)
        self.model_picker.cancelLoadRequested.connect(self.engine.cancel_load)

        self.chats.chatOpened.connect(self._chat_opened)
        self.chats.chatsChanged.connect(self.refresh_chat_list)
        self.chats.messageAdded.connect(self.chat_view.add_message)
        self.chats.messagesRemoved.connect(self.chat_view.remove_from)
        self.chats.branchSwitched.connect(self.chat_view.switch_branch)
        self.chats.revealRequested.connect(self.chat_view.reveal)
        self.chats.replyStarted.connect(self._reply_started)
        self.chats.replyProgress.connect(self.chat_view.show_prompt_progress)
        self.chats.replyChunk.connect(self.chat_view.append_reply)
        self.chats.replyEnded.connect(self.chat_view.end_reply)
        self.chats.replyStatsUpdated.connect(self.chat_view.update_stats)
        self.chats.busyChanged.connect(self._busy_changed)
        self.chats.errorOccurred.connect(self._show_error)
        self.chats.contextUsage.connect(self._show_context_usage)
        self.chats.settingsChanged.connect(self.controls.set_chat_settings)
        self.chats.settingsChanged.connect(self._chat_documents)
        self.chats.noticePosted.connect(self.notify)

        self.models.modelsListed.connect(self._models_listed)
        self.models.modelChosen.connect(self._model_chosen)
        self.models.remoteChosen.connect(self._remote_chosen)
        self.models.serversListed.connect(self.model_picker.set_servers)
        self.models.problemFound.connect(self._model_problem)
        self.models.noModelFound.connect(self.no_model.show_banner)
        self.no_model.importChosen.connect(self._import_first_model)
        self.no_model.downloadRequested.connect(lambda: self.open_models("recommended"))
        self.models.noticePosted.connect(self.notify)

        for signal, slot in self._engine_links():
            signal.connect(slot)

    def _engine_links(self) -> list[tuple[Any, Any]]:
        e = self.engine
        return [
            (e.engineReady, self._engine_ready),
            (e.loadStarted, self.model_picker.show_loading),
            (e.loadProgress, self.model_picker.set_progress),
            (e.modelLoaded, self._model_loaded),
            (e.loadFailed, self._load_failed),
            (e.loadCancelled, self._load_cancelled),
            (e.engineCrashed, self._engine_crashed),
        ]

    def detach(self) -> None:
        """Stop listening to the engine and the controllers (the window closes)."""
        self.server.stop()
        if self.documents is not None:
            self.documents.close()
        for signal, slot in self._engine_links():
            signal.disconnect(slot)
        if self.models_dialog is not None:
            self.models_dialog.stop()

    # --- the Models window ---------------------------------------------------------------------

    @Slot()
    def open_models(self, tab: str | None = None) -> ModelsDialog:
        """Show the Models window (made once, kept while downloads run), at `tab` if given."""
        if self.models_dialog is None:
            paths = self.app_paths
            downloads = paths.downloads_dir if paths else Path(self.models.models_dir) / ".dl"
            self.models_dialog = ModelsDialog(self.models, downloads, paths, self)
            self.models_dialog.settingsChanged.connect(self.settingsChanged)
        if tab is not None:
            self.models_dialog.show_tab(tab)
        self.models_dialog.show()
        self.models_dialog.raise_()
        return self.models_dialog

    # --- documents --------------------------------------------------------------------------

    @Slot()
    def open_documents(self) -> DocumentsDialog | None:
        """Show the Documents window (made once; indexing goes on while it is closed)."""
        if self.documents is None:
            return None
        if self.documents_dialog is None:
            self.documents_dialog = DocumentsDialog(self.documents, self, self.models.models)
            self.documents_dialog.settingsChanged.connect(self.settingsChanged)
            self.models.modelsListed.connect(self.documents_dialog.set_models)
        self.documents_dialog.show()
        self.documents_dialog.raise_()
        return self.documents_dialog

    @Slot()
    def _collections_changed(self) -> None:
        if self.documents is None:
            return
        try:
            names = self.documents.names()
        except ParrotError as exc:
            self.notify(str(exc))
            return
        self.documents_picker.set_collections(names)

    @Slot(object)
    def _chat_documents(self, chat_settings: ChatSettings) -> None:
        self.documents_picker.set_chosen(chat_settings.documents)

    # --- first paint -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._painted and watched is self and event.type() == QEvent.Type.Paint:
            self._painted = True
            self.removeEventFilter(self)
            self.firstPainted.emit()
        return super().eventFilter(watched, event)

    # --- chats --------------------------------------------------------------------------------

    @Slot()
    def refresh_chat_list(self) -> list[ChatSummary]:
        """Every chat, pinned first (the search box's results are left as they are)."""
        try:
            chats = self.chats.store.list_chats()
        except StorageError as exc:
            self._show_error(self.tr("The chat list could not be read"), str(exc))
            return []
        self.chat_list.set_chats(chats)
        return chats

    @Slot(str)
    def search(self, text: str) -> None:
        """The search box changed: chats whose title has it, and every message that does."""
        chats = self.refresh_chat_list()
        query = text.strip()
        if not query:
            self.chat_list.show_list()
            return
        folded = query.casefold()
        titled = [c for c in chats if folded in c.title.casefold()]
        self.chat_list.show_results(query, titled, self.chats.search(query))

    @Slot(int, int, bool)
    def _open_result(self, chat_id: int, message_id: int, shown: bool) -> None:
        if message_id:
            self.chats.open_at(chat_id, message_id, shown)
        else:
            self.chats.open_chat(chat_id)

    @Slot(object)
    def _chat_opened(self, chat: Chat | None) -> None:
        self.banner.hide()
        self.composer.cancel_edit()
        self.chat_view.show_chat(chat)
        self.chat_list.set_current(chat.id if chat is not None else None)
        title = f"{APP_TITLE} — {chat.title}" if chat is not None else APP_TITLE
        self.setWindowTitle(title)
        has_chat = chat is not None
        self.actions_.export_markdown.setEnabled(has_chat)
        self.actions_.export_json.setEnabled(has_chat)

    @Slot(int)
    def _chat_hidden(self, chat_id: int) -> None:
        if self.chats.chat_id == chat_id:
            self.chats.open_chat(None)

    @Slot(int)
    def _reply_started(self, message_id: int) -> None:
        if not self.banner.sticky:
            self.banner.hide()  # a new reply is under way: the last one's error is history
        self.chat_view.start_reply(message_id, self.models.current_name, *self.chats.reply_branch)
        if self.chats.chat_id is not None:
            self.chat_list.set_current(self.chats.chat_id)
            chat_title = self.chat_list.list.currentItem()
            if chat_title is not None:
                self.setWindowTitle(f"{APP_TITLE} — {chat_title.text()}")

    @Slot(bool)
    def _busy_changed(self, busy: bool) -> None:
        self.composer.set_streaming(busy)
        self.chat_view.set_busy(busy)
        self.actions_.stop.setEnabled(busy)
        self.actions_.regenerate.setEnabled(not busy)

    @Slot(str, str)
    def _show_error(self, title: str, detail: str) -> None:
        self._error_after_crash = self.engine.crashes
        self.banner.show_error(title, detail, self.chats.can_retry)

    @Slot(bool)
    def _serve_toggled(self, on: bool) -> None:
        if on == self.server.serving:
            return
        if not on:
            self.server.stop()
            self.notify(self.tr("Stopped serving the model."))
            return
        try:
            self.server.start()
        except ParrotError as exc:
            self.actions_.serve.setChecked(False)
            self._show_error(self.tr("The model could not be served"), str(exc))

    @Slot(str)
    def notify(self, text: str) -> None:
        shown = localize(text)  # core and engine notices come in English
        self.statusBar().showMessage(shown.text, 8000)
        self.statusBar().setToolTip(shown.original or "")

    @Slot(int, int)
    def _show_context_usage(self, used: int, total: int) -> None:
        if total <= 0:
            self.context_label.setText(self.tr("No model loaded"))
        else:
            self.context_label.setText(
                self.tr("Context: %1 / %2 tokens")
                .replace("%1", f"{used:,}")
                .replace("%2", f"{total:,}")
            )

    # --- templates --------------------------------------------------------------------------

    @Slot(str, str)
    def _apply_template(self, name: str, language: str) -> None:
        text = self.composer.text
        if not text.strip():
            self._preview_template(name, language)
            return
        try:
            prompt = render(self.templates.get(name), text, language or None, self.ui_lang)
        except TemplateError as exc:
            self._show_error(self.tr("The template could not be used"), str(exc))
            return
        self._use_prompt(prompt.user, prompt.system, prompt.sampling, name, text)

    def _use_prompt(
        self, user: str, system: str, sampling: dict[str, Any], name: str, source: str
    ) -> None:
        self.composer.set_text(user)
        self.chats.note_template_text(source)  # a new chat is named after it
        try:
            new = self.chats.chat_settings.with_template(system, sampling)
        except ParrotError as exc:
            self._show_error(self.tr("The template could not be used"), str(exc))
            return
        self.chats.update_chat_settings(new)
        self.controls.set_chat_settings(new)
        self.notify(
            self.tr("Template “%1” applied: check the message, then press Enter.").replace(
                "%1", name
            )
        )

    @Slot(str)
    def _preview_template(self, name: str, language: str = "") -> None:
        dialog = TemplateDialog(
            self.templates, name, self.composer.text, language or self.template_bar.language,
            self.ui_lang, self,
        )  # fmt: skip
        if dialog.exec() and dialog.result_prompt is not None:
            p = dialog.result_prompt
            source = dialog.input.toPlainText()
            self._use_prompt(p.user, p.system, p.sampling, dialog.template.name, source)

    @Slot()
    def _new_template(self) -> None:
        editor = TemplateEditor(self.templates, self)
        if editor.exec() and editor.saved is not None:
            self.template_bar.rebuild_menu()
            self.notify(self.tr("Template “%1” saved.").replace("%1", editor.saved.name))

    # --- models -------------------------------------------------------------------------------

    @Slot(list)
    def _models_listed(self, models: list[ModelInfo]) -> None:
        self.model_picker.set_models(models, self.models.current)
        if models and self.no_model.isVisible():  # the first model arrived: use it
            self.no_model.hide()
            if self.models.current is None and self.models.remote is None:
                self.models.choose(models[0])

    @Slot(str, str)
    def _check_model_size(self, name: str, _language: str) -> None:
        model = self.models.current if self.models.remote is None else None
        self.small_model_note.check(
            name, model.name if model else None, model.parameter_count if model else None
        )

    @Slot(str)
    def _import_first_model(self, path: str) -> None:
        dialog = self.open_models("library")
        dialog.library.import_path(path)

    @Slot(object)
    def _model_chosen(self, model: ModelInfo) -> None:
        self.small_model_note.hide()
        self.model_picker.set_current(model)
        self.controls.set_model_limits(model.context_length, model.n_layers)
        self._show_fit(self.controls.context_length.value())

    @Slot(object)
    def _remote_chosen(self, choice: RemoteChoice) -> None:
        self.model_picker.set_current(choice)
        self.controls.set_model_limits(choice.n_ctx, None)
        self.controls.set_fit("", False)  # no memory-fit estimate: it runs on the server

    @Slot(dict)
    def _engine_ready(self, info: dict[str, Any]) -> None:
        self.model_picker.set_backend(str(info.get("backend", "")))

    @Slot(dict)
    def _model_loaded(self, loaded: dict[str, Any]) -> None:
        self.model_picker.show_loaded(self.models.current, loaded)
        asked, self._asked_context = self._asked_context, None
        in_effect = int(loaded.get("n_ctx") or 0)
        if asked is not None and in_effect and in_effect != asked:
            # llama.cpp rounds the context up to whole blocks of 256 tokens; a server
            # keeps its own. The context meter shows the real figure: say why it differs.
            self.notify(
                self.tr("Context length in effect: %1 tokens (you asked for %2).")
                .replace("%1", f"{in_effect:,}")
                .replace("%2", f"{asked:,}")
            )
        draft_error = loaded.get("draft_error")
        if draft_error:  # the model chats; the draft model asked for did not load
            self.notify(str(draft_error))
        if self.banner.isVisible() and self.chats.can_retry is False and not self.banner.sticky:
            self.banner.hide()

    @Slot(str)
    def _load_failed(self, message: str) -> None:
        self.model_picker.show_not_loaded(self.tr("Not loaded"))

    @Slot()
    def _load_cancelled(self) -> None:
        self.model_picker.show_not_loaded(self.tr("Loading cancelled"))
        self.notify(self.tr("Loading cancelled. Pick a model to load it."))

    @Slot(str)
    def _model_problem(self, message: str) -> None:
        self.model_picker.show_not_loaded(self.tr("Not loaded"))
        self.banner.show_error(self.tr("No model can be loaded"), message, False)

    @Slot(str)
    def _engine_crashed(self, message: str) -> None:
        if self.banner.isVisible() and self._error_after_crash == self.engine.crashes:
            return  # the reply or the load this crash broke has said so already
        # Between replies (counting a chat's tokens, say) a crash still needs to be
        # seen: the model it was using is gone until it loads again.
        then = (
            self.tr("A new engine was started and is loading the model again.")
            if self.engine.is_loading
            else self.tr("A new engine was started; choose a model to load it again.")
        )
        self.banner.show_error(
            self.tr("The engine stopped"), f"{message} {then}", self.chats.can_retry
        )

    @Slot(int)
    def _show_fit(self, n_ctx: int) -> None:
        if self.models.current is None:
            self.controls.set_fit("", False)
            return
        from parrotchat.core.models.memory_fit import Fit  # loaded by the library scan already

        result = self.models.assess(n_ctx)
        if result is not None:
            self.controls.set_fit(result[1], result[0] is not Fit.FITS)

    @Slot(int, str, int)
    def _model_settings_edited(self, context_length: int, gpu_layers: str, threads: int) -> None:
        s = self.settings
        if (s.context_length, s.gpu_layers, s.threads) == (context_length, gpu_layers, threads):
            return
        s.context_length, s.gpu_layers, s.threads = context_length, gpu_layers, threads
        self._asked_context = context_length
        if self.chats.busy:
            self.chats.stop()
        self.models.reload()

    # --- export, language, about ----------------------------------------------------------------

    def export_chat(self, path: Path, kind: str) -> None:
        """Write the open chat to `path` as "markdown" or "json"."""
        if self.chats.chat_id is None:
            return
        try:
            chat = self.chats.store.get_chat(self.chats.chat_id)
            text = export_markdown(chat) if kind == "markdown" else export_json(chat)
            path.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
        except (OSError, ParrotError) as exc:
            self._show_error(self.tr("The chat could not be exported"), f"{path}: {exc}")
            return
        self.notify(self.tr("Saved %1").replace("%1", str(path)))

    def _ask_export(self, kind: str, suffix: str, filter_text: str) -> None:
        if self.chats.chat_id is None:
            return
        title = self.chat_list.list.currentItem()
        stem = "".join(c for c in (title.text() if title else "chat") if c not in '\\/:*?"<>|')
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export chat"), f"{stem.strip() or 'chat'}{suffix}", filter_text
        )
        if name:
            self.export_chat(Path(name), kind)

    @Slot()
    def _export_markdown(self) -> None:
        self._ask_export("markdown", ".md", self.tr("Markdown (*.md)"))

    @Slot()
    def _export_json(self) -> None:
        self._ask_export("json", ".json", self.tr("JSON (*.json)"))

    @Slot(QAction)
    def _language_chosen(self, action: QAction) -> None:
        self.settings.ui_language = str(action.data()) or None
        self.notify(self.tr("The new language applies when ParrotChat starts again."))

    @Slot(QAction)
    def _theme_chosen(self, action: QAction) -> None:
        self.settings.theme = str(action.data())
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)
        self.settingsChanged.emit()

    @Slot()
    def _about(self) -> None:
        from parrotchat import __version__

        QMessageBox.about(
            self,
            self.tr("About ParrotChat"),
            self.tr("ParrotChat %1\nChat with language models on your own computer.").replace(
                "%1", __version__
            ),
        )

    # --- layout and closing -----------------------------------------------------------------------

    def _toolbar_width(self) -> int:
        """The window's narrowest: the top bar whole, even while a model loads (a
        toolbar with no room would hide its items behind a » button)."""
        toolbar = self._toolbar
        items = [toolbar.widgetForAction(a) for a in toolbar.actions()]
        widths = [
            self.model_picker.widest_minimum() if w is self.model_picker else w.sizeHint().width()
            for w in items
            if w is not None
        ]
        layout = toolbar.layout()
        spacing = layout.spacing() if layout is not None else 0
        margins = toolbar.contentsMargins()
        # The handle and the toolbar's own frame: a few pixels the style adds.
        extra = toolbar.style().pixelMetric(toolbar.style().PixelMetric.PM_ToolBarHandleExtent)
        return sum(widths) + spacing * len(widths) + margins.left() + margins.right() + extra + 8

    def _default_size(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1180, 760
        if screen is not None:
            width = min(width, int(screen.width() * 0.9))
            height = min(height, int(screen.height() * 0.9))
        self.resize(width, height)

    def _restore_layout(self) -> None:
        geometry = _unb64(self.settings.window_geometry)
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = _unb64(self.settings.splitter_state)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        self.settings.window_geometry = _b64(self.saveGeometry())
        self.settings.splitter_state = _b64(self.splitter.saveState())
        self.panels.remember()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.chat_list.commit_delete()
        if self.chats.busy:
            self.chats.stop()
        self.save_layout()
        super().closeEvent(event)
