"""A small editor for the user's own prompt templates."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.errors import ParrotError
from parrotchat.core.prompt_templates import PromptTemplate, TemplateLibrary
from parrotchat.gui.runtime_messages import plain


class TemplateEditor(QDialog):
    """Name, system prompt, prompt with {text}, temperature; Save writes a JSON file."""

    def __init__(self, library: TemplateLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New prompt template"))
        self.library = library
        self.saved: PromptTemplate | None = None
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("a short word, e.g. meeting-notes"))
        self.title = QLineEdit()
        self.system = QPlainTextEdit()
        self.system.setMaximumHeight(80)
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText(
            self.tr("Write the request; {text} stands for the text in the message box.")
        )
        self.prompt.setPlainText("{text}")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(0.7)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("System prompt"), self.system)
        form.addRow(self.tr("Prompt"), self.prompt)
        form.addRow(self.tr("Temperature"), self.temperature)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(520, 420)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def template(self) -> PromptTemplate:
        name = self.name.text().strip()
        return PromptTemplate.from_dict(
            {
                "name": name,
                "title": self.title.text().strip() or name,
                "system": self.system.toPlainText(),
                "prompt": self.prompt.toPlainText(),
                "sampling": {"temperature": round(self.temperature.value(), 2)},
                "placeholders": ["text", "language"],
            }
        )

    @Slot()
    def save(self) -> None:
        try:
            template = self.template()
            if "{text}" not in self.prompt.toPlainText():
                raise ParrotError(self.tr("The prompt needs {text} where your text goes."))
            self.library.save_user_template(template)
        except ParrotError as exc:
            self.error.setText(plain(str(exc)))
            return
        self.saved = template
        self.accept()
