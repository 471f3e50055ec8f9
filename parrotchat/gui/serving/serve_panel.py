"""The status bar's "serving" widget: where the API is, its key, what it answers."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from parrotchat.gui.serving.window_server import WindowServer

REFRESH_MS = 500  # the counts change on the server's thread: polled, not signalled


class ServePanel(QWidget):
    def __init__(self, server: WindowServer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = server
        self.address_label = QLabel()
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label = QLabel(self.tr("Key:"))
        self.key_field = QLineEdit()
        self.key_field.setReadOnly(True)
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.reveal_button = QToolButton()
        self.reveal_button.setText(self.tr("Show"))
        self.reveal_button.setCheckable(True)
        self.copy_button = QToolButton()
        self.copy_button.setText(self.tr("Copy"))
        self.counts_label = QLabel()
        # The status bar squeezes its widgets: an address cut short is no use.
        for label in (self.address_label, self.counts_label):
            label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.address_label,
            self.key_label,
            self.key_field,
            self.reveal_button,
            self.copy_button,
            self.counts_label,
        ):
            layout.addWidget(widget)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.reveal_button.toggled.connect(self._reveal)
        self.copy_button.clicked.connect(self._copy_key)
        server.servingChanged.connect(self._serving_changed)
        self.setVisible(False)

    @Slot(bool)
    def _serving_changed(self, serving: bool) -> None:
        self.setVisible(serving)
        if not serving:
            self._timer.stop()
            return
        address = self.server.address or ""
        self.address_label.setText(self.tr("Serving at %1").replace("%1", address))
        has_key = self.server.api_key is not None
        for widget in (self.key_label, self.key_field, self.reveal_button, self.copy_button):
            widget.setVisible(has_key)
        self.key_field.setText(self.server.api_key or "")
        # Wide enough to read the whole key once revealed.
        advance = self.key_field.fontMetrics().horizontalAdvance(self.server.api_key or "")
        self.key_field.setFixedWidth(min(advance + 16, 360))
        self.reveal_button.setChecked(False)
        self.refresh()
        self._timer.start()

    @Slot()
    def refresh(self) -> None:
        counts = self.server.counts
        self.counts_label.setText(
            self.tr("%1 answered, %2 in progress")
            .replace("%1", str(counts.answered))
            .replace("%2", str(counts.in_progress))
        )

    @Slot(bool)
    def _reveal(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_field.setEchoMode(mode)
        self.reveal_button.setText(self.tr("Hide") if shown else self.tr("Show"))

    @Slot()
    def _copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self.server.api_key or "")
