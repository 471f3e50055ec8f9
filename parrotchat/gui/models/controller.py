"""Which model the window chats with: the library, the choice, loading and its fit.

Scanning the library reads every GGUF header (and imports the `gguf` package,
which pulls in numpy), so it runs on a worker thread after the window is shown;
the result comes back to the GUI thread through a queued signal. The saved
servers' models are listed the same way, on a thread of their own (the network
may be slow or down), and choosing one switches the engine to that server.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from parrotchat.core.errors import ParrotError
from parrotchat.core.servers import ServerStore
from parrotchat.core.settings import Settings
from parrotchat.gui.models.remote_models import RemoteChoice, list_server_models

if TYPE_CHECKING:
    from pathlib import Path

    from parrotchat.core.models.info import ModelInfo
    from parrotchat.engine.protocol import LoadRequest
    from parrotchat.gui.engine_controller import EngineController


@dataclass(frozen=True)
class ScanResult:
    models: list[ModelInfo]
    problems: list[str]
    ram_free: int
    vram_free: int | None
    requested: ModelInfo | None = None  # what --model named, found
    unusable: list[tuple[Path, str]] = field(default_factory=list)  # file, why not


def _scan(models_dir: Any, requested: str | None) -> ScanResult:
    # Imported here: on the worker thread, never at window start-up.
    from parrotchat.core.models.library import ModelLibrary
    from parrotchat.core.models.memory_fit import available_memory
    from parrotchat.core.models.starter import starter_model_path

    library = ModelLibrary(models_dir, starter_model_path())
    models = library.scan()
    problems = list(library.problems)
    wanted = None
    if requested:  # --model: a library name, or a file used where it is
        try:
            wanted = library.find(requested)
        except ParrotError as exc:
            problems.append(str(exc))
        else:
            same = [m for m in models if m.path == wanted.path]
            if same:
                wanted = same[0]
            else:
                wanted = wanted.with_source("external")
                models.append(wanted)
    ram, vram = available_memory()
    return ScanResult(models, problems, ram, vram, wanted, library.unusable)


class ModelController(QObject):
    """Lists the models, loads the chosen one with the user's settings.

    Signals:
        modelsListed(list): the library's ModelInfo list (starter first).
        modelChosen(object): the ModelInfo now loading or loaded.
        remoteChosen(object): the RemoteChoice (a server's model) now loading or loaded.
        serversListed(list): a ServerListing per saved server.
        problemFound(str): a model file or setting that cannot be used; one line.
        noModelFound(): the scan found no model at all (a first run without the starter).
        noticePosted(str): something worth a line in the status bar.
    """

    modelsListed = Signal(list)
    modelChosen = Signal(object)
    remoteChosen = Signal(object)
    serversListed = Signal(list)
    problemFound = Signal(str)
    noModelFound = Signal()
    noticePosted = Signal(str)

    _scanned = Signal(object)  # ScanResult or an error message, from the worker thread
    _serversFound = Signal(list)  # ServerListing list, from the server worker thread

    def __init__(
        self,
        engine: EngineController,
        settings: Settings,
        models_dir: os.PathLike[str] | str,
        requested: str | None = None,
        parent: QObject | None = None,
        servers: ServerStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.servers = servers
        self.settings = settings
        self.models_dir = models_dir
        self.requested = requested  # --model, for this run only
        self.models: list[ModelInfo] = []
        self.unusable: list[tuple[Path, str]] = []  # broken files in the models folder
        self.current: ModelInfo | None = None  # the local model in use; None with a remote one
        self.remote: RemoteChoice | None = None  # the server's model in use
        self._server_thread: threading.Thread | None = None
        self._list_again = False
        self._requested_model: ModelInfo | None = None
        self.chat_format: str | None = None
        self._ram_free = 0
        self._vram_free: int | None = None
        self._thread: threading.Thread | None = None
        self._load_when_scanned = True
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._scanned.connect(self._on_scanned)
        self._serversFound.connect(self._on_servers_found)

    @property
    def current_name(self) -> str | None:
        """The model in use as chats record it: "name", or "<model> on <server>"."""
        if self.remote is not None:
            return self.remote.name
        return self.current.display_name if self.current is not None else None

    # --- the saved servers ----------------------------------------------------------------

    def list_servers(self) -> None:
        """Ask each saved server for its models on a worker thread; `serversListed` answers."""
        if self.servers is None:
            return
        if self._server_thread is not None and self._server_thread.is_alive():
            self._list_again = True  # a server was added meanwhile: list once more after
            return
        store = self.servers
        self._server_thread = threading.Thread(
            target=self._servers_worker, args=(store,), name="server-models", daemon=True
        )
        self._server_thread.start()

    def _servers_worker(self, store: ServerStore) -> None:
        listings = list_server_models(store)
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._serversFound.emit(listings)

    @Slot(list)
    def _on_servers_found(self, listings: list[Any]) -> None:
        self.serversListed.emit(listings)
        if self._list_again:
            self._list_again = False
            self.list_servers()

    def wait_for_servers(self, timeout: float = 10.0) -> None:
        if self._server_thread is not None:
            self._server_thread.join(timeout)

    def choose_remote(self, choice: RemoteChoice) -> None:
        """Chat with a model on a saved server: the engine switches to it, no restart."""
        if self.servers is None:
            return
        try:
            config = self.servers.get(choice.server)
        except ParrotError as exc:
            self.problemFound.emit(str(exc))
            return
        from parrotchat.engine.protocol import LoadRequest

        self.current = None
        self.remote = choice
        self.chat_format = None  # the server renders its own template
        self.remoteChosen.emit(choice)
        self.engine.use_remote(config)
        self.engine.load(LoadRequest(path=choice.model_id, n_ctx=self.settings.context_length))

    # --- the library -------------------------------------------------------------------

    def scan(self, load_default: bool = True) -> None:
        """List the library on a worker thread; then load the default model if asked."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._load_when_scanned = load_default
        self._thread = threading.Thread(target=self._scan_worker, name="model-scan", daemon=True)
        self._thread.start()

    def _scan_worker(self) -> None:
        try:
            result: object = _scan(self.models_dir, self.requested)
        except Exception as exc:  # reported in the window, never lost on a thread
            result = self.tr("The model library could not be read: %1").replace("%1", str(exc))
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._scanned.emit(result)

    def wait_for_scan(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @Slot(object)
    def _on_scanned(self, result: object) -> None:
        if isinstance(result, str):
            self.problemFound.emit(result)
            return
        assert isinstance(result, ScanResult)
        self.models = result.models
        self.unusable = result.unusable
        self._requested_model = result.requested
        self._ram_free, self._vram_free = result.ram_free, result.vram_free
        self.modelsListed.emit(self.models)
        for problem in result.problems:
            self.noticePosted.emit(problem)
        if self._load_when_scanned and self.current is None and self.remote is None:
            model = self._default_model()
            if model is None:
                self.noModelFound.emit()  # the window offers import, download, folder
            else:
                self.choose(model, remember=model is not self._requested_model)

    def _default_model(self) -> ModelInfo | None:
        if self._requested_model is not None:
            return self._requested_model
        wanted = self.settings.default_model
        for model in self.models:
            if wanted and wanted in (model.name, str(model.path), model.path.name):
                return model
        return self.models[0] if self.models else None

    # --- loading -------------------------------------------------------------------------

    def choose(self, model: ModelInfo, remember: bool = True) -> None:
        """Load `model` with the current settings (after a memory-fit check).

        `remember`: make it the default model for the next start.
        """
        from parrotchat.core.models.memory_fit import Fit

        self.engine.use_local()
        self.remote = None
        self.current = model
        if remember:
            self.settings.default_model = model.name
        self.chat_format = None if model.chat_template_kind else "chatml"
        self.modelChosen.emit(model)
        if self.chat_format is not None:
            self.noticePosted.emit(
                self.tr(
                    "%1 has no chat template; using the ChatML format (replies may be poor)"
                ).replace("%1", model.display_name)
            )
        request = self._request(model)
        fit = self.assess(request.n_ctx)
        if fit is not None and fit[0] is Fit.TOO_LARGE:
            self.problemFound.emit(
                self.tr("Model %1 is too large for this machine: %2")
                .replace("%1", model.display_name)
                .replace("%2", fit[1])
            )
            return
        self.engine.load(request)

    def reload(self) -> None:
        """Load the current model again with changed settings (context, GPU layers, threads)."""
        if self.remote is not None:
            self.choose_remote(self.remote)
        elif self.current is not None:
            self.noticePosted.emit(self.tr("Reloading the model with the new settings…"))
            self.choose(self.current, remember=self.current is not self._requested_model)

    def _request(self, model: ModelInfo) -> LoadRequest:
        from parrotchat.service.model_load import load_request

        return load_request(model, self.settings, self.engine.gpu_offload, self.chat_format)

    def trained_context(self) -> int | None:
        return self.current.context_length if self.current is not None else None

    def fit_of(self, model: ModelInfo) -> Any:
        """The memory-fit badge (a Fit) of `model` at the context setting; None before a scan."""
        if not self._ram_free:
            return None
        from parrotchat.core.models.memory_fit import assess_fit, estimate_memory
        from parrotchat.service.model_load import resolve_gpu_layers

        estimate = estimate_memory(model, self.settings.context_length, self.settings.batch_size)
        gpu = resolve_gpu_layers(self.settings.gpu_layers, self.engine.gpu_offload) != 0
        return assess_fit(estimate, self._ram_free, self._vram_free, gpu).fit

    def assess(self, n_ctx: int) -> tuple[Any, str] | None:
        """(Fit, one line for the user) for the current model at `n_ctx`; None without one."""
        if self.current is None:
            return None
        from parrotchat.core.models.info import human_bytes
        from parrotchat.core.models.memory_fit import Fit, assess_fit, estimate_memory
        from parrotchat.service.model_load import resolve_gpu_layers

        estimate = estimate_memory(self.current, n_ctx, self.settings.batch_size)
        gpu = resolve_gpu_layers(self.settings.gpu_layers, self.engine.gpu_offload) != 0
        result = assess_fit(estimate, self._ram_free, self._vram_free, gpu)
        free = self._ram_free + ((self._vram_free or 0) if gpu else 0)
        if result.fit is Fit.FITS:
            text = self.tr("Needs about %1 at %2 tokens of context; %3 free.")
        elif result.fit is Fit.PARTIAL_OFFLOAD:
            text = self.tr(
                "Needs about %1 at %2 tokens of context; part runs from RAM, more slowly (%3 free)."
            )
        else:
            text = self.tr(
                "Needs about %1 at %2 tokens of context but only %3 is free: try a shorter "
                "context or a smaller quantization."
            )
        line = (
            text.replace("%1", human_bytes(estimate.total_bytes))
            .replace("%2", f"{n_ctx:,}")
            .replace("%3", human_bytes(free))
        )
        return result.fit, line
