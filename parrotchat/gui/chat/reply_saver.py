"""Saving finished replies, and holding on to them while the disk refuses.

When the store cannot write (disk full, a removed USB stick, a file-size limit) the
reply stays on screen and in memory; it is saved again every few seconds, on Retry,
and as soon as any other write goes through. The failure is said once, not once per
token, and taken down when saving works again.

Signals:
    failed(str, str): title and detail of a save that did not go through (said once).
    recovered(str): saving works again; the failure shown under this title can go.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from parrotchat.core.errors import StorageError
from parrotchat.service.turn import Turn

SAVE_RETRY_MS = 3000  # how often replies the disk refused are tried again


class ReplySaver(QObject):
    failed = Signal(str, str)
    recovered = Signal(str)

    def __init__(self, streaming: Callable[[], Turn | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._streaming = streaming  # the turn of the reply in flight, if any
        # Finished replies the store refused: (turn, status, stats), oldest first.
        self._unsaved: list[tuple[Turn, str, dict[str, Any]]] = []
        self._failing_title: str | None = None  # the storage error on show, if any
        self._timer = QTimer(self)
        self._timer.setInterval(SAVE_RETRY_MS)
        self._timer.timeout.connect(self.retry)

    def finish(self, turn: Turn, status: str, stats: dict[str, Any]) -> None:
        """Save a reply whole; if the store refuses, keep it and try again until it works."""
        try:
            turn.close(status, stats)
        except RuntimeError:
            return  # already saved: the engine's last word raced a stop
        except StorageError as exc:
            self._unsaved.append((turn, status, stats))
            self.refused(exc)
            return
        self.went_through()

    def write(self, save: Callable[..., bool], *args: Any) -> None:
        """Run one of the streaming reply's writes (`Turn.on_text`, `Turn.flush_if_due`)."""
        try:
            wrote = save(*args)
        except StorageError as exc:
            self.refused(exc)
        else:
            if wrote:
                self.went_through()

    def refused(self, exc: StorageError) -> None:
        """Say it once, keep the text, retry on a timer (and on Retry)."""
        if not self._timer.isActive():
            self._timer.start()
        if self._failing_title is None:
            self._failing_title = title = self.tr("The reply could not be saved")
            detail = self.tr(
                "%1. It stays on screen, and ParrotChat saves it as soon as it can "
                "(Retry tries now)."
            ).replace("%1", str(exc))
            self.failed.emit(title, detail)

    def note_shown(self, title: str | None) -> None:
        """The window shows this storage error now (None: it was cleared for a new reply)."""
        self._failing_title = title

    def save_waiting(self) -> None:
        """Save the replies that waited; a StorageError leaves the rest waiting, in order."""
        while self._unsaved:
            turn, status, stats = self._unsaved[0]
            with contextlib.suppress(RuntimeError):
                turn.close(status, stats)
            self._unsaved.pop(0)

    @Slot()
    def retry(self) -> None:
        try:
            self.save_waiting()
            streaming = self._streaming()
            if streaming is not None:
                streaming.flush()
        except StorageError as exc:
            self.refused(exc)
            return
        self.went_through()

    def went_through(self) -> None:
        """A write went through: save what waited, and take the storage error down."""
        if self._failing_title is None and not self._unsaved:
            return
        try:
            self.save_waiting()
        except StorageError:
            return
        self._timer.stop()
        title, self._failing_title = self._failing_title, None
        if title is not None:
            self.recovered.emit(title)

    def stop(self) -> None:
        """The window closes: one last try; what still fails is lost with the window."""
        self._timer.stop()
        with contextlib.suppress(StorageError):
            self.save_waiting()
