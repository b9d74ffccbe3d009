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
    QWidget,
)

from dcgan_studio.core.gan1d import Gan1dConfig, Gaussian, Target, TwoGaussians, Uniform
from dcgan_studio.gui.gan1d.text import NOISE_LABELS, PARAMETER_LABELS, TIPS
from dcgan_studio.gui.widgets.compact import double_spin_box, spin_box

TARGETS = {"Gaussian": Gaussian, "Two Gaussians": TwoGaussians, "Uniform": Uniform}
_NAMES = {kind: name for name, kind in TARGETS.items()}


def _rate(value: float) -> QDoubleSpinBox:
    """A learning rate: 0.00001 .. 0.5, the arrows step by about a tenth of the value."""
    box = double_spin_box(1e-5, 0.5, value, decimals=5, step=0.25)
    box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
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
            label, box = QLabel(), double_spin_box(-20.0, 20.0, 0.0, step=0.25)
            self.parameter_labels.append(label)
            self.parameters.append(box)
            form.addRow(label, box)
        form.addRow(self._label("noise"), noise)
        self.editors.update(
            lr_d=_rate(config.lr_d),
            lr_g=_rate(config.lr_g),
            d_steps=spin_box(1, 20, config.d_steps),
            batch_size=spin_box(8, 4096, config.batch_size),
            hidden=spin_box(4, 256, config.hidden),
            seed=spin_box(0, 2**31 - 1, config.seed),
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
