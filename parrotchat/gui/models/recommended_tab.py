"""The Models window's Recommended tab: the curated catalog, filtered, one click to download.

The catalog is read from disk (no network) and each entry's fit is estimated for this
machine's free memory when the tab is made. Download lists the entry's repository on
the hub worker (the mirror endpoint and token of Settings → Network apply), takes the
catalog's file from the real listing (or the best fitting one if the hub has renamed
it) and hands it to the same download queue as the Download tab: resume, verify and
progress come from there.

Signals:
    downloadQueued(str): a catalog entry's file was queued (its label); see Download tab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QLocale, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from parrotchat.gui.models.hub_tasks import HubTasks

if TYPE_CHECKING:
    from pathlib import Path

    from parrotchat.core.hub.files import FileChoice, RepoListing
    from parrotchat.core.models.catalog import Catalog, CatalogEntry
    from parrotchat.core.models.memory_fit import FitAssessment, MemoryEstimate

COLUMNS = 5
_LANGUAGES_SHOWN = 4


class RecommendedTab(QWidget):
    downloadQueued = Signal(str)

    def __init__(
        self, tasks: HubTasks, config_dir: Path | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        from parrotchat.core.models.catalog import entry_estimate, entry_fit, load_catalog
        from parrotchat.core.models.remote_fit import MachineMemory

        self.tasks = tasks
        self.language = "ko" if QLocale().language() == QLocale.Language.Korean else "en"
        self.catalog: Catalog = load_catalog(config_dir)
        memory = MachineMemory.measure()
        n_ctx = tasks.settings.context_length
        self.fits: dict[str, FitAssessment] = {
            e.id: entry_fit(e, memory, n_ctx) for e in self.catalog.entries
        }
        self.estimates: dict[str, MemoryEstimate] = {
            e.id: entry_estimate(e, n_ctx) for e in self.catalog.entries
        }
        self.free = memory.ram_free + ((memory.vram_free or 0) if memory.gpu_offload else 0)
        self.shown: list[CatalogEntry] = []
        self._pending: set[str] = set()  # repo ids being listed for a download

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.korean = QCheckBox(self.tr("Korean"))
        self.fitting = QCheckBox(self.tr("Fits this machine"))
        self.commercial = QCheckBox(self.tr("Commercial use allowed"))
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("Show only:")))
        for box in (self.korean, self.fitting, self.commercial):
            filters.addWidget(box)
        filters.addStretch(1)

        self.table = QTableWidget(0, COLUMNS)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Model and what it is good at"),
                self.tr("Size"),
                self.tr("Fit"),
                self.tr("Languages"),
                self.tr("Commercial use"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setMinimumHeight(self.details.fontMetrics().lineSpacing() * 7)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.download_button = QPushButton(self.tr("Download"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.problems = QLabel("\n".join(self.catalog.problems))
        self.problems.setWordWrap(True)
        self.problems.setVisible(bool(self.catalog.problems))
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.status, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addWidget(self.problems)

        for box in (self.korean, self.fitting, self.commercial):
            box.toggled.connect(self.refilter)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self.download_selected)
        self.download_button.clicked.connect(self.download_selected)
        self.tasks.worker.resolved.connect(self._resolved)
        self.tasks.worker.resolveFailed.connect(self._resolve_failed)
        self.set_intro(only_starter=False)
        self.refilter()

    # --- the list ------------------------------------------------------------------------

    def set_intro(self, *, only_starter: bool) -> None:
        """What this tab is; with only the starter model, why to come here."""
        text = self.tr(
            "Models picked for running well on a personal computer, Korean-capable ones "
            "first. Sizes marked ~ are estimates; the licence decides whether you may use a "
            "model at work."
        )
        if only_starter:
            text = (
                self.tr(
                    "You only have the small starter model: it can chat, but it cannot "
                    "translate into Korean or summarise reliably. Any model below that fits "
                    "this machine does much better."
                )
                + " "
                + text
            )
        self.intro.setText(text)

    def _fit_text(self, entry: CatalogEntry) -> str:
        return {
            "fits": self.tr("fits"),
            "partial_offload": self.tr("partly on GPU"),
            "too_large": self.tr("too large"),
        }[self.fits[entry.id].fit.value]

    def _commercial_text(self, entry: CatalogEntry) -> str:
        return {
            "yes": self.tr("allowed"),
            "conditions": self.tr("with conditions"),
            "no": self.tr("not allowed"),
        }[entry.license.commercial]

    @staticmethod
    def _languages_text(entry: CatalogEntry) -> str:
        shown = ", ".join(entry.languages[:_LANGUAGES_SHOWN])
        more = len(entry.languages) - _LANGUAGES_SHOWN
        return f"{shown} +{more}" if more > 0 else shown

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        table = getattr(self, "table", None)  # None while __init__ still builds the tab
        if event.type() == QEvent.Type.PaletteChange and table is not None and table.rowCount():
            self.refilter()  # greyed rows take the new theme's disabled colour

    @Slot()
    def refilter(self) -> None:
        from parrotchat.core.models.memory_fit import Fit

        chosen = self.selected()
        self.shown = [
            e
            for e in self.catalog.entries
            if (not self.korean.isChecked() or e.korean)
            and (not self.fitting.isChecked() or self.fits[e.id].fit is Fit.FITS)
            and (not self.commercial.isChecked() or e.commercial_use)
        ]
        self.table.setRowCount(len(self.shown))
        grey = self.palette().color(
            self.palette().ColorGroup.Disabled, self.palette().ColorRole.Text
        )
        for row, entry in enumerate(self.shown):
            f = entry.preferred_file()
            size = f"{'~' if f.approximate else ''}{f.size_bytes / 1e9:.1f} GB"
            cells = [
                f"{entry.name}\n{entry.text(entry.good_at, self.language)}",
                size,
                self._fit_text(entry),
                self._languages_text(entry),
                self._commercial_text(entry),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(self._tooltip(entry))
                if self.fits[entry.id].fit is Fit.TOO_LARGE:
                    item.setForeground(QColor(grey))
                self.table.setItem(row, column, item)
            if chosen is not None and entry.id == chosen.id:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self._selection_changed()

    def _fit_reason(self, entry: CatalogEntry) -> str:
        from parrotchat.core.models.info import human_bytes

        fit = self.fits[entry.id].fit.value
        if fit == "fits":
            text = self.tr("Needs about %1 at %2 tokens of context; %3 free.")
        elif fit == "partial_offload":
            text = self.tr(
                "Needs about %1 at %2 tokens of context; part runs from RAM, more slowly (%3 free)."
            )
        else:
            text = self.tr(
                "Needs about %1 at %2 tokens of context but only %3 is free: a smaller model "
                "or a shorter context may fit."
            )
        estimate = self.estimates[entry.id]
        return (
            text.replace("%1", human_bytes(estimate.total_bytes))
            .replace("%2", f"{estimate.n_ctx:,}")
            .replace("%3", human_bytes(self.free))
        )

    def _tooltip(self, entry: CatalogEntry) -> str:
        f = entry.preferred_file()
        return "\n".join(
            [
                f"{entry.repo}/{f.file}",
                ", ".join(entry.languages),
                entry.license.name,
                self._fit_reason(entry),
                entry.text(entry.license.summary, self.language),
            ]
        )

    def selected(self) -> CatalogEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.shown):
            return None
        return self.shown[rows[0].row()]

    def select(self, entry_id: str) -> None:
        for row, entry in enumerate(self.shown):
            if entry.id == entry_id:
                self.table.selectRow(row)
                return

    @Slot()
    def _selection_changed(self) -> None:
        entry = self.selected()
        offline = self.tasks.offline_reason()
        self.download_button.setEnabled(entry is not None and offline is None)
        if offline is not None:
            self.download_button.setToolTip(offline)
        if entry is None:
            self.details.setText(
                self.tr("No model matches these filters.")
                if not self.shown
                else self.tr("Select a model to see its licence and files.")
            )
            return
        f = entry.preferred_file()
        kind = self.tr(" (embeddings, not for chat)") if entry.kind == "embedding" else ""
        lines = [
            f"<b>{_esc(entry.name)}</b>{_esc(kind)} — {_esc(entry.publisher)}",
            _esc(entry.text(entry.good_at, self.language)),
            self.tr("Licence: %1 — %2")
            .replace("%1", _esc(entry.license.name))
            .replace("%2", _esc(entry.text(entry.license.summary, self.language)))
            + f" ({_esc(entry.license.url)})",
            self.tr("File: %1 (%2) from %3")
            .replace("%1", _esc(f.file))
            .replace("%2", f.quant)
            .replace("%3", _esc(entry.repo)),
            _esc(self._fit_reason(entry)),
        ]
        if "sizes" not in entry.checked:
            lines.append(self.tr("Sizes are estimates: the hub's listing gives the exact one."))
        self.details.setText("<br>".join(lines))

    # --- download --------------------------------------------------------------------------

    @Slot()
    def download_selected(self) -> None:
        entry = self.selected()
        reason = self.tasks.offline_reason()
        if entry is None:
            return
        if reason is not None:
            self.status.setText(self.tr("Hub features are unavailable. %1").replace("%1", reason))
            return
        f = entry.preferred_file()
        self._pending.add(entry.repo)
        self.download_button.setEnabled(False)
        self.status.setText(self.tr("Looking up %1 on the hub…").replace("%1", entry.repo))
        self.tasks.resolveRequested.emit(entry.repo, f.file, f.quant)

    @Slot(object, object)
    def _resolved(self, listing: RepoListing, choice: FileChoice) -> None:
        if listing.repo_id not in self._pending:
            return  # not asked for by this tab
        self._pending.discard(listing.repo_id)
        self.tasks.download(listing, choice)
        self._selection_changed()
        self.status.setText(
            self.tr("Downloading %1: progress, pause and resume are in the Download tab.").replace(
                "%1", choice.label
            )
        )
        self.downloadQueued.emit(choice.label)

    @Slot(str, str)
    def _resolve_failed(self, repo_id: str, message: str) -> None:
        if repo_id not in self._pending:
            return
        self._pending.discard(repo_id)
        self._selection_changed()
        self.status.setText(message)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
