"""The training controls' Preset box: the quick defaults, the DCGAN paper's values, Custom."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QStyleOptionButton

from dcgan_studio.config import MAX_PARAMETERS, RunConfig
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.training.controls import TrainingControls


def _choose(qtbot, box, text: str) -> None:
    """Pick an entry as a person does: open the box with the keyboard, move, press Enter."""
    box.setFocus()
    index = box.findText(text)
    assert index >= 0, text
    box.showPopup()
    view = box.view()
    view.setCurrentIndex(view.model().index(index, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)


def test_presets_set_their_values_and_an_edit_shows_custom(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show()
    box, editors = controls.preset_box, controls.editors
    assert box.currentText() == "Fast on a CPU"
    shapes = []
    controls.model_changed.connect(lambda model: shapes.append((model.ngf, model.ndf)))

    _choose(qtbot, box, "DCGAN paper (GPU)")
    assert box.currentText() == "DCGAN paper (GPU)"
    assert editors["optim.batch_size"].value() == 128
    assert (editors["model.ngf"].value(), editors["model.ndf"].value()) == (64, 64)
    cfg = controls.config()
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.batch_size) == (2e-4, 2e-4, 128)
    assert shapes[-1] == (64, 64)  # the architecture view follows the widths

    editors["optim.batch_size"].setValue(96)  # a person's own value
    assert box.currentText() == "Custom"
    _choose(qtbot, box, "Custom")  # keeps the values
    assert editors["optim.batch_size"].value() == 96
    editors["optim.batch_size"].setValue(128)  # back to the paper's: the box says so
    assert box.currentText() == "DCGAN paper (GPU)"

    _choose(qtbot, box, "Fast on a CPU")
    assert controls.config() == RunConfig().with_values(
        {"schedule.epochs": None, "schedule.iterations": RunConfig().schedule.iterations}
    )
    assert shapes[-1] == (32, 32)


def test_the_preset_box_is_locked_while_training_and_an_opened_run_shows_its_own(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.set_config(
        RunConfig().with_values(
            {
                "optim.lr_g": 2e-4,
                "optim.lr_d": 2e-4,
                "optim.batch_size": 128,
                "model.ngf": 64,
                "model.ndf": 64,
            }
        )
    )
    assert controls.preset_box.currentText() == "DCGAN paper (GPU)"
    controls.set_state("running")
    assert not controls.preset_box.isEnabled() and "Stop first" in controls.preset_box.toolTip()
    controls.set_state("idle")
    assert controls.preset_box.isEnabled()


def test_networks_beyond_the_size_limit_are_refused_at_the_control(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show()
    big = {"model.image_size": 128, "model.ngf": 1024, "model.ndf": 1024}
    controls.set_config(RunConfig().with_values(big))  # as an opened run's config would
    with pytest.raises(ConfigError) as info:
        controls.config()
    assert info.value.field == "model.ngf"
    assert controls.error_label.isVisible()
    assert f"more than the {MAX_PARAMETERS:,}" in controls.error_label.text()


def test_the_deterministic_box_sets_the_runs_setting_and_shows_an_opened_runs(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show()
    box = controls.editors["runtime.deterministic"]
    assert not box.isChecked() and controls.config().runtime.deterministic is False
    assert "same seed" in box.toolTip() and "slower" in box.toolTip()
    option = QStyleOptionButton()
    box.initStyleOption(option)  # a click on the box itself, where a person clicks
    tick = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxClickRect, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=tick.center())
    assert box.isChecked() and controls.config().runtime.deterministic is True
    assert controls.preset_box.currentText() == "Fast on a CPU"  # not a setting of the presets
    controls.set_config(RunConfig())  # as an opened run's config would
    assert not box.isChecked()
    controls.set_state("running")
    assert not box.isEnabled() and "Stop first" in box.toolTip()
