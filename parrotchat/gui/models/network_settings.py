"""Settings → Network: the hub endpoint (a mirror), its token, the proxy, the offline switch.

Signals:
    saved(): the settings object was changed (and should be written to disk).
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from parrotchat.core.errors import ParrotError
from parrotchat.core.settings import Settings


class NetworkSettings(QGroupBox):
    saved = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Network"), parent)
        self.settings = settings
        self.endpoint = QLineEdit(settings.hub_endpoint or "")
        self.endpoint.setPlaceholderText("https://huggingface.co")
        # A token for gated models or a private mirror: sent to the hub address only.
        self.token = QLineEdit(settings.hub_token or "")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(self.tr("None (public models only)"))
        self.proxy = QLineEdit(settings.proxy or "")
        self.proxy.setPlaceholderText(self.tr("System proxy"))
        self.offline = QCheckBox(self.tr("Offline: never use the network"))
        self.offline.setChecked(settings.offline)
        self.save_button = QPushButton(self.tr("Save network settings"))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        form = QFormLayout(self)
        form.addRow(self.tr("Hub address"), self.endpoint)
        form.addRow(self.tr("Access token"), self.token)
        form.addRow(self.tr("Proxy"), self.proxy)
        form.addRow("", self.offline)
        form.addRow("", self.save_button)
        form.addRow("", self.problem)
        self.save_button.clicked.connect(self.save)

    @Slot()
    def save(self) -> None:
        from parrotchat.core.hub.config import check_endpoint

        endpoint = self.endpoint.text().strip() or None
        if endpoint is not None:
            try:
                endpoint = check_endpoint(endpoint)
            except ParrotError as exc:
                self.problem.setText(str(exc))
                self.problem.setVisible(True)
                return
        self.problem.setVisible(False)
        self.settings.hub_endpoint = endpoint
        self.settings.hub_token = self.token.text().strip() or None
        self.settings.proxy = self.proxy.text().strip() or None
        self.settings.offline = self.offline.isChecked()
        self.saved.emit()
