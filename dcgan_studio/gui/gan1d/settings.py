"""The 1-D GAN playground's settings: the target and its parameters, the noise, learning rates,
D steps per G step, batch size, hidden units and seed, read as one ``Gan1dConfig``.

Editors report a change when a value is committed (Enter, focus leaving, an arrow click), not on
every keystroke. ``config()`` raises ``ConfigError`` for a combination that does not make sense
(a uniform whose high is not above its low); the playground shows that message.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from dcgan_studio.core.gan1d import Gan1dConfig, Gaussian, Target, TwoGaussians, Uniform

TARGETS = {"Gaussian": Gaussian, "Two Gaussians": TwoGaussians, "Uniform": Uniform}
_NAMES = {kind: name for name, kind in TARGETS.items()}
PARAMETER_LABELS = {
    "mean": "Mean",
    "std": "Std",
    "mean1": "Mean 1",
    "mean2": "Mean 2",
    "low": "Low",
    "high": "High",
}
NOISE_LABELS = {"uniform": "Uniform U(−1, 1)", "normal": "Normal N(0, 1)"}

# name -> (label, tooltip)
TIPS = {
    "target": ("Target", "The distribution G learns to imitate: the real data."),
    "noise": (
        "Noise z",
        "What G turns into samples: z drawn uniformly from (−1, 1) or from a "
        "standard normal. Changing it starts again from the seed.",
    ),
    "lr_d": ("lr D", "D's Adam learning rate. Takes effect at once, without a reset."),
    "lr_g": (
        "lr G",
        "G's Adam learning rate. Takes effect at once. Much faster than D (e.g. "
        "0.01) makes G overshoot and, on Two Gaussians, collapse onto one mode.",
    ),
    "d_steps": (
        "D steps per G step",
        "How many times D learns before G takes one step. Takes effect at once.",
    ),
    "batch_size": ("Batch size", "Real and fake samples per update. Takes effect at once."),
    "hidden": (
        "Hidden units",
        "Width of both hidden layers of G and of D. Changing it builds new networks (a reset).",
    ),
    "seed": (
        "Seed",
        "Starting weights and noise. The same seed and settings give the same "
        "run. Changing it starts again.",
    ),
}


def _double(
    low: float, high: float, value: float, decimals: int = 2, step: float = 0.25
) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _rate(value: float) -> QDoubleSpinBox:
    """A learning rate: 0.00001 .. 0.5, the arrows step by about a tenth of the value."""
    box = _double(1e-5, 0.5, value, decimals=5)
    box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    return box


def _integer(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


class Gan1dSettings(QWidget):
    changed = Signal()  # a setting was committed; read config()

    def __init__(self, config: Gan1dConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        config = config or Gan1dConfig()
        # each kind of target remembers its parameters while another is chosen
        self._targets: dict[type, Target] = {kind: kind() for kind in TARGETS.values()}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.editors: dict[str, QWidget] = {}
        target = QComboBox()
        for name in TARGETS:
            target.addItem(name, name)
        noise = QComboBox()
        for name, label in NOISE_LABELS.items():
            noise.addItem(label, name)
        self.editors.update(target=target, noise=noise)
        form.addRow(self._label("target"), target)
        self.parameter_labels: list[QLabel] = []
        self.parameters: list[QDoubleSpinBox] = []
        for _ in range(3):  # the target's parameters, relabelled for each kind
            label, box = QLabel(), _double(-20.0, 20.0, 0.0)
            self.parameter_labels.append(label)
            self.parameters.append(box)
            form.addRow(label, box)
        form.addRow(self._label("noise"), noise)
        self.editors.update(
            lr_d=_rate(config.lr_d),
            lr_g=_rate(config.lr_g),
            d_steps=_integer(1, 20, config.d_steps),
            batch_size=_integer(8, 4096, config.batch_size),
            hidden=_integer(4, 256, config.hidden),
            seed=_integer(0, 2**31 - 1, config.seed),
        )
        for name in ("lr_d", "lr_g", "d_steps", "batch_size", "hidden", "seed"):
            form.addRow(self._label(name), self.editors[name])
        for name, (_, tip) in TIPS.items():
            self.editors[name].setToolTip(tip)
        self._base = config
        self.set_config(config)
        target.currentIndexChanged.connect(self._on_target_changed)
        noise.currentIndexChanged.connect(self.changed)
        for box in (
            *self.parameters,
            *(self.editors[n] for n in TIPS if n not in ("target", "noise")),
        ):
            box.setKeyboardTracking(False)  # typed values count on Enter or leaving the box
            box.valueChanged.connect(self.changed)

    def _label(self, name: str) -> QLabel:
        label = QLabel(TIPS[name][0])
        label.setToolTip(TIPS[name][1])
        return label

    # ---- reading and writing ------------------------------------------------------------------
    def config(self) -> Gan1dConfig:
        """The settings as a validated config; raises ConfigError with a person's message."""
        e = self.editors
        return dataclasses.replace(
            self._base,
            target=self._read_target(),
            noise=e["noise"].currentData(),
            lr_d=e["lr_d"].value(),
            lr_g=e["lr_g"].value(),
            d_steps=e["d_steps"].value(),
            batch_size=e["batch_size"].value(),
            hidden=e["hidden"].value(),
            seed=e["seed"].value(),
        ).validate()

    def set_config(self, config: Gan1dConfig) -> None:
        """Show ``config`` in the editors without reporting a change."""
        widgets = [*self.editors.values(), *self.parameters]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self._base = config
            self._targets[type(config.target)] = config.target
            e = self.editors
            e["target"].setCurrentIndex(e["target"].findData(_NAMES[type(config.target)]))
            self._show_target(config.target)
            e["noise"].setCurrentIndex(e["noise"].findData(config.noise))
            for name in ("lr_d", "lr_g", "d_steps", "batch_size", "hidden", "seed"):
                e[name].setValue(getattr(config, name))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def _read_target(self) -> Target:
        kind = TARGETS[self.editors["target"].currentData()]
        names = [f.name for f in dataclasses.fields(kind)]
        target = kind(**{n: box.value() for n, box in zip(names, self.parameters)})
        self._targets[kind] = target
        return target

    def _show_target(self, target: Target) -> None:
        fields = dataclasses.fields(target)
        for i, (label, box) in enumerate(zip(self.parameter_labels, self.parameters)):
            used = i < len(fields)
            label.setVisible(used)
            box.setVisible(used)
            if used:
                name = fields[i].name
                label.setText(PARAMETER_LABELS[name])
                box.blockSignals(True)
                box.setValue(getattr(target, name))
                box.blockSignals(False)
                tip = (
                    "The spread of each bump; must be above 0."
                    if name == "std"
                    else f"The target's {PARAMETER_LABELS[name].lower()}. Changing it starts again."
                )
                label.setToolTip(tip)
                box.setToolTip(tip)

    # ---- handlers -----------------------------------------------------------------------------
    def _on_target_changed(self, _index: int) -> None:
        self._show_target(self._targets[TARGETS[self.editors["target"].currentData()]])
        self.changed.emit()
