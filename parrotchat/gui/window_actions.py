"""The window's menus and keyboard shortcuts, built in one place."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from parrotchat.gui.i18n import UI_LANGUAGES
from parrotchat.gui.shortcuts_dialog import ShortcutsDialog


class WindowActions(QObject):
    """Every QAction of the main window; MainWindow connects them."""

    def __init__(
        self, window: QMainWindow, ui_language_setting: str | None, theme_setting: str = "system"
    ) -> None:
        super().__init__(window)
        self.new_chat = QAction(self.tr("New chat"), window)
        self.new_chat.setShortcut(QKeySequence("Ctrl+N"))
        self.manage_models = QAction(self.tr("Models…"), window)
        self.manage_models.setShortcut(QKeySequence("Ctrl+M"))
        self.documents = QAction(self.tr("Documents…"), window)
        self.documents.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.export_markdown = QAction(self.tr("Export as Markdown…"), window)
        self.export_markdown.setShortcut(QKeySequence("Ctrl+E"))
        self.export_json = QAction(self.tr("Export as JSON…"), window)
        self.export_json.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.quit = QAction(self.tr("Quit"), window)
        self.quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.find = QAction(self.tr("Search chats"), window)
        self.find.setShortcut(QKeySequence("Ctrl+F"))
        self.focus_composer = QAction(self.tr("Write a message"), window)
        self.focus_composer.setShortcut(QKeySequence("Ctrl+L"))
        self.stop = QAction(self.tr("Stop the reply"), window)
        self.stop.setShortcut(QKeySequence("Esc"))
        self.stop.setEnabled(False)  # a disabled action leaves Esc to the focused widget
        self.regenerate = QAction(self.tr("Regenerate the last reply"), window)
        self.regenerate.setShortcut(QKeySequence("Ctrl+R"))
        # The side panels' toggles (see side_panels.py): in the View menu and, by their
        # short names, at the two ends of the toolbar.
        self.show_chat_list = QAction(self.tr("Show chat list"), window)
        self.show_chat_list.setIconText(self.tr("Chats"))
        self.show_chat_list.setCheckable(True)
        self.show_chat_list.setChecked(True)
        self.show_chat_list.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.show_chat_list.setToolTip(self.tr("Show or hide the list of chats (Ctrl+Shift+L)"))
        self.show_controls = QAction(self.tr("Show controls"), window)
        self.show_controls.setIconText(self.tr("Controls"))
        self.show_controls.setCheckable(True)
        self.show_controls.setChecked(True)
        self.show_controls.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.show_controls.setToolTip(
            self.tr("Show or hide the chat and model settings (Ctrl+Shift+K)")
        )
        self.shortcuts = QAction(self.tr("Keyboard shortcuts"), window)
        self.shortcuts.setShortcut(QKeySequence("Ctrl+/"))
        self.shortcuts.triggered.connect(lambda _checked=False: self.show_shortcuts(window))
        self.about = QAction(self.tr("About ParrotChat"), window)
        # The API on the loaded model, for editors and scripts (see docs/serve.md).
        self.serve = QAction(self.tr("Serve on this computer"), window)
        self.serve.setCheckable(True)

        self.language_group = QActionGroup(window)
        self.language_actions: list[QAction] = []
        system = QAction(self.tr("System language"), window)
        system.setData("")
        choices = [system]
        for code, name in UI_LANGUAGES:
            action = QAction(name, window)
            action.setData(code)
            choices.append(action)
        for action in choices:
            action.setCheckable(True)
            action.setChecked((ui_language_setting or "") == action.data())
            self.language_group.addAction(action)
            self.language_actions.append(action)

        self.theme_group = QActionGroup(window)
        self.theme_actions: list[QAction] = []
        for theme, name in (
            ("system", self.tr("System")),
            ("light", self.tr("Light")),
            ("dark", self.tr("Dark")),
        ):
            action = QAction(name, window)
            action.setData(theme)
            action.setCheckable(True)
            action.setChecked(theme == theme_setting)
            self.theme_group.addAction(action)
            self.theme_actions.append(action)

        bar = window.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addActions([self.new_chat, self.manage_models, self.documents])
        file_menu.addSeparator()
        file_menu.addActions([self.export_markdown, self.export_json])
        file_menu.addSeparator()
        file_menu.addAction(self.serve)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        chat_menu = bar.addMenu(self.tr("&Chat"))
        chat_menu.addActions([self.find, self.focus_composer, self.regenerate, self.stop])
        view_menu = bar.addMenu(self.tr("&View"))
        view_menu.addActions([self.show_chat_list, self.show_controls])
        self.language_menu = QMenu(self.tr("Language"), window)
        self.language_menu.addActions(self.language_actions)
        view_menu.addMenu(self.language_menu)
        self.theme_menu = QMenu(self.tr("Theme"), window)
        self.theme_menu.addActions(self.theme_actions)
        view_menu.addMenu(self.theme_menu)
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addActions([self.shortcuts, self.about])

    def all_actions(self) -> list[QAction]:
        """The window's actions in menu order (File, Chat, View, Help)."""
        return [
            self.new_chat, self.manage_models, self.documents, self.export_markdown,
            self.export_json, self.serve, self.quit, self.find, self.focus_composer,
            self.regenerate, self.stop, self.show_chat_list, self.show_controls, self.shortcuts,
            self.about,
        ]  # fmt: skip

    def show_shortcuts(self, window: QMainWindow) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.all_actions(), window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
