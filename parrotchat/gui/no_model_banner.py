"""The band a first run shows when there is no model at all (the one-folder build
without a bundled model, or a starter that is missing): three things to do about it.

Import a .gguf the user already has (a USB stick, a colleague's share), download one
of the recommended models, or open the models folder to drop files in by hand. The
folder is named, so an admin can put models there too.

Signals:
    importChosen(str): the .gguf file the user picked.
    downloadRequested(): open the Models window on the Recommended tab.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


class NoModelBanner(QFrame):
    importChosen = Signal(str)
    downloadRequested = Signal()

    def __init__(self, models_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noModelBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)  # the palette's colours: light and dark
        self.models_dir = Path(models_dir)
        # The file picker; tests replace it.
        self.pick_file: Callable[[], str] = self._pick_file
        self.title = QLabel(self.tr("No model yet"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel(
            self.tr(
                "ParrotChat needs a language model (a .gguf file) to chat. Import one you "
                "have, for example from a USB stick, or download a recommended one."
            )
        )
        self.folder = QLabel()
        for label in (self.text, self.folder):
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.import_button = QPushButton(self.tr("Import .gguf…"))
        self.import_button.setToolTip(self.tr("Import a .gguf file, for example from a USB stick"))
        self.download_button = QPushButton(self.tr("Download…"))
        self.download_button.setToolTip(self.tr("Choose one of the recommended models"))
        self.folder_button = QPushButton(self.tr("Open folder"))
        self.folder_button.setToolTip(self.tr("Open the models folder"))
        buttons = QHBoxLayout()
        for button in (self.import_button, self.download_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(self.folder)
        layout.addLayout(buttons)
        self.import_button.clicked.connect(self._import)
        self.download_button.clicked.connect(self.downloadRequested)
        self.folder_button.clicked.connect(self.open_folder)
        self.setVisible(False)

    @Slot()
    def show_banner(self) -> None:
        # Zero-width spaces let a long path wrap at its separators in a narrow window.
        where = str(self.models_dir).replace("/", "/\u200b").replace("\\", "\\\u200b")
        self.folder.setText(
            self.tr("Models folder (.gguf files put there are found too): %1").replace("%1", where)
        )
        self.folder.setToolTip(str(self.models_dir))
        self.setVisible(True)

    @Slot()
    def open_folder(self) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.models_dir)))

    @Slot()
    def _import(self) -> None:
        path = self.pick_file()
        if path:
            self.importChosen.emit(path)

    def _pick_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a model"), "", self.tr("GGUF models (*.gguf);;All files (*)")
        )
        return path
