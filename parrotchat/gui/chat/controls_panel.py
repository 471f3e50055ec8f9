"""The controls: this chat's prompt and sampling, and how the model is loaded.

Every field is a slider, spin box or list with the valid range built in, so an
invalid value cannot be entered. Chat settings apply to the next reply; model
settings (context length, GPU layers, threads) reload the model, shortly after
the last change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.sampling import OVERFLOW_POLICIES, SamplingParams

APPLY_DELAY_MS = 600
MAX_CONTEXT = 1 << 20
CONTEXT_STEP = 256


def _double(low: float, high: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)
    return box


def _form(group: QGroupBox) -> QFormLayout:
    form = QFormLayout(group)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def _combo() -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(6)
    return box


def _int(low: int, high: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)
    return box


class ControlsPanel(QScrollArea):
    """Chat and model controls.

    Signals:
        chatSettingsEdited(object): the chat's new ChatSettings.
        saveDefaultsRequested(): make this chat's settings the defaults.
        contextPreview(int): the context length being considered (for the fit warning).
        modelSettingsEdited(int, str, int): context length, GPU layers, threads: reload.
    """

    chatSettingsEdited = Signal(object)
    saveDefaultsRequested = Signal()
    contextPreview = Signal(int)
    modelSettingsEdited = Signal(int, str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stop: tuple[str, ...] = ()
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(250)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self._build_chat_group())
        layout.addWidget(self._build_model_group())
        layout.addStretch(1)
        self.setWidget(inner)
        self._loading_values = False
        self._chat_timer = QTimer(self)
        self._chat_timer.setSingleShot(True)
        self._chat_timer.setInterval(APPLY_DELAY_MS // 2)
        self._model_timer = QTimer(self)
        self._model_timer.setSingleShot(True)
        self._model_timer.setInterval(APPLY_DELAY_MS)
        self._connect_signals()

    # --- building ------------------------------------------------------------------------

    def _build_chat_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("This chat"))
        form = _form(group)
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText(self.tr("e.g. You are a helpful assistant."))
        self.system_prompt.setMaximumHeight(90)
        form.addRow(self.tr("System prompt"), self.system_prompt)

        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(0, 200)
        self.temperature.setSingleStep(5)
        self.temperature.setPageStep(10)
        self.temperature_value = QLabel()
        self.temperature_value.setMinimumWidth(32)
        row = QHBoxLayout()
        row.addWidget(self.temperature, 1)
        row.addWidget(self.temperature_value)
        hint = QLabel(self.tr("precise ↔ creative"))
        hint.setObjectName("temperatureHint")
        box = QVBoxLayout()
        box.setSpacing(0)
        box.addLayout(row)
        box.addWidget(hint)
        form.addRow(self.tr("Temperature"), box)

        self.max_tokens = _int(1, 32768, 64)
        form.addRow(self.tr("Max reply tokens"), self.max_tokens)
        self.top_p = _double(0.01, 1.0, 0.05)
        form.addRow(self.tr("Top P"), self.top_p)
        self.top_k = _int(0, 1000, 5)
        self.top_k.setSpecialValueText(self.tr("off"))
        form.addRow(self.tr("Top K"), self.top_k)
        self.min_p = _double(0.0, 1.0, 0.01)
        form.addRow(self.tr("Min P"), self.min_p)
        self.repeat_penalty = _double(0.5, 2.0, 0.05)
        form.addRow(self.tr("Repeat penalty"), self.repeat_penalty)
        self.seed = _int(-1, 2**31 - 1)
        self.seed.setSpecialValueText(self.tr("random"))
        form.addRow(self.tr("Seed"), self.seed)
        self.overflow = _combo()
        names = {
            "drop_oldest": self.tr("Leave out the oldest messages"),
            "stop": self.tr("Stop and say so"),
        }
        for policy in OVERFLOW_POLICIES:
            self.overflow.addItem(names[policy], policy)
            self.overflow.setItemData(
                self.overflow.count() - 1, names[policy], Qt.ItemDataRole.ToolTipRole
            )
        form.addRow(self.tr("When the chat is full"), self.overflow)
        self.save_defaults = QPushButton(self.tr("Use for new chats"))
        form.addRow(self.save_defaults)
        return group

    def _build_model_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Model"))
        form = _form(group)
        self.context_length = _int(CONTEXT_STEP, MAX_CONTEXT, CONTEXT_STEP)
        self.context_length.setSuffix(self.tr(" tokens"))
        form.addRow(self.tr("Context length"), self.context_length)
        self.fit_label = QLabel()
        self.fit_label.setWordWrap(True)
        self.fit_label.setObjectName("fitLabel")
        form.addRow(self.fit_label)
        self.gpu_mode = _combo()
        self.gpu_mode.addItem(self.tr("Auto"), "auto")
        self.gpu_mode.addItem(self.tr("All layers"), "all")
        self.gpu_mode.addItem(self.tr("Number of layers"), "number")
        self.gpu_layers = _int(0, 1000)
        row = QHBoxLayout()
        row.addWidget(self.gpu_mode, 1)
        row.addWidget(self.gpu_layers)
        form.addRow(self.tr("GPU layers"), row)
        self.threads = _int(0, 1024)
        self.threads.setSpecialValueText(self.tr("auto"))
        form.addRow(self.tr("Threads"), self.threads)
        self.reload_note = QLabel(self.tr("Changing these reloads the model."))
        self.reload_note.setWordWrap(True)
        self.reload_note.setObjectName("reloadNote")
        form.addRow(self.reload_note)
        return group

    def _connect_signals(self) -> None:
        for box in (self.max_tokens, self.top_k, self.seed):
            box.valueChanged.connect(self._chat_changed)
        for dbox in (self.top_p, self.min_p, self.repeat_penalty):
            dbox.valueChanged.connect(self._chat_changed)
        self.temperature.valueChanged.connect(self._temperature_moved)
        self.overflow.currentIndexChanged.connect(self._chat_changed)
        self.system_prompt.textChanged.connect(self._chat_changed)
        self._chat_timer.timeout.connect(self._emit_chat)
        self.save_defaults.clicked.connect(self.saveDefaultsRequested)
        self.context_length.valueChanged.connect(self._context_changed)
        self.gpu_mode.currentIndexChanged.connect(self._model_changed)
        self.gpu_layers.valueChanged.connect(self._model_changed)
        self.threads.valueChanged.connect(self._model_changed)
        self._model_timer.timeout.connect(self._emit_model)

    # --- values in ---------------------------------------------------------------------------

    def set_chat_settings(self, settings: ChatSettings) -> None:
        self._loading_values = True
        try:
            s = settings.sampling
            if self.system_prompt.toPlainText() != settings.system_prompt:
                self.system_prompt.setPlainText(settings.system_prompt)
            self.temperature.setValue(round(s.temperature * 100))
            self.temperature_value.setText(f"{s.temperature:.2f}")
            self.max_tokens.setValue(s.max_tokens)
            self.top_p.setValue(s.top_p)
            self.top_k.setValue(s.top_k)
            self.min_p.setValue(s.min_p)
            self.repeat_penalty.setValue(s.repeat_penalty)
            self.seed.setValue(s.seed)
            self.overflow.setCurrentIndex(max(0, self.overflow.findData(settings.overflow_policy)))
            self._stop = s.stop
        finally:
            self._loading_values = False
        self._chat_timer.stop()

    def set_model_settings(self, context_length: int, gpu_layers: str, threads: int) -> None:
        self._loading_values = True
        try:
            self.context_length.setValue(context_length)
            mode = gpu_layers if gpu_layers in ("auto", "all") else "number"
            self.gpu_mode.setCurrentIndex(self.gpu_mode.findData(mode))
            self.gpu_layers.setEnabled(mode == "number")
            if mode == "number":
                self.gpu_layers.setValue(int(gpu_layers))
            self.threads.setValue(threads)
        finally:
            self._loading_values = False
        self._model_timer.stop()

    def set_model_limits(self, trained_context: int | None, n_layers: int | None) -> None:
        """Bound the context by the model's trained length, the layers by its count."""
        self._loading_values = True
        try:
            self.context_length.setMaximum(trained_context or MAX_CONTEXT)
            self.gpu_layers.setMaximum(n_layers or 1000)
        finally:
            self._loading_values = False

    def set_fit(self, text: str, warning: bool) -> None:
        self.fit_label.setText(("⚠ " if warning else "") + text)

    # --- values out --------------------------------------------------------------------------

    def chat_settings(self) -> ChatSettings:
        sampling = SamplingParams(
            temperature=self.temperature.value() / 100,
            top_p=self.top_p.value(),
            top_k=self.top_k.value(),
            min_p=self.min_p.value(),
            repeat_penalty=self.repeat_penalty.value(),
            max_tokens=self.max_tokens.value(),
            seed=self.seed.value(),
            stop=self._stop,
        ).validate()
        policy = self.overflow.currentData()
        return ChatSettings(
            self.system_prompt.toPlainText(),
            sampling,
            "stop" if policy == "stop" else "drop_oldest",
        )

    def gpu_layers_setting(self) -> str:
        mode = str(self.gpu_mode.currentData())
        return str(self.gpu_layers.value()) if mode == "number" else mode

    @Slot(int)
    def _temperature_moved(self, value: int) -> None:
        self.temperature_value.setText(f"{value / 100:.2f}")
        self._chat_changed()

    @Slot()
    def _chat_changed(self) -> None:
        if not self._loading_values:
            self._chat_timer.start()

    @Slot()
    def _emit_chat(self) -> None:
        self.chatSettingsEdited.emit(self.chat_settings())

    @Slot(int)
    def _context_changed(self, value: int) -> None:
        self.contextPreview.emit(value)
        self._model_changed()

    @Slot()
    def _model_changed(self) -> None:
        self.gpu_layers.setEnabled(self.gpu_mode.currentData() == "number")
        if not self._loading_values:
            self._model_timer.start()

    @Slot()
    def _emit_model(self) -> None:
        self.modelSettingsEdited.emit(
            self.context_length.value(), self.gpu_layers_setting(), self.threads.value()
        )
