"""Links in replies open only after the user has read the whole address and said yes.

A model can write any URL, and the text of a Markdown link need not match where it
goes ([the docs](http://elsewhere.example)). So a click shows the full address first;
the browser opens on "Open link" alone.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


class LinkDialog(QMessageBox):
    """Asks before opening `url`; opens it in the browser when the user agrees."""

    def __init__(self, url: QUrl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(self.tr("Open link?"))
        # The address as it will be opened (not the link's text), whole, as plain text:
        # an address is never read as markup.
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(self.tr("Open this address in your browser?") + "\n\n" + url.toString())
        self.open_button = self.addButton(self.tr("Open link"), QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.cancel_button)
        self.setEscapeButton(self.cancel_button)
        self.buttonClicked.connect(self._clicked)

    @Slot(QAbstractButton)
    def _clicked(self, button: QAbstractButton) -> None:
        if button is self.open_button:
            QDesktopServices.openUrl(self.url)


def ask_to_open(url: QUrl, parent: QWidget | None) -> LinkDialog:
    """Show the question (window-modal, without blocking the event loop); returns it."""
    dialog = LinkDialog(url, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
