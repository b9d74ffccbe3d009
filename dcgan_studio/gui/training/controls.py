"""The training controls: every setting of a run, and Start / Pause / Stop / Step buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
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
from dcgan_studio.gui.widgets.compact import narrow_combo
from dcgan_studio.gui.widgets.scrolling import scrolling

LOCKED_TIP = "Fixed while training runs (it would make other networks or data): Stop first."

# field -> (label, tooltip)
FIELDS: dict[str, tuple[str, str]] = {
    "data.dataset": (
        "Dataset",
        "What D sees as real. 'digits' is 10,000 MNIST handwritten "
        "digits that ship with the app, so no download is needed.",
    ),
    "model.image_size": (
        "Image size",
        "Height and width of the images. G doubles its map with "
        "each transposed convolution, from 4x4 (or 7x7 for 28) up to this.",
    ),
    "model.channels": (
        "Channels",
        "1 trains in grayscale, 3 in colour. Choosing a colour "
        "dataset (shapes, CIFAR-10, SVHN, CelebA) picks 3; grayscale data shown "
        "in 3 channels stays grey.",
    ),
    "model.nz": (
        "Latent size (nz)",
        "Length of the random vector z that G turns into an image. The DCGAN paper uses 100.",
    ),
    "model.ngf": (
        "G width (ngf)",
        "Channels of G's last hidden layer; earlier layers have 2x, "
        "4x, ... as many. Wider learns more, but each step is slower.",
    ),
    "model.ndf": (
        "D width (ndf)",
        "Channels of D's first layer; later layers double it. Keep it "
        "close to ngf so neither network overpowers the other. The paper uses 64 (G and D); "
        "32 learns digits faster per second on a small CPU.",
    ),
    "model.d_dropout": (
        "D dropout",
        "Share of D's activations zeroed at random in training. It "
        "slows D down a little; the TensorFlow tutorial uses 0.3. 0 turns it off.",
    ),
    "optim.batch_size": (
        "Batch size",
        "Images per step for D (real and fake) and G. The paper "
        "uses 128; the default 32 learns faster per second on a small CPU. Larger batches give "
        "steadier but slower steps.",
    ),
    "optim.lr_g": (
        "G learning rate",
        "How far Adam moves G each step. The paper uses 0.0002 "
        "at batch 128; 0.0012 learns much faster at batch 32. Can be changed while "
        "training, to see what happens.",
    ),
    "optim.lr_d": (
        "D learning rate",
        "How far Adam moves D each step (paper: 0.0002 at batch "
        "128). Lower it if D wins too easily. Can be changed while training.",
    ),
    "optim.beta1": (
        "Adam beta1",
        "Momentum of Adam. The DCGAN paper found 0.5 steadier than the usual 0.9 for GANs.",
    ),
    "optim.beta2": (
        "Adam beta2",
        "How long Adam remembers the size of past gradients; 0.999 is the usual value.",
    ),
    "optim.d_steps": (
        "D steps per G step",
        "How many times D is updated before each update of "
        "G. 1 is the DCGAN setting; more makes D stronger.",
    ),
    "schedule.iterations": ("Iterations", "How many G updates the run makes before it stops."),
    "schedule.seed": (
        "Seed",
        "Starts every random draw (weights, noise, batch order). With "
        "Deterministic on, the same seed gives a bit-identical run on the same "
        "CPU.",
    ),
    "runtime.device": (
        "Device",
        "Where training runs. auto picks a CUDA GPU, then Apple's MPS, then the CPU.",
    ),
    "runtime.precision": (
        "Precision",
        "fp32 is exact; bf16 is about twice as fast where the "
        "hardware runs it natively. auto picks bf16 only there.",
    ),
    "runtime.deterministic": (
        "Deterministic",
        "On the CPU, the same seed gives the same losses "
        "and weights to the last bit, run after run (on the same CPU, "
        "thread count and PyTorch), and a run continued after Stop goes on "
        "as if it had never stopped. The convolution kernels are chosen by "
        "a fixed rule instead of timing each in every run, which can be a "
        "little slower on some CPUs.",
    ),
}
LIVE_FIELDS = {"optim.lr_g", "optim.lr_d"}
PRESET_TEXT = {"quick": "Quick start", "paper": "DCGAN paper"}  # short: the dock is narrow
PRESET_TIP = (
    "Quick start (the defaults): batch 32, widths 32, learning rates 0.0012. On a 2-core "
    "CPU it draws recognisable digits within about a minute. DCGAN paper: batch 128, widths 64, "
    "learning "
    "rates 0.0002, as Radford et al. trained faces and bedrooms; slower per second. Both keep "
    "the DCGAN architecture, its N(0, 0.02) init and Adam with beta1 0.5. Custom: your own "
    "values."
)


class TrainingControls(QWidget):
    start_requested = Signal()
    pause_toggled = Signal()
    stop_requested = Signal()
    step_requested = Signal(str)  # "step" | "step_d" | "step_g"
    learning_rate_changed = Signal(str, float)  # "g" | "d", value
    model_changed = Signal(object)  # ModelConfig: a model setting was edited (maybe invalid)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        self.data_root: str | None = None  # torchvision datasets' folder (the Data panel sets it)
        self._running = False
        self._build()
        self.set_config(RunConfig())
        self.set_state("idle")

    # ---- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
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

        buttons = QGroupBox("Run")
        grid = QGridLayout(buttons)
        self.start_button = self._button(
            "Start",
            "Start a new run with these settings (or continue the opened run).",
            self.start_requested.emit,
        )
        self.pause_button = self._button(
            "Pause", "Pause or resume training (Space).", self.pause_toggled.emit
        )
        self.stop_button = self._button(
            "Stop", "Stop training and save a checkpoint.", self.stop_requested.emit
        )
        self.step_button = self._button(
            "Step",
            "Pause and train one iteration: D then G.",
            lambda: self.step_requested.emit("step"),
        )
        self.step_d_button = self._button(
            "Step D",
            "Pause and update only D once: watch D(x) rise and D(G(z)) fall.",
            lambda: self.step_requested.emit("step_d"),
        )
        self.step_g_button = self._button(
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
        # the run buttons stay in sight; the settings scroll under them, up and down only
        layout.addWidget(buttons)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(settings)
        column.addStretch(1)
        self.settings_scroll = scrolling(page, sideways=False)
        self.settings_scroll.setObjectName("settings-scroll")
        layout.addWidget(self.settings_scroll, 1)
        for field, editor in self.editors.items():
            if field.startswith("model."):
                _changed(editor).connect(self._on_model_edited)
        self.editors["data.dataset"].currentIndexChanged.connect(self._on_dataset_changed)
        for editor in self.editors.values():  # an error said of the settings: gone once edited
            _changed(editor).connect(lambda *_: self.error_label.hide())
        for network in ("g", "d"):
            spin = self.editors[f"optim.lr_{network}"]
            spin.valueChanged.connect(lambda v, n=network: self._on_lr_changed(n, v))
        for field in PRESETS["quick"]:
            self.editors[field].valueChanged.connect(self._sync_preset)

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

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
        if field == "runtime.deterministic":
            return QCheckBox()
        if field in ("optim.lr_g", "optim.lr_d"):
            return _double(1e-6, 1.0, 6, 5e-5)
        if field in ("optim.beta1", "optim.beta2"):
            return _double(0.0, 0.9999, 4, 0.05)
        if field == "model.d_dropout":
            return _double(0.0, 0.9, 2, 0.05)
        ranges = {
            "model.nz": (1, 4096),
            "model.ngf": (1, 1024),
            "model.ndf": (1, 1024),
            "optim.batch_size": (2, 65536),
            "optim.d_steps": (1, 100),
            "schedule.iterations": (1, 10**9),
            "schedule.seed": (0, 2**31 - 1),
        }
        spin = QSpinBox()
        spin.setRange(*ranges[field])
        if field == "optim.batch_size":
            spin.setSingleStep(16)
        return spin

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
        channels = natural_channels(self.editors["data.dataset"].currentData() or "")
        if channels is not None:
            box = self.editors["model.channels"]
            box.setCurrentIndex(box.findData(channels))

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
    def set_state(self, state: str) -> None:
        """idle | starting | running | paused | stopping"""
        busy = state in ("starting", "running", "paused", "stopping")
        self._running = busy
        focus_on_run = self.focusWidget() in self.run_buttons or self.hasFocus()
        for field, editor in self.editors.items():
            if field in LIVE_FIELDS:
                continue
            editor.setEnabled(not busy)
            editor.setToolTip(LOCKED_TIP if busy else FIELDS[field][1])
        self.preset_box.setEnabled(not busy)
        self.preset_box.setToolTip(LOCKED_TIP if busy else PRESET_TIP)
        self.start_button.setEnabled(not busy)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))
        for button in (self.step_button, self.step_d_button, self.step_g_button):
            button.setEnabled(state in ("running", "paused"))
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


def _double(low: float, high: float, decimals: int, step: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    return spin


def _same(a, b) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b)) if isinstance(b, float) else a == b
