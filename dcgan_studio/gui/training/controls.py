"""The training controls: every setting of a run, and Start / Pause / Stop / Step buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.config import (
    PRECISIONS,
    PRESETS,
    SUPPORTED_IMAGE_SIZES,
    ModelConfig,
    RunConfig,
)
from dcgan_studio.core.data import describe_datasets, natural_channels
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.fields import (
    FIELDS,
    LIVE_FIELDS,
    LOCKED_TIP,
    PRESET_TEXT,
    PRESET_TIP,
)
from dcgan_studio.gui.widgets.compact import narrow_combo, push_button
from dcgan_studio.gui.widgets.scrolling import scrolling
from dcgan_studio.gui.widgets.setting_editors import number_editor

FOLLOWED_TIP = (
    "Another process trains this run: its settings are shown, not changed here (File > Stop "
    "Following, then Start continues it here once that process has stopped)."
)


class TrainingControls(QWidget):
    start_requested = Signal()
    pause_toggled = Signal()
    stop_requested = Signal()
    step_requested = Signal(str)  # "step" | "step_d" | "step_g"
    branch_requested = Signal()  # Branch…: a new run from the checkpoint of the grid shown
    learning_rate_changed = Signal(str, float)  # "g" | "d", value
    model_changed = Signal(object)  # ModelConfig: a model setting was edited (maybe invalid)
    dataset_changed = Signal(str, object)  # the dataset shown now, and the data root (or None)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        self.data_root: str | None = None  # torchvision datasets' folder (the Data panel sets it)
        self._running = False
        self._state = "idle"
        self.read_only = False  # a followed run: another process trains it
        self._build()
        self.set_config(RunConfig())
        self.set_state("idle")

    # ---- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        # the run buttons stay in sight; the settings scroll under them, up and down only
        layout.addWidget(self._build_buttons())
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._build_settings())
        column.addStretch(1)
        self.settings_scroll = scrolling(page, sideways=False)
        self.settings_scroll.setObjectName("settings-scroll")
        layout.addWidget(self.settings_scroll, 1)
        self._connect_editors()

    def _build_settings(self) -> QGroupBox:
        settings = QGroupBox("Settings")
        form = QFormLayout(settings)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.preset_box = narrow_combo()
        self.preset_box.setObjectName("preset")
        for key, text in PRESET_TEXT.items():
            self.preset_box.addItem(text, key)
        self.preset_box.addItem("Custom", "custom")  # the values match no preset
        self.preset_box.setToolTip(PRESET_TIP)
        self.preset_box.activated.connect(self._on_preset_chosen)
        preset_label = QLabel("Preset")
        preset_label.setToolTip(PRESET_TIP)
        form.addRow(preset_label, self.preset_box)
        for field, (label, tip) in FIELDS.items():
            editor = self._editor(field)
            editor.setToolTip(tip)
            editor.setObjectName(field)
            self.editors[field] = editor
            text = QLabel(label)
            text.setToolTip(tip)
            form.addRow(text, editor)
        self.error_label = QLabel()
        self.error_label.setObjectName("controls-error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d9534f;")
        self.error_label.hide()
        form.addRow(self.error_label)
        return settings

    def _build_buttons(self) -> QGroupBox:
        buttons = QGroupBox("Run")
        grid = QGridLayout(buttons)
        self.start_button = push_button(
            "Start",
            "Start a new run with these settings (or continue the opened run).",
            self.start_requested.emit,
        )
        self.pause_button = push_button(
            "Pause", "Pause or resume training (Space).", self.pause_toggled.emit
        )
        self.stop_button = push_button(
            "Stop", "Stop training and save a checkpoint.", self.stop_requested.emit
        )
        self.step_button = push_button(
            "Step",
            "Pause and train one iteration: D then G.",
            lambda: self.step_requested.emit("step"),
        )
        self.step_d_button = push_button(
            "Step D",
            "Pause and update only D once: watch D(x) rise and D(G(z)) fall.",
            lambda: self.step_requested.emit("step_d"),
        )
        self.step_g_button = push_button(
            "Step G",
            "Pause and update only G once: watch D(G(z)) rise as G fools D more.",
            lambda: self.step_requested.emit("step_g"),
        )
        # in the grid's order, two rows of three
        self.run_buttons = (
            self.start_button,
            self.pause_button,
            self.stop_button,
            self.step_button,
            self.step_d_button,
            self.step_g_button,
        )
        for i, b in enumerate(self.run_buttons):
            grid.addWidget(b, i // 3, i % 3)
        self.branch_button = push_button(
            "Branch from the Grid Shown…",
            "Start a new run from the opened run's checkpoint at (or before) the grid on screen "
            "(scrub to choose it), with some settings changed; see both futures side by side "
            "in Runs and Compare.",
            self.branch_requested.emit,
        )
        self.branch_button.setObjectName("branch-button")
        self.branch_button.setEnabled(False)  # the window enables it for a run with a checkpoint
        grid.addWidget(self.branch_button, 2, 0, 1, 3)
        return buttons

    def _connect_editors(self) -> None:
        for field, editor in self.editors.items():
            if field.startswith("model."):
                _changed(editor).connect(self._on_model_edited)
        dataset = self.editors["data.dataset"]
        dataset.currentIndexChanged.connect(self._on_dataset_changed)
        for editor in self.editors.values():  # an error said of the settings: gone once edited
            _changed(editor).connect(lambda *_: self.error_label.hide())
        for network in ("g", "d"):
            spin = self.editors[f"optim.lr_{network}"]
            spin.valueChanged.connect(lambda v, n=network: self._on_lr_changed(n, v))
        for field in PRESETS["quick"]:
            self.editors[field].valueChanged.connect(self._sync_preset)

    def _editor(self, field: str) -> QWidget:
        if field == "data.dataset":
            box = narrow_combo()
            for name, text in describe_datasets().items():
                box.addItem(name, name)
                box.setItemData(box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
            return box
        if field == "model.image_size":
            box = narrow_combo()
            for size in SUPPORTED_IMAGE_SIZES:
                box.addItem(f"{size} x {size}", size)
            return box
        if field == "model.channels":
            box = narrow_combo()
            box.addItem("1 (grayscale)", 1)
            box.addItem("3 (RGB)", 3)
            return box
        if field == "runtime.device":
            box = narrow_combo()
            for name in ("auto", "cpu", "cuda", "mps"):
                box.addItem(name, name)
            return box
        if field == "runtime.precision":
            box = narrow_combo()
            for name in PRECISIONS:
                box.addItem(name, name)
            return box
        if field in ("runtime.deterministic", "runtime.tensorboard"):
            return QCheckBox()
        return number_editor(field)

    # ---- values -----------------------------------------------------------------------------
    def set_config(self, cfg: RunConfig) -> None:
        self.data_root = cfg.data.data_root
        self._set_values({field: cfg.value(field) for field in self.editors})

    def _set_values(self, values: dict) -> None:
        for field, value in values.items():
            editor = self.editors[field]
            if isinstance(editor, QComboBox):
                index = editor.findData(value)
                if index < 0:
                    editor.addItem(str(value), value)
                    index = editor.count() - 1
                editor.setCurrentIndex(index)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif value is not None:
                editor.blockSignals(True)
                editor.setValue(value)
                editor.blockSignals(False)
        self._sync_preset()

    def _on_preset_chosen(self, _index: int) -> None:
        key = self.preset_box.currentData()
        if key not in PRESETS:  # "Custom": keep the values as they are
            return
        self._set_values(PRESETS[key])
        self.error_label.hide()
        self.model_changed.emit(self.model_config())  # the widths may have changed

    def _sync_preset(self, *_) -> None:
        """Show the preset the values match, or Custom."""
        values = self._values()
        match = next(
            (
                key
                for key, preset in PRESETS.items()
                if all(_same(values[f], v) for f, v in preset.items())
            ),
            "custom",
        )
        self.preset_box.setCurrentIndex(self.preset_box.findData(match))

    def _values(self) -> dict:
        values = {
            field: editor.currentData()
            if isinstance(editor, QComboBox)
            else editor.isChecked()
            if isinstance(editor, QCheckBox)
            else editor.value()
            for field, editor in self.editors.items()
        }
        values["data.data_root"] = self.data_root
        return values

    def set_dataset(self, name: str, data_root: str | None) -> None:
        """A dataset chosen elsewhere (the Data panel's folder or data-root pickers)."""
        self.data_root = data_root
        box = self.editors["data.dataset"]
        index = box.findData(name)
        if index < 0:
            box.addItem(name.removeprefix("folder:") if name.startswith("folder:") else name, name)
            index = box.count() - 1
            box.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)
        box.setCurrentIndex(index)

    def _on_dataset_changed(self, _index: int) -> None:
        name = self.editors["data.dataset"].currentData()
        channels = natural_channels(name or "")
        if channels is not None:
            box = self.editors["model.channels"]
            box.setCurrentIndex(box.findData(channels))
        self.dataset_changed.emit(name, self.data_root)

    def model_config(self) -> ModelConfig:
        """The model settings as they stand, not validated (the architecture view says what is
        wrong with them)."""
        model = {k: v for k, v in self._values().items() if k.startswith("model.")}
        return RunConfig().with_values(model).model

    def _on_model_edited(self, *_) -> None:
        self.model_changed.emit(self.model_config())

    def config(self, base: RunConfig | None = None) -> RunConfig:
        """The settings as a validated RunConfig; a bad value is shown at the control."""
        values = self._values()
        values["schedule.epochs"] = None
        try:
            cfg = (base or RunConfig()).with_values(values).validate()
        except ConfigError as exc:
            self.show_error(exc.field, str(exc))
            raise
        self.error_label.hide()
        return cfg

    def show_error(self, field: str, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        editor = self.editors.get(field)
        if editor is not None:
            editor.setFocus()

    # ---- state ------------------------------------------------------------------------------
    def set_read_only(self, on: bool) -> None:
        """A followed run: its settings shown, every setting and run button locked."""
        self.read_only = on
        self.set_state(self._state)

    def set_state(self, state: str) -> None:
        """idle | starting | running | paused | stopping"""
        self._state = state
        busy = state in ("starting", "running", "paused", "stopping")
        self._running = busy
        locked = busy or self.read_only
        tip = FOLLOWED_TIP if self.read_only else LOCKED_TIP
        focus_on_run = self.focusWidget() in self.run_buttons or self.hasFocus()
        for field, editor in self.editors.items():
            if field in LIVE_FIELDS and not self.read_only:
                continue
            editor.setEnabled(not locked)
            editor.setToolTip(tip if locked else FIELDS[field][1])
        self.preset_box.setEnabled(not locked)
        self.preset_box.setToolTip(tip if locked else PRESET_TIP)
        self.start_button.setEnabled(not locked)
        acting = state in ("running", "paused") and not self.read_only
        self.pause_button.setEnabled(acting)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(acting)
        for button in (self.step_button, self.step_d_button, self.step_g_button):
            button.setEnabled(acting)
        if self.read_only:
            self.branch_button.setEnabled(False)
        # keyboard focus follows the next thing to press, not Qt's next field in the chain (a
        # learning rate's box, whose blinking caret would keep the panel repainting)
        if focus_on_run:
            target = next(
                (b for b in (self.pause_button, self.start_button) if b.isEnabled()), self
            )
            target.setFocus()

    def _on_lr_changed(self, network: str, value: float) -> None:
        if self._running:
            self.learning_rate_changed.emit(network, value)


def _changed(editor: QWidget):
    """The signal an editor sends when a person changes its value."""
    if isinstance(editor, QComboBox):
        return editor.currentIndexChanged
    if isinstance(editor, QCheckBox):
        return editor.toggled
    return editor.valueChanged


def _same(a, b) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b)) if isinstance(b, float) else a == b
