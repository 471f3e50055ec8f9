"""Prompt templates beside the composer: Translate and Summarize at two clicks.

Translate ▾ picks the target language (Korean and English first), Summarize is
one button, and Templates ▾ holds the user's own templates, a preview dialog and
the editor. Applying a template puts the exact text that will be sent into the
composer (where it can still be changed) and gives the chat the template's
system prompt and sampling.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.errors import TemplateError
from parrotchat.core.languages import LANGUAGES
from parrotchat.core.prompt_templates import PromptTemplate, RenderedPrompt, TemplateLibrary
from parrotchat.gui.runtime_messages import plain

BUILTIN_BUTTONS = ("translate", "summarize")


def render(
    template: PromptTemplate, text: str, language: str | None, ui_lang: str
) -> RenderedPrompt:
    values = {"text": text}
    if language and "language" in template.placeholders:
        values["language"] = language
    return template.render(values, lang=ui_lang)


def describe(prompt: RenderedPrompt, tr_system: str, tr_sampling: str) -> str:
    """What will be sent, as the preview shows it."""
    parts = []
    if prompt.system:
        parts.append(f"[{tr_system}]\n{prompt.system}")
    parts.append(prompt.user)
    if prompt.sampling:
        values = ", ".join(f"{k} {v}" for k, v in prompt.sampling.items())
        parts.append(f"[{tr_sampling}] {values}")
    return "\n\n".join(parts)


class TemplateDialog(QDialog):
    """Pick a template, fill it in, and see exactly what will be sent."""

    def __init__(
        self,
        library: TemplateLibrary,
        name: str,
        text: str,
        language: str,
        ui_lang: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Use a prompt template"))
        self.library = library
        self.ui_lang = ui_lang
        self.result_prompt: RenderedPrompt | None = None
        self.template_combo = QComboBox()
        for template in library.all():
            self.template_combo.addItem(template.title_for(ui_lang), template.name)
        self.template_combo.setCurrentIndex(max(0, self.template_combo.findData(name)))
        self.language_combo = QComboBox()
        for lang in LANGUAGES:
            self.language_combo.addItem(lang.native, lang.code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(language)))
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.input = QPlainTextEdit(text)
        self.input.setPlaceholderText(self.tr("Paste the text here"))
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow(self.tr("Template"), self.template_combo)
        form.addRow(self.tr("Into"), self.language_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.description)
        layout.addWidget(QLabel(self.tr("Text")))
        layout.addWidget(self.input, 1)
        layout.addWidget(QLabel(self.tr("What will be sent")))
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, 520)
        self._connect_signals()
        self._update()

    def _connect_signals(self) -> None:
        self.template_combo.currentIndexChanged.connect(self._update)
        self.language_combo.currentIndexChanged.connect(self._update)
        self.input.textChanged.connect(self._update)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    @property
    def template(self) -> PromptTemplate:
        return self.library.get(str(self.template_combo.currentData()))

    @property
    def language(self) -> str:
        return str(self.language_combo.currentData())

    @Slot()
    def _update(self) -> None:
        template = self.template
        self.language_combo.setEnabled("language" in template.placeholders)
        self.description.setText(template.description_for(self.ui_lang))
        try:
            prompt = render(template, self.input.toPlainText(), self.language, self.ui_lang)
        except TemplateError as exc:
            self.result_prompt = None
            self.error.setText(plain(str(exc)))
            self.preview.clear()
        else:
            self.result_prompt = prompt
            self.error.clear()
            self.preview.setPlainText(
                describe(prompt, self.tr("System prompt"), self.tr("Sampling"))
            )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.result_prompt is not None and bool(self.input.toPlainText().strip()))


class TemplateBar(QWidget):
    """Template buttons under the composer.

    Signals:
        templateChosen(str, str): template name and target language code ("" if none).
        previewRequested(str): open the preview dialog on this template.
        newTemplateRequested(): open the template editor.
    """

    templateChosen = Signal(str, str)
    previewRequested = Signal(str)
    newTemplateRequested = Signal()

    def __init__(
        self, library: TemplateLibrary, ui_lang: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.ui_lang = ui_lang
        self.language = LANGUAGES[0].code
        self.translate_button = QToolButton()
        self.translate_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.language_menu = QMenu(self)
        for lang in LANGUAGES:
            action = self.language_menu.addAction(lang.native)
            action.setData(lang.code)
        self.translate_button.setMenu(self.language_menu)
        self.summarize_button = QToolButton()
        self.more_button = QToolButton()
        self.more_button.setText(self.tr("Templates"))
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self)
        self.more_button.setMenu(self.more_menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.translate_button)
        layout.addWidget(self.summarize_button)
        layout.addWidget(self.more_button)
        layout.addStretch(1)
        self._update_texts()
        self.rebuild_menu()
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.translate_button.clicked.connect(self._translate_clicked)
        self.language_menu.triggered.connect(self._language_chosen)
        self.summarize_button.clicked.connect(self._summarize_clicked)
        self.more_menu.triggered.connect(self._more_chosen)

    def _title(self, name: str, fallback: str) -> str:
        try:
            return self.library.get(name).title_for(self.ui_lang)
        except TemplateError:
            return fallback

    def _update_texts(self) -> None:
        native = next((lang.native for lang in LANGUAGES if lang.code == self.language), "")
        title = self._title("translate", self.tr("Translate"))
        self.translate_button.setText(f"{title} → {native}")
        self.translate_button.setToolTip(self.tr("Translate the text in the message box"))
        self.summarize_button.setText(self._title("summarize", self.tr("Summarize")))
        self.summarize_button.setToolTip(self.tr("Summarize the text in the message box"))

    def rebuild_menu(self) -> None:
        self.more_menu.clear()
        for template in self.library.all():
            if template.builtin and template.name in BUILTIN_BUTTONS:
                continue
            action = self.more_menu.addAction(template.title_for(self.ui_lang))
            action.setData(("use", template.name))
        if self.more_menu.actions():
            self.more_menu.addSeparator()
        preview = self.more_menu.addAction(self.tr("Preview and fill in…"))
        preview.setData(("preview", "translate"))
        new = self.more_menu.addAction(self.tr("New template…"))
        new.setData(("new", ""))

    @Slot()
    def _translate_clicked(self) -> None:
        self.templateChosen.emit("translate", self.language)

    @Slot(QAction)
    def _language_chosen(self, action: QAction) -> None:
        self.language = str(action.data())
        self._update_texts()
        self.templateChosen.emit("translate", self.language)

    @Slot()
    def _summarize_clicked(self) -> None:
        self.templateChosen.emit("summarize", "")

    @Slot(QAction)
    def _more_chosen(self, action: QAction) -> None:
        kind, name = action.data()
        if kind == "use":
            self.templateChosen.emit(name, self.language)
        elif kind == "preview":
            self.previewRequested.emit(name)
        else:
            self.newTemplateRequested.emit()
