"""Branch…: a new run from one of a run's checkpoints, with some of its learning settings
changed. The dialog shows the parent's values; what a person changes is what the branch
changes. Settings a branch may not change (the networks, the data, the seed) are not offered,
and the dialog says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.config import RunConfig
from dcgan_studio.core.branching import BranchError, branch_config, changed_settings
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.fields import FIELDS
from dcgan_studio.gui.widgets.compact import double_spin_box, spin_box, text_label

# what the dialog offers, in this order: the learning settings of the issue, and the length
OFFERED = (
    "optim.lr_g",
    "optim.lr_d",
    "optim.beta1",
    "optim.beta2",
    "optim.d_steps",
    "optim.batch_size",
    "model.d_dropout",
    "optim.label_smoothing",
    "optim.ema_decay",
    "schedule.iterations",
)


def _editor(field: str) -> QWidget:
    if field in ("optim.lr_g", "optim.lr_d"):
        return double_spin_box(1e-6, 1.0, decimals=6, step=5e-5)
    if field in ("optim.beta1", "optim.beta2", "optim.ema_decay"):
        return double_spin_box(0.0, 0.9999, decimals=4, step=0.05)
    if field == "model.d_dropout":
        return double_spin_box(0.0, 0.9, decimals=2, step=0.05)
    if field == "optim.label_smoothing":
        return double_spin_box(0.0, 0.5, decimals=2, step=0.05)
    ranges = {
        "optim.d_steps": (1, 100),
        "optim.batch_size": (2, 65536),
        "schedule.iterations": (1, 10**9),
    }
    return spin_box(*ranges[field], ranges[field][0])


class BranchDialog(QDialog):
    """Emits ``branch_chosen(parent folder, step, changed values, label, the branch's config)``
    on OK, once the values make a valid branch; a value that does not is said in the dialog,
    which stays open."""

    branch_chosen = Signal(object, int, dict, str, object)

    def __init__(
        self,
        parent_dir: Path,
        title: str,
        config: RunConfig,
        checkpoints: list[int],
        step: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("branch-dialog")
        self.setWindowTitle(f"Branch {title}")
        self.parent_dir, self.config = Path(parent_dir), config
        layout = QVBoxLayout(self)
        layout.addWidget(
            text_label(
                f"A new run that starts from a checkpoint of <b>{title}</b> and trains on with "
                "the settings below. Change one and watch both futures side by side in Compare; "
                "change none and the branch repeats its parent's steps exactly. The parent "
                "is only read.",
                rich=True,
            )
        )
        form = QFormLayout()
        self.checkpoint_box = QComboBox()
        self.checkpoint_box.setObjectName("branch-checkpoint")
        for s in checkpoints:
            self.checkpoint_box.addItem(f"iteration {s:,}", s)
        chosen = step if step in checkpoints else (checkpoints[-1] if checkpoints else None)
        if chosen is not None:
            self.checkpoint_box.setCurrentIndex(checkpoints.index(chosen))
        self.checkpoint_box.currentIndexChanged.connect(self._on_checkpoint_changed)
        form.addRow("From the checkpoint of", self.checkpoint_box)
        self.editors: dict[str, QWidget] = {}
        for field in OFFERED:
            editor = _editor(field)
            editor.setObjectName(field)
            label, tip = FIELDS.get(field, (field, ""))
            editor.setToolTip(tip)
            value = config.value(field)
            if value is not None:
                editor.setValue(value)
            self.editors[field] = editor
            form.addRow(label, editor)
        if config.schedule.iterations is None:  # an epoch-based run: its length stays
            self.editors["schedule.iterations"].setEnabled(False)
            self.editors["schedule.iterations"].setToolTip(
                f"This run trains for {config.schedule.epochs} epochs; the branch too."
            )
        self.label_edit = QLineEdit()
        self.label_edit.setObjectName("branch-label")
        self.label_edit.setPlaceholderText("a name for the branch (optional)")
        form.addRow("Name", self.label_edit)
        layout.addLayout(form)
        layout.addWidget(
            text_label(
                "<span style='color:#666'>The networks (image size, widths, nz), the data and "
                "the seed stay the parent's: the checkpoint's weights, batches and noise "
                "belong to them.</span>",
                rich=True,
            )
        )
        self.error_label = QLabel()
        self.error_label.setObjectName("branch-error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d9534f;")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Start the Branch")
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok_button.setEnabled(bool(checkpoints))
        self._on_checkpoint_changed()

    @property
    def step(self) -> int | None:
        return self.checkpoint_box.currentData()

    def values(self) -> dict[str, Any]:
        """The offered settings as they stand (the parent's where untouched)."""
        return {
            field: editor.value()
            for field, editor in self.editors.items()
            if editor.isEnabled() or field != "schedule.iterations"
        }

    def _on_checkpoint_changed(self, *_: Any) -> None:
        """A branch of the last checkpoint of a finished run needs more iterations."""
        iterations = self.editors["schedule.iterations"]
        step = self.step
        if step is not None and iterations.isEnabled() and iterations.value() <= step:
            iterations.setValue(step + max(step, 100))

    def _on_ok(self) -> None:
        if self.step is None:
            return
        values = self.values()
        try:
            config = branch_config(self.config, values)
        except (BranchError, ConfigError) as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        total = config.schedule.iterations
        if total is not None and total <= self.step:
            self.error_label.setText(
                f"Iterations must be above {self.step:,}, where the branch starts."
            )
            self.error_label.show()
            return
        # only what changed: a branch with nothing changed repeats its parent exactly
        changed = {k: new for k, (_old, new) in changed_settings(self.config, config).items()}
        self.branch_chosen.emit(
            self.parent_dir, self.step, changed, self.label_edit.text().strip(), config
        )
        self.accept()
