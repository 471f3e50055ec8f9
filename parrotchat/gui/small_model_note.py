"""One line under the chat when the loaded model is too small for the template picked
(core/models/small_model.py), with a way to the Recommended tab.

Signals:
    recommendedRequested(): open the Models window on the Recommended tab.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QWidget

RECOMMENDED_LINK = "parrotchat:recommended"


class SmallModelNote(QLabel):
    recommendedRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.linkActivated.connect(self._link)
        self.setVisible(False)

    def check(self, template: str, model_name: str | None, parameters: int | None) -> None:
        """Show the line if `template` is beyond the model; hide it otherwise."""
        from parrotchat.core.models.small_model import too_small_for

        if model_name is None or parameters is None or not too_small_for(template, parameters):
            self.hide()
            return
        size = f"{round(parameters / 1e6)}M"
        text = (
            self.tr("This model (%1 parameters) is too small to translate reliably: %2")
            if template == "translate"
            else self.tr("This model (%1 parameters) is too small to summarise reliably: %2")
        )
        words = self.tr("see the recommended models")
        link = f'<a href="{RECOMMENDED_LINK}">{words}</a>'
        self.setText(text.replace("%1", size).replace("%2", link))
        self.setVisible(True)

    @Slot(str)
    def _link(self, href: str) -> None:
        if href == RECOMMENDED_LINK:  # the only link this label ever holds
            self.recommendedRequested.emit()

    @Slot()
    def model_changed(self) -> None:
        self.hide()
