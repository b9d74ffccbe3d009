"""Branch…: a new run from one of a run's checkpoints, with some of its learning settings
changed. The dialog shows the settings the parent trained with at the chosen checkpoint; what a
person changes is what the branch changes, and nothing else (a value the field can only show
rounded stays exactly the parent's). Settings a branch may not change (the networks, the data,
the seed) are not offered, and the dialog says why."""

from __future__ import annotations

from html import escape
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
from dcgan_studio.core.branching import LEARNING, BranchError, branch_config, changed_settings
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.fields import SETTINGS
from dcgan_studio.gui.widgets.compact import text_label
from dcgan_studio.gui.widgets.setting_editors import number_editor


class BranchDialog(QDialog):
    """Emits ``branch_chosen(parent folder, step, changed values, label, the branch's config)``
    on OK, once the values make a valid branch; a value that does not is said in the dialog,
    which stays open. ``settings``: the parent's settings at each of its checkpoints."""

    branch_chosen = Signal(object, int, dict, str, object)

    def __init__(
        self,
        parent_dir: Path,
        title: str,
        settings: dict[int, RunConfig],
        step: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("branch-dialog")
        self.setWindowTitle(f"Branch {title}")
        self.setMinimumWidth(440)  # the explanation in a few lines, not a narrow column
        self.parent_dir, self.settings = Path(parent_dir), dict(settings)
        checkpoints = sorted(self.settings)
        layout = QVBoxLayout(self)
        layout.addWidget(
            text_label(
                f"A new run that starts from a checkpoint of <b>{escape(title)}</b> and trains "
                "on with the settings below. Change one and watch both futures side by side in "
                "Compare; change none and the branch repeats its parent's steps (to the bit on "
                "the same CPU and thread count, as a resumed run does). The parent is only read.",
                rich=True,
            )
        )
        form = QFormLayout()
        self.checkpoint_box = QComboBox()
        self.checkpoint_box.setObjectName("branch-checkpoint")
        for s in checkpoints:
            self.checkpoint_box.addItem(f"iteration {s:,}", s)
        if checkpoints:
            chosen = step if step in checkpoints else checkpoints[-1]
            self.checkpoint_box.setCurrentIndex(checkpoints.index(chosen))
        form.addRow("From the checkpoint of", self.checkpoint_box)
        base = self.base
        epochs = base is not None and base.schedule.iterations is None
        self.editors: dict[str, QWidget] = {}
        self.edited: set[str] = set()  # the fields a person changed
        self.needed: set[str] = set()  # changed by the dialog because the branch needs it
        for field in LEARNING:
            if field == "schedule.iterations" and epochs:  # an epoch-based run: its length so
                field = "schedule.epochs"
            editor = number_editor(field)
            editor.setObjectName(field)
            label, tip = SETTINGS[field]
            editor.setToolTip(tip)
            editor.valueChanged.connect(lambda _v, f=field: self._on_edited(f))
            self.editors[field] = editor
            form.addRow(label, editor)
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
        self._filling = False
        self.checkpoint_box.currentIndexChanged.connect(self._show_checkpoint)
        self._show_checkpoint()

    @property
    def step(self) -> int | None:
        return self.checkpoint_box.currentData()

    @property
    def base(self) -> RunConfig | None:
        """The parent's settings at the chosen checkpoint."""
        return self.settings.get(self.step)

    def _on_edited(self, field: str) -> None:
        if not self._filling:
            self.edited.add(field)
            self.error_label.hide()

    def _show_checkpoint(self, *_: Any) -> None:
        """The parent's values at this checkpoint, in the fields a person has not changed; a
        branch of a run's last checkpoint is offered more iterations."""
        base, step = self.base, self.step
        if base is None:
            return
        self._filling = True
        self.needed.clear()
        iterations = self.editors.get("schedule.iterations")
        if iterations is not None:  # first: a minimum of another checkpoint would clamp
            iterations.setMinimum(step + 1)  # a branch trains at least one iteration
        for field, editor in self.editors.items():
            if field not in self.edited and base.value(field) is not None:
                editor.setValue(base.value(field))
        if iterations is not None:
            iterations.setToolTip(
                f"{SETTINGS['schedule.iterations'][1]} The parent's: "
                f"{base.schedule.iterations:,}; the branch starts at {step:,}."
            )
            if "schedule.iterations" not in self.edited and base.schedule.iterations <= step:
                iterations.setValue(step + max(step, 100))  # the parent's end: more, to train
                self.needed.add("schedule.iterations")
        self._filling = False

    def values(self) -> dict[str, Any]:
        """What the person changed: the fields edited whose value differs from the parent's
        as the field shows it."""
        base = self.base
        changed = {}
        for field in self.edited | self.needed:
            editor = self.editors[field]
            shown = number_editor(field)  # the parent's value, rounded as the field rounds
            shown.setValue(base.value(field) if base.value(field) is not None else 0)
            if editor.value() != shown.value():
                changed[field] = editor.value()
        return changed

    def _on_ok(self) -> None:
        base, step = self.base, self.step
        if base is None or step is None:
            return
        try:
            config = branch_config(base, self.values())
        except (BranchError, ConfigError) as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        total = config.schedule.iterations
        if total is not None and total <= step:
            self.error_label.setText(f"Iterations must be above {step:,}, where the branch starts.")
            self.error_label.show()
            return
        changed = {k: new for k, (_old, new) in changed_settings(base, config).items()}
        self.branch_chosen.emit(
            self.parent_dir, step, changed, self.label_edit.text().strip(), config
        )
        self.accept()
