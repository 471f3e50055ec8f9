"""The controls: this chat's prompt and sampling, and how the model is loaded.

Every field is a slider, spin box or list with the valid range built in, except the
context length: its range depends on the model, and a number typed past it is kept
and answered with the range (a spin box would silently cut it: 131072 became 1310).
Chat settings apply to the next reply; model settings (context length, GPU layers,
threads) reload the model only when the user confirms (ReloadBar).

Every control has a plain-language tooltip (control_hints.py); labels wrap and
choices shorten with "…" rather than being cut off in a narrow panel.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
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
from parrotchat.gui.chat.control_hints import control_hints
from parrotchat.gui.chat.reload_bar import ReloadBar
from parrotchat.gui.elided import ElidingComboBox

APPLY_DELAY_MS = 600
MAX_CONTEXT = 1 << 20
MIN_CONTEXT = 256
CONTEXT_STEP = 256
TYPABLE_CONTEXT = 99_999_999  # what the field takes as typed; the model's range is checked


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


def _combo() -> ElidingComboBox:
    return ElidingComboBox(min_chars=5)


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class ContextSpinBox(QSpinBox):
    """Takes any number typed; its arrows step within the model's range."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed = (MIN_CONTEXT, MAX_CONTEXT)
        self.setRange(0, TYPABLE_CONTEXT)
        self.setSingleStep(CONTEXT_STEP)
        self.setKeyboardTracking(False)

    def stepBy(self, steps: int) -> None:
        low, high = self.allowed
        self.setValue(max(low, min(high, self.value() + steps * self.singleStep())))


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
        self.setMinimumWidth(200)
        self._tips = control_hints()
        self._applied: tuple[int, str, int] | None = None  # what the model was loaded with
        self._labels: dict[str, QLabel] = {}
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
        self._connect_signals()
        self._add_tooltips()

    # --- building ------------------------------------------------------------------------

    def _row(
        self, form: QFormLayout, name: str, text: str, field: object, wide: bool = False
    ) -> None:
        """A labelled row; the label wraps in a narrow panel, and shares the tooltip.

        `wide`: the field goes under its label, the panel's full width (long choices)."""
        label = _label(text)
        self._labels[name] = label
        if isinstance(field, QWidget):
            label.setBuddy(field)
            if wide:
                form.addRow(label)
                form.addRow(field)
            else:
                form.addRow(label, field)
        else:
            form.addRow(label, field)  # type: ignore[call-overload]

    def _build_chat_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("This chat"))
        form = _form(group)
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText(self.tr("e.g. You are a helpful assistant."))
        self.system_prompt.setMaximumHeight(90)
        self._row(form, "system_prompt", self.tr("System prompt"), self.system_prompt)

        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(0, 200)
        self.temperature.setSingleStep(5)
        self.temperature.setPageStep(10)
        self.temperature_value = QLabel()
        self.temperature_value.setMinimumWidth(32)
        row = QHBoxLayout()
        row.addWidget(self.temperature, 1)
        row.addWidget(self.temperature_value)
        hint = _label(self.tr("precise ↔ creative"))
        hint.setObjectName("temperatureHint")
        box = QVBoxLayout()
        box.setSpacing(0)
        box.addLayout(row)
        box.addWidget(hint)
        self._row(form, "temperature", self.tr("Temperature"), box)

        self.max_tokens = _int(1, 32768, 64)
        self._row(form, "max_tokens", self.tr("Max reply tokens"), self.max_tokens)
        self.top_p = _double(0.01, 1.0, 0.05)
        self._row(form, "top_p", self.tr("Top P"), self.top_p)
        self.top_k = _int(0, 1000, 5)
        self.top_k.setSpecialValueText(self.tr("off"))
        self._row(form, "top_k", self.tr("Top K"), self.top_k)
        self.min_p = _double(0.0, 1.0, 0.01)
        self._row(form, "min_p", self.tr("Min P"), self.min_p)
        self.repeat_penalty = _double(0.5, 2.0, 0.05)
        self._row(form, "repeat_penalty", self.tr("Repeat penalty"), self.repeat_penalty)
        self.seed = _int(-1, 2**31 - 1)
        self.seed.setSpecialValueText(self.tr("random"))
        self._row(form, "seed", self.tr("Seed"), self.seed)
        self.draft_ahead = QCheckBox(self.tr("Draft ahead"))
        self._row(form, "draft_ahead", self.tr("Speed"), self.draft_ahead)
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
        self._row(form, "overflow", self.tr("When the chat is full"), self.overflow, wide=True)
        self.save_defaults = QPushButton(self.tr("Use for new chats"))
        form.addRow(self.save_defaults)
        return group

    def _build_model_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Model"))
        form = _form(group)
        self.context_length = ContextSpinBox()
        self.context_length.setSuffix(self.tr(" tokens"))
        self._row(form, "context_length", self.tr("Context length"), self.context_length)
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
        self._row(form, "gpu_layers", self.tr("GPU layers"), row)
        self.threads = _int(0, 1024)
        self.threads.setSpecialValueText(self.tr("auto"))
        self._row(form, "threads", self.tr("Threads"), self.threads)
        self.reload_note = QLabel(self.tr("Changing these reloads the model, when you confirm."))
        self.reload_note.setWordWrap(True)
        self.reload_note.setObjectName("reloadNote")
        form.addRow(self.reload_note)
        self.reload_bar = ReloadBar()
        form.addRow(self.reload_bar)
        return group

    def _add_tooltips(self) -> None:
        fields: dict[str, tuple[QWidget, ...]] = {
            "system_prompt": (self.system_prompt,),
            "temperature": (self.temperature, self.temperature_value),
            "max_tokens": (self.max_tokens,),
            "top_p": (self.top_p,),
            "top_k": (self.top_k,),
            "min_p": (self.min_p,),
            "repeat_penalty": (self.repeat_penalty,),
            "seed": (self.seed,),
            "draft_ahead": (self.draft_ahead,),
            "overflow": (self.overflow,),
            "save_defaults": (self.save_defaults,),
            "context_length": (self.context_length,),
            "gpu_layers": (self.gpu_mode, self.gpu_layers),
            "threads": (self.threads,),
        }
        for name, widgets in fields.items():
            for widget in (self._labels.get(name), *widgets):
                if widget is not None:
                    widget.setToolTip(self._tips[name])

    def _connect_signals(self) -> None:
        for box in (self.max_tokens, self.top_k, self.seed):
            box.valueChanged.connect(self._chat_changed)
        for dbox in (self.top_p, self.min_p, self.repeat_penalty):
            dbox.valueChanged.connect(self._chat_changed)
        self.temperature.valueChanged.connect(self._temperature_moved)
        self.overflow.currentIndexChanged.connect(self._chat_changed)
        self.draft_ahead.toggled.connect(self._chat_changed)
        self.system_prompt.textChanged.connect(self._chat_changed)
        self._chat_timer.timeout.connect(self._emit_chat)
        self.save_defaults.clicked.connect(self.saveDefaultsRequested)
        self.context_length.valueChanged.connect(self._context_changed)
        self.gpu_mode.currentIndexChanged.connect(self._model_changed)
        self.gpu_layers.valueChanged.connect(self._model_changed)
        self.threads.valueChanged.connect(self._model_changed)
        self.reload_bar.apply_button.clicked.connect(self._emit_model)
        self.reload_bar.undo_button.clicked.connect(self.undo_model_settings)

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
            self.draft_ahead.setChecked(s.draft_ahead)
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
        self._applied = self.model_settings()
        self._update_reload_bar()

    def set_model_limits(self, trained_context: int | None, n_layers: int | None) -> None:
        """Bound the context by the model's trained length, the layers by its count."""
        self._loading_values = True
        try:
            high = max(MIN_CONTEXT, trained_context or MAX_CONTEXT)
            self.context_length.allowed = (MIN_CONTEXT, high)
            self.gpu_layers.setMaximum(n_layers or 1000)
        finally:
            self._loading_values = False
        self._update_reload_bar()

    @property
    def context_range(self) -> tuple[int, int]:
        """The context lengths the chosen model can be loaded with."""
        return self.context_length.allowed

    def allowed_context(self) -> int:
        """The context length typed, brought into the model's range."""
        low, high = self.context_length.allowed
        return max(low, min(high, self.context_length.value()))

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
            draft_ahead=self.draft_ahead.isChecked(),
        ).validate()
        policy = self.overflow.currentData()
        return ChatSettings(
            self.system_prompt.toPlainText(),
            sampling,
            "stop" if policy == "stop" else "drop_oldest",
        )

    def model_settings(self) -> tuple[int, str, int]:
        """Context length (as typed), GPU layers, threads: what the fields say now."""
        return self.context_length.value(), self.gpu_layers_setting(), self.threads.value()

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
    def _context_changed(self, _value: int) -> None:
        self.contextPreview.emit(self.allowed_context())
        self._model_changed()

    @Slot()
    def _model_changed(self) -> None:
        self.gpu_layers.setEnabled(self.gpu_mode.currentData() == "number")
        if not self._loading_values:
            self._update_reload_bar()

    def _update_reload_bar(self) -> None:
        now = self.model_settings()
        if self._applied is None or now == self._applied:
            self.reload_bar.hide()
            return
        low, high = self.context_length.allowed
        typed = now[0]
        if low <= typed <= high:
            self.reload_bar.offer(self.tr("The model reloads with the new settings."))
            return
        self.reload_bar.offer(
            self.tr(
                "%1 tokens is outside what this model allows: %2 to %3 tokens. "
                "Reload now uses %4 tokens."
            )
            .replace("%1", f"{typed:,}")
            .replace("%2", f"{low:,}")
            .replace("%3", f"{high:,}")
            .replace("%4", f"{self.allowed_context():,}")
        )

    @Slot()
    def undo_model_settings(self) -> None:
        """Back to the settings the model was loaded with; nothing reloads."""
        if self._applied is not None:
            self.set_model_settings(*self._applied)

    @Slot()
    def _emit_model(self) -> None:
        """The user confirmed: the context comes into range, and the model reloads."""
        self._loading_values = True
        try:
            self.context_length.setValue(self.allowed_context())
        finally:
            self._loading_values = False
        self._applied = self.model_settings()
        self.reload_bar.hide()
        self.modelSettingsEdited.emit(*self._applied)
