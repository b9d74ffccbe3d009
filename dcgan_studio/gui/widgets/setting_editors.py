"""The field that edits a numeric setting of a run, with its range and step: the same in the
Training panel and the Branch dialog."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from dcgan_studio.gui.widgets.compact import double_spin_box, spin_box

# field -> (low, high, decimals, step) of a number with a fraction
_FRACTIONS = {
    "optim.lr_g": (1e-6, 1.0, 6, 5e-5),
    "optim.lr_d": (1e-6, 1.0, 6, 5e-5),
    "optim.beta1": (0.0, 0.9999, 4, 0.05),
    "optim.beta2": (0.0, 0.9999, 4, 0.05),
    "optim.ema_decay": (0.0, 0.9999, 4, 0.01),
    "model.d_dropout": (0.0, 0.9, 2, 0.05),
    "optim.label_smoothing": (0.0, 0.5, 2, 0.05),
}
# field -> (low, high, step) of a whole number
_WHOLE = {
    "model.nz": (1, 4096, 1),
    "model.ngf": (1, 1024, 1),
    "model.ndf": (1, 1024, 1),
    "optim.batch_size": (2, 65536, 16),
    "optim.d_steps": (1, 100, 1),
    "schedule.iterations": (1, 10**9, 1),
    "schedule.epochs": (1, 10**6, 1),
    "schedule.seed": (0, 2**31 - 1, 1),
}


def number_editor(field: str) -> QSpinBox | QDoubleSpinBox:
    """A spin box for the numeric setting ``field`` (its dotted name)."""
    if field in _FRACTIONS:
        low, high, decimals, step = _FRACTIONS[field]
        return double_spin_box(low, high, decimals=decimals, step=step)
    low, high, step = _WHOLE[field]
    box = spin_box(low, high, low)
    box.setSingleStep(step)
    return box
