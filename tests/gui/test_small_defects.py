"""The smaller defects a new user met (issue 18, item 10), each driven as a person meets it."""

from __future__ import annotations

import numpy as np

from dcgan_studio.gui.widgets.latent_shelf import Shelf, VectorPicker


def test_interpolate_refuses_the_same_vector_twice_in_a_row(qtbot):
    shelf = Shelf()
    qtbot.addWidget(shelf)
    picker = VectorPicker(shelf, "Through:", "the path")
    qtbot.addWidget(picker)
    first = shelf.add("tile 0", np.zeros(4), {})
    second = shelf.add("tile 5", np.ones(4), {})
    picker.combo.setCurrentIndex(picker.combo.findData(first))
    picker.add_button.click()
    assert picker.chosen == [first]
    assert picker.combo.currentData() == second  # the next one is offered
    picker.combo.setCurrentIndex(picker.combo.findData(first))  # the person picks it again
    assert not picker.add_button.isEnabled()
    assert "last one already" in picker.add_button.toolTip()
    assert picker.add(first) is False and picker.chosen == [first]
    picker.combo.setCurrentIndex(picker.combo.findData(second))
    picker.add_button.click()
    picker.combo.setCurrentIndex(picker.combo.findData(first))
    picker.add_button.click()  # back to the first: a path may come back, just not stand still
    assert picker.chosen == [first, second, first]
    assert picker.summary.text() == "tile 0 → tile 5 → tile 0"
