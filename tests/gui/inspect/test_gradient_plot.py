"""The per-layer gradient panel: one curve per layer in layer order, the verdict, the cursor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dcgan_studio.core.history import LossHistory
from dcgan_studio.gui.inspect.gradient_plot import GradientPanel, layer_colours, log_tick_label

G_LAYERS = ["convT1", "bn1", "convT2", "bn2", "convT3"]
D_LAYERS = ["conv1", "conv2", "bn2", "conv3"]


def _record(step: int, g: dict[str, float], d: dict[str, float]) -> dict[str, float]:
    record = {"step": step, "loss_d": 1.0, "loss_g": 2.0}
    record.update({f"grad.g.{k}": v for k, v in g.items()})
    record.update({f"grad.d.{k}": v for k, v in d.items()})
    return record


def _healthy(step: int) -> dict[str, float]:
    g = {layer: 0.5 + 0.1 * i + 0.01 * step for i, layer in enumerate(G_LAYERS)}
    d = {layer: 2.0 - 0.2 * i + 0.01 * step for i, layer in enumerate(D_LAYERS)}
    return _record(step, g, d)


@pytest.fixture
def panel(qtbot):
    def make(records) -> GradientPanel:
        history = LossHistory()
        history.extend(records)
        widget = GradientPanel(history)
        qtbot.addWidget(widget)
        widget.refresh()
        return widget

    return make


def test_every_layer_column_gets_a_curve_in_layer_order_with_the_history_data(panel):
    widget = panel(_healthy(step) for step in range(10, 110, 10))
    assert list(widget.curves["g"]) == G_LAYERS and list(widget.curves["d"]) == D_LAYERS
    legend = [label.text for _, label in widget.legends["g"].items]
    assert legend == G_LAYERS
    steps = widget.history.column("step")
    for network, layers in (("g", G_LAYERS), ("d", D_LAYERS)):
        for layer in layers:
            x, y = widget.plotted(network, layer)
            assert np.array_equal(x, steps)
            assert np.array_equal(y, widget.history.column(f"grad.{network}.{layer}"))
    assert widget.plots["g"].objectName() == "gradients-g"
    assert widget.plots["d"].objectName() == "gradients-d"
    assert widget.plots["g"].getAxis("left").logMode  # log scale y


def test_curves_are_coloured_along_a_ramp_from_first_to_last_layer(panel):
    widget = panel([_healthy(1)])
    ramp = [c.name() for c in layer_colours(len(G_LAYERS))]
    shown = [widget.curves["g"][layer].opts["pen"].color().name() for layer in G_LAYERS]
    assert shown == ramp and len(set(shown)) == len(G_LAYERS)


def test_rows_without_norms_are_bridged_not_plotted(panel):
    records = [_healthy(10), {"step": 20, "loss_d": 1.0}, _healthy(30)]
    widget = panel(records)
    x, y = widget.plotted("g", "convT2")
    assert x.tolist() == [10, 30]
    column = widget.history.column("grad.g.convT2")
    assert y.tolist() == [column[0], column[2]]


def test_curves_are_created_once_and_follow_new_records(panel):
    widget = panel([_healthy(1)])
    curve = widget.curves["d"]["conv1"]
    widget.history.extend(_healthy(step) for step in (2, 3))
    widget.refresh()
    assert widget.curves["d"]["conv1"] is curve
    assert widget.plotted("d", "conv1")[0].tolist() == [1, 2, 3]


def test_a_healthy_set_says_so(panel):
    widget = panel(_healthy(step) for step in range(1, 5))
    assert widget.verdict_label.objectName() == "gradients-verdict"
    assert "healthy" in widget.verdict_label.text()
    assert "vanishing" in widget.verdict_label.toolTip().lower()


def test_a_vanishing_layer_is_named(panel):
    record = _healthy(2)
    record["grad.g.convT1"] = 1e-9
    widget = panel([_healthy(1), record])
    text = widget.verdict_label.text()
    assert "G convT1 vanishing" in text and "healthy" not in text
    assert "bn1" not in text and "D " not in text


def test_a_layer_1000_times_smaller_than_the_largest_is_vanishing(panel):
    record = _healthy(1)
    record["grad.d.conv3"] = record["grad.d.conv1"] / 5000  # above 1e-6, but far below conv1
    widget = panel([record])
    assert "D conv3 vanishing" in widget.verdict_label.text()


def test_exploding_and_non_finite_layers_are_named(panel):
    record = _healthy(1)
    record["grad.d.conv2"] = 5e3
    record["grad.g.bn2"] = math.inf
    widget = panel([record])
    text = widget.verdict_label.text()
    assert "D conv2 exploding" in text and "G bn2 exploding" in text


def test_the_verdict_reads_the_latest_row_that_has_norms(panel):
    bad = _healthy(1)
    bad["grad.g.convT3"] = 1e-9
    widget = panel([bad, _healthy(2), {"step": 3, "loss_d": 1.0}])
    assert "healthy" in widget.verdict_label.text()  # the tiny value was before the latest


def test_the_cursor_moves_and_hides(panel):
    widget = panel([_healthy(1), _healthy(50)])
    widget.set_cursor(50)
    assert all(c.isVisible() and c.value() == 50 for c in widget.cursors)
    widget.set_cursor(20)
    assert all(c.value() == 20 for c in widget.cursors)
    widget.set_cursor(None)
    assert not any(c.isVisible() for c in widget.cursors)


def test_an_empty_history_shows_a_placeholder_and_a_cleared_one_goes_back_to_it(panel):
    widget = panel([])
    assert all(p.isVisible() for p in widget.placeholders.values())
    assert "appear here" in widget.placeholders["g"].text.textItem.toPlainText()
    assert widget.curves == {"g": {}, "d": {}}
    assert "waiting" in widget.verdict_label.text()
    widget.history.extend([_healthy(1)])
    widget.refresh()
    assert not any(p.isVisible() for p in widget.placeholders.values())
    widget.history.clear()
    widget.refresh()
    assert widget.curves == {"g": {}, "d": {}}
    assert widget.plots["g"].listDataItems() == []
    assert all(p.isVisible() for p in widget.placeholders.values())


def test_a_history_without_layer_norms_says_so(panel):
    widget = panel([{"step": 1, "loss_d": 1.0}])
    assert "No per-layer gradient norms" in widget.verdict_label.text()


def test_log_axis_labels_only_1_2_5_per_decade():
    assert log_tick_label(-6) == "10⁻⁶"
    assert log_tick_label(math.log10(2e-8)) == "2·10⁻⁸"
    assert log_tick_label(math.log10(0.02)) == "0.02"
    assert log_tick_label(0) == "1" and log_tick_label(math.log10(50)) == "50"
    assert log_tick_label(math.log10(3)) == ""
