"""One reply's sources fitted into its prompt with the engine's counts, as signals.

The window cannot wait on the engine, so SourceFit's count-and-tell steps
(service/doc_answers.py) are driven by `tokensCounted`: a count is one short
request to the engine, and the GUI thread stays free between them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from parrotchat.gui.engine_controller import EngineController
from parrotchat.service.doc_answers import SourceFit


class SourceFitting(QObject):
    """Signals:
    finished(object): the SourcedPrompt to send.
    failed(str): a count could not be made (the engine stopped): the reason.
    """

    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        engine: EngineController,
        chat_format: str | None,
        fit: SourceFit,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.chat_format = chat_format
        self.fit = fit
        self._count_id: int | None = None
        engine.tokensCounted.connect(self._on_counted)
        engine.countFailed.connect(self._on_failed)
        engine.engineCrashed.connect(self._on_crashed)

    def start(self) -> None:
        self._next()

    def _next(self) -> None:
        candidate = self.fit.candidate()
        if candidate is None:
            self._stop_listening()
            self.finished.emit(self.fit.result())
            return
        self._count_id = self.engine.count(candidate, self.chat_format)
        if self._count_id is None:
            self._end_failed(self.tr("The engine is not running"))

    def _stop_listening(self) -> None:
        self._count_id = None
        self.engine.tokensCounted.disconnect(self._on_counted)
        self.engine.countFailed.disconnect(self._on_failed)
        self.engine.engineCrashed.disconnect(self._on_crashed)

    def _end_failed(self, reason: str) -> None:
        self._stop_listening()
        self.failed.emit(reason)

    @Slot(int, int)
    def _on_counted(self, req_id: int, tokens: int) -> None:
        if req_id == self._count_id:
            self.fit.counted(tokens)
            self._next()

    @Slot(int, str)
    def _on_failed(self, req_id: int, message: str) -> None:
        if req_id == self._count_id:
            self._end_failed(message)

    @Slot(str)
    def _on_crashed(self, message: str) -> None:
        if self._count_id is not None:
            self._end_failed(message)
