"""The Models window's Servers tab: add, test and remove OpenAI-compatible servers.

"Test connection" asks the server over the network, so it runs on a worker thread
and its answer comes back through a queued signal; the window never waits on it.
Where each API key is kept (the system credential store, or servers.json readable
by its owner only) is said for every server, as core/servers.py reports it.

Signals:
    serversChanged(): a server was added or removed; the picker lists them again.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.errors import ParrotError
from parrotchat.core.servers import (
    KeyLocation,
    ServerConfig,
    ServerStore,
    check_ca_bundle,
    check_name,
    check_proxy,
    normalize_base_url,
)


class ServersTab(QWidget):
    serversChanged = Signal()
    _tested = Signal(str, object)  # (server label, ServerInfo or an error line): worker -> GUI

    def __init__(self, store: ServerStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.list = QListWidget()
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("gpu-box"))
        self.url = QLineEdit()
        self.url.setPlaceholderText(self.tr("http://gpu-box:8080"))
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)  # never shown on screen
        self.api_key.setPlaceholderText(self.tr("empty if the server asks for none"))
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setPlaceholderText(self.tr("your organisation's CA, a PEM file (optional)"))
        self.browse = QPushButton(self.tr("Browse…"))
        self.proxy = QLineEdit()
        self.proxy.setPlaceholderText(self.tr("system proxy; 'none' to connect directly"))
        self.add_button = QPushButton(self.tr("Add server"))
        self.test_button = QPushButton(self.tr("Test connection"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.key_note = QLabel(self._key_store_note())
        self.key_note.setWordWrap(True)
        self._thread: threading.Thread | None = None
        self._layout()
        self._connect_signals()
        self.refresh()

    def _layout(self) -> None:
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle)
        ca_row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("URL:"), self.url)
        form.addRow(self.tr("API key:"), self.api_key)
        form.addRow(self.tr("CA bundle:"), ca_row)
        form.addRow(self.tr("Proxy:"), self.proxy)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("Saved servers (OpenAI-compatible: llama-server, vLLM, Ollama):"))
        )
        layout.addWidget(self.list, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.key_note)

    def _connect_signals(self) -> None:
        self.browse.clicked.connect(self._browse)
        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(self.test)
        self.remove_button.clicked.connect(self.remove)
        self._tested.connect(self._on_tested)

    # --- the list ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.list.clear()
        try:
            servers = self.store.servers()
        except ParrotError as exc:
            self.message.setText(str(exc))
            return
        for server in servers:
            where = self._where(self.store.key_location(server.name))
            self.list.addItem(f"{server.name} — {server.base_url} · {where}")
        self.remove_button.setEnabled(bool(servers))

    def selected_name(self) -> str | None:
        row = self.list.currentRow()
        names = self.store.names()
        return names[row] if 0 <= row < len(names) else None

    def _where(self, location: KeyLocation) -> str:
        match location:
            case "keyring":
                return self.tr("key in the system credential store")
            case "file":
                return self.tr("key in %1 (readable by you only)").replace(
                    "%1", self.store.path.name
                )
        return self.tr("no API key")

    def _key_store_note(self) -> str:
        backend = self.store.credentials.backend()
        if backend:
            return self.tr("API keys are kept in the system credential store (%1).").replace(
                "%1", backend
            )
        return self.tr(
            "No system credential store is usable here: API keys are kept in %1, "
            "readable by you only."
        ).replace("%1", str(self.store.path))

    # --- commands ------------------------------------------------------------------------

    def _form_config(self) -> ServerConfig:
        """The server the form describes; ParrotError names the field that is wrong."""
        url = normalize_base_url(self.url.text())
        name = check_name(self.name.text()) if self.name.text().strip() else url
        ca = check_ca_bundle(self.ca_bundle.text()) if self.ca_bundle.text().strip() else None
        proxy = check_proxy(self.proxy.text()) if self.proxy.text().strip() else None
        key = self.api_key.text().strip() or None
        return ServerConfig(name, url, ca_bundle=ca, proxy=proxy, api_key=key)

    @Slot()
    def add(self) -> None:
        try:
            if not self.name.text().strip():
                raise ParrotError(self.tr("Give the server a short name, such as gpu-box"))
            config = self._form_config()
            location = self.store.save(config, config.api_key)
        except ParrotError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(
            self.tr("Saved %1; %2.").replace("%1", config.name).replace("%2", self._where(location))
        )
        self.api_key.clear()  # the key is stored; it does not stay in the form
        self.refresh()
        self.serversChanged.emit()

    @Slot()
    def remove(self) -> None:
        name = self.selected_name()
        if name is None:
            self.message.setText(self.tr("Choose a server in the list to remove it."))
            return
        try:
            self.store.remove(name)
        except ParrotError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(self.tr("Removed %1 and its key.").replace("%1", name))
        self.refresh()
        self.serversChanged.emit()

    @Slot()
    def test(self) -> None:
        """Test the server in the form (if a URL is typed), else the one chosen in the list."""
        if self._thread is not None and self._thread.is_alive():
            return
        try:
            if self.url.text().strip():
                config = self._form_config()
            else:
                name = self.selected_name()
                if name is None:
                    raise ParrotError(self.tr("Type a URL or choose a saved server to test."))
                config = self.store.get(name)
        except ParrotError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(self.tr("Testing %1…").replace("%1", config.base_url))
        self.test_button.setEnabled(False)
        self._thread = threading.Thread(
            target=self._test_worker, args=(config,), name="server-test", daemon=True
        )
        self._thread.start()

    def _test_worker(self, config: ServerConfig) -> None:
        from parrotchat.engine.remote.probe import check_server

        result: object
        try:
            result = check_server(config)
        except Exception as exc:  # one line in the tab, never a traceback on a thread
            result = str(exc)
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._tested.emit(config.name, result)

    @Slot(str, object)
    def _on_tested(self, name: str, result: object) -> None:
        self.test_button.setEnabled(True)
        if isinstance(result, str):
            self.message.setText(self.tr("Connection failed: %1").replace("%1", result))
            return
        from parrotchat.engine.remote.probe import ServerInfo

        assert isinstance(result, ServerInfo)
        models = ", ".join(m.id for m in result.models) or self.tr("none")
        kind = result.kind + (f" {result.version}" if result.version else "")
        self.message.setText(
            self.tr("Connected to %1 in %2 ms: %3; models: %4")
            .replace("%1", name)
            .replace("%2", f"{result.latency_s * 1000:.0f}")
            .replace("%3", kind)
            .replace("%4", models)
        )

    @Slot()
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("CA bundle"),
            "",
            self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )
        if path:
            self.ca_bundle.setText(path)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.join(2.0)
