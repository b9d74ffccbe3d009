"""The feature-map panel: mosaics of real activations of G and D, what it asks the engine for,
and what a person sees when they click a channel."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt

from dcgan_studio.config import ModelConfig
from dcgan_studio.core.architecture import discriminator_plan, generator_plan
from dcgan_studio.core.data import fit_images, load_digits_raw, to_tanh_range
from dcgan_studio.core.models import Discriminator, Generator
from dcgan_studio.core.snapshots import (
    FeatureMapSnapshot,
    ProbeRequest,
    frozen_array,
    to_uint8_images,
)
from dcgan_studio.gui.inspect.feature_maps import PLACEHOLDER, FeatureMapPanel
from dcgan_studio.gui.inspect.model import InspectionTarget
from dcgan_studio.gui.inspect.mosaic import GAP, TOP, channel_grid, channel_mosaic

CFG = ModelConfig(image_size=32, ngf=64, ndf=64)  # the paper's widths


def activations(
    model: torch.nn.Module, layer: str, x: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """(the layer's (C, H, W) output for x[0], the uint8 (H, W, C) image G made or D saw)."""
    captured: list[torch.Tensor] = []
    handle = model.layer(layer).register_forward_hook(
        lambda _m, _i, out: captured.append(out[0].detach().clone())
    )  # clone: in-place ReLU
    model.eval()
    with torch.no_grad():
        out = model(x)
    handle.remove()
    image = out if isinstance(model, Generator) else x
    return frozen_array(captured[0]), to_uint8_images(image)[0]


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    return Generator(CFG), Discriminator(CFG)


@pytest.fixture(scope="module")
def g_relu3(nets):
    return activations(nets[0], "relu3", torch.randn(1, CFG.nz, 1, 1))


@pytest.fixture(scope="module")
def digit():
    images, _ = load_digits_raw()
    return to_tanh_range(fit_images(torch.from_numpy(images[:4])[:, None], 32, 1))[3:4]


@pytest.fixture
def model():
    return InspectionTarget()


@pytest.fixture
def panel(qtbot, model):
    widget = FeatureMapPanel(model)
    qtbot.addWidget(widget)
    widget.resize(700, 800)
    model.set_model_config(CFG, sample_count=64)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def tiles(mosaic: np.ndarray, shape: tuple[int, int, int]) -> list[np.ndarray]:
    c, h, w = shape
    grid = channel_grid(c, h, w)
    return [mosaic[y : y + h, x : x + w] for x, y in (grid.origin(t) for t in range(c))]


def click_tile(qtbot, panel: FeatureMapPanel, tile: int, dx: float = 0.5, dy: float = 0.5) -> None:
    c, h, w = panel.snapshot.activations.shape
    x, y = channel_grid(c, h, w).origin(tile)
    scene = panel.mosaic_box.mapViewToScene(QPointF(x + dx * w, y + dy * h))
    qtbot.mouseClick(
        panel.graphics.viewport(), Qt.LeftButton, pos=panel.graphics.mapFromScene(scene)
    )


# ---- the mosaic ---------------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [64, 10, 1])
def test_mosaic_has_one_data_tile_per_channel_between_gaps(g_relu3, channels):
    acts = g_relu3[0][:channels]  # (C, 16, 16)
    mosaic, cols = channel_mosaic(acts, "channel", None)
    c, h, w = acts.shape
    rows = -(-c // cols)
    assert cols == int(np.ceil(np.sqrt(c)))
    assert mosaic.dtype == np.uint8 and mosaic.shape == (rows * (h + 1) + 1, cols * (w + 1) + 1)
    data = np.zeros(mosaic.shape, bool)
    for x, y in (channel_grid(c, h, w).origin(t) for t in range(c)):
        data[y : y + h, x : x + w] = True
    assert (mosaic[data] < GAP).all()
    assert (mosaic[~data] == GAP).all()  # the gaps, the border and the empty cells
    assert (mosaic[:: h + 1, :] == GAP).all() and (mosaic[:, :: w + 1] == GAP).all()
    assert data.sum() == c * h * w


def test_per_channel_scaling_stretches_every_tile(g_relu3):
    acts = g_relu3[0]
    mosaic, _ = channel_mosaic(acts, "channel", None)
    for channel, tile in zip(acts, tiles(mosaic, acts.shape)):
        if channel.max() > channel.min():
            assert tile.min() == 0 and tile.max() == TOP


def test_per_layer_scaling_keeps_relative_magnitudes(g_relu3):
    acts = np.array(g_relu3[0])
    acts[1] = 2 * acts[0]  # ReLU outputs are >= 0, so the global minimum stays 0
    mosaic, _ = channel_mosaic(acts, "layer", None)
    t0, t1 = tiles(mosaic, acts.shape)[:2]
    on = acts[0] > 0
    assert on.any() and (t1[on] >= t0[on]).all() and t1.mean() > 1.5 * t0.mean()
    per_channel, _ = channel_mosaic(acts, "channel", None)
    p0, p1 = tiles(per_channel, acts.shape)[:2]
    np.testing.assert_array_equal(p0, p1)  # per channel, the 2x is scaled away


def test_constant_channel_and_non_finite_values_do_not_break_it(g_relu3):
    acts = np.array(g_relu3[0])
    acts[2] = 3.0
    acts[3, 0, 0] = np.nan
    acts[4, 1, 1] = np.inf
    acts[5] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for normalise in ("channel", "layer"):
            mosaic, _ = channel_mosaic(acts, normalise, None)
            t = tiles(mosaic, acts.shape)
            assert (mosaic[mosaic != GAP] <= TOP).all()
            assert t[3][0, 0] == 0 and t[4][1, 1] == TOP and (t[5] == 0).all()
        mosaic, _ = channel_mosaic(acts, "channel", None)
    t = tiles(mosaic, acts.shape)
    assert len(np.unique(t[2])) == 1 and t[2][0, 0] == TOP // 2
    assert t[3].max() == TOP and t[3][1:].min() == 0  # the rest of the channel still spans


# ---- what the panel asks for ------------------------------------------------------------------
def test_set_plans_lists_every_layer_and_picks_telling_defaults(panel, model):
    g_plan, d_plan = generator_plan(CFG), discriminator_plan(CFG)
    names = [panel.layer_box.itemData(i) for i in range(panel.layer_box.count())]
    assert names == [s.name for s in g_plan.layers]
    assert {s.kind for s in g_plan.layers} >= {"conv_transpose", "batchnorm", "relu", "tanh"}
    convt2 = panel.layer_box.itemText(names.index("convT2"))
    assert convt2 == "convT2 · transposed conv → 128×8×8"
    assert model.request == ProbeRequest("g", "relu3", "fake", 0)  # the last ReLU before tanh
    panel.network_box.setCurrentIndex(1)
    names = [panel.layer_box.itemData(i) for i in range(panel.layer_box.count())]
    assert names == [s.name for s in d_plan.layers]
    assert model.request.layer == "lrelu1"
    drop = ModelConfig(image_size=32, ngf=64, ndf=64, d_dropout=0.3)
    model.set_model_config(drop)  # lrelu1 still exists
    names = [panel.layer_box.itemData(i) for i in range(panel.layer_box.count())]
    assert "dropout1" in names and panel.layer_box.currentData() == "lrelu1"


def test_layer_network_and_index_changes_emit_the_request(panel, model):
    requests: list[ProbeRequest] = []
    model.request_changed.connect(requests.append)
    panel.layer_box.setCurrentIndex(panel.layer_box.findData("convT2"))
    assert requests == [ProbeRequest("g", "convT2", "fake", 0)]
    panel.index_box.setValue(7)
    assert requests[1:] == [ProbeRequest("g", "convT2", "fake", 7)]
    panel.network_box.setCurrentIndex(panel.network_box.findData("d"))
    assert requests[2:] == [ProbeRequest("d", "lrelu1", "fake", 7)]
    panel.source_box.setCurrentIndex(panel.source_box.findData("real"))
    assert requests[3:] == [ProbeRequest("d", "lrelu1", "real", 7)]
    panel.network_box.setCurrentIndex(panel.network_box.findData("g"))  # G sees no real images
    assert requests[4:] == [ProbeRequest("g", "convT2", "fake", 7)]  # G's layer remembered
    assert not panel.source_box.model().item(1).isEnabled()
    panel.scale_box.setCurrentIndex(1)
    panel.colour_box.setCurrentIndex(panel.colour_box.findText("inferno"))
    panel.sort_box.setChecked(True)
    assert len(requests) == 5  # how it is shown is no new request


def test_clicking_a_real_image_switches_to_d_and_asks_once(panel, model):
    requests: list[ProbeRequest] = []
    model.request_changed.connect(requests.append)
    model.select_sample("real", 3)
    assert requests == [ProbeRequest("d", "lrelu1", "real", 3)]
    assert panel.network_box.currentData() == "d" and panel.index_box.value() == 3
    assert panel.source_box.currentText() == "real image"
    model.select_sample("fake", 5)  # a fake tile keeps D: D judges G's image of tile 5
    assert requests[-1] == ProbeRequest("d", "lrelu1", "fake", 5) and len(requests) == 2


# ---- what it shows ------------------------------------------------------------------------------
def test_placeholder_then_mosaic_and_header(panel, model, g_relu3):
    assert panel.stack.currentWidget() is panel.placeholder
    assert panel.placeholder.text() == PLACEHOLDER and panel.placeholder.isVisible()
    acts, image = g_relu3
    panel.show_snapshot(
        FeatureMapSnapshot(
            1200,
            model.request,
            "relu",
            acts,
            image,
            checkpoint="/runs/a/checkpoints/step-0001200",
        )
    )
    assert panel.graphics.isVisible() and not panel.placeholder.isVisible()
    assert panel.header.text() == (
        "G · relu3 (ReLU) · 64 channels of 16×16 · fake tile 0 · "
        "iteration 1200 · from checkpoint step-0001200"
    )
    np.testing.assert_array_equal(panel.mosaic_image.image, channel_mosaic(acts, "channel")[0])
    np.testing.assert_array_equal(panel.sample_image.image, image[..., 0])
    assert panel.info.text() == "" and not panel.info.isVisible()
    panel.set_info("<b>ReLU</b> zeroes the negatives.")
    assert panel.info.isVisible()


def test_sort_by_mean_puts_the_most_active_channel_first(panel, model, g_relu3):
    acts, image = g_relu3
    panel.show_snapshot(FeatureMapSnapshot(1, model.request, "relu", acts, image))
    panel.sort_box.setChecked(True)
    top = int(np.argmax(acts.reshape(len(acts), -1).mean(axis=1)))
    assert panel.order[0] == top
    first = tiles(panel.mosaic_image.image, acts.shape)[0]
    alone = channel_mosaic(acts[top : top + 1], "channel")[0][1:-1, 1:-1]
    np.testing.assert_array_equal(first, alone)


def test_a_stale_snapshot_is_ignored(qtbot, panel, model, g_relu3, nets):
    acts, image = g_relu3
    panel.show_snapshot(FeatureMapSnapshot(1, model.request, "relu", acts, image))
    qtbot.wait(10)
    before, header = panel.graphics.grab().toImage(), panel.header.text()
    shown = panel.mosaic_image.image.copy()
    old = model.request
    panel.layer_box.setCurrentIndex(panel.layer_box.findData("bn2"))
    bn_acts, bn_image = activations(nets[0], "bn2", torch.randn(1, CFG.nz, 1, 1))
    panel.show_snapshot(FeatureMapSnapshot(2, old, "relu", acts * 0 + 1, image))  # on its way
    panel.show_snapshot(
        FeatureMapSnapshot(2, ProbeRequest("g", "bn2", "fake", 9), "batchnorm", bn_acts, bn_image)
    )  # another index
    qtbot.wait(10)
    np.testing.assert_array_equal(panel.mosaic_image.image, shown)
    assert panel.header.text() == header and panel.graphics.grab().toImage() == before


def test_clicking_a_tile_shows_the_channel_and_follows_it_live(qtbot, panel, model, nets):
    acts, image = activations(nets[0], "relu3", torch.randn(1, CFG.nz, 1, 1))
    panel.show_snapshot(FeatureMapSnapshot(10, model.request, "relu", acts, image))
    qtbot.wait(10)
    click_tile(qtbot, panel, 0, dx=-0.5 / 16)  # the gap left of tile 0: nothing
    assert panel.selected_channel is None and not panel.outline.isVisible()
    click_tile(qtbot, panel, 11)
    assert panel.selected_channel == 11 and panel.outline.isVisible()
    ch = acts[11].astype(np.float64)
    stats = panel.findChild(type(panel.stats), "channel-stats").text()
    assert stats.splitlines()[0] == "channel 11 of 64"
    assert f"mean {ch.mean():.3g}   std {ch.std():.3g}" in stats
    assert f"zeros after ReLU: {np.mean(ch == 0):.0%}" in stats
    assert panel.detail_image.image.max() == TOP  # its own min..max
    assert panel.detail_title.text == "channel 11"

    new_acts, new_image = activations(nets[0], "relu3", torch.randn(1, CFG.nz, 1, 1))
    panel.show_snapshot(FeatureMapSnapshot(20, model.request, "relu", new_acts, new_image))
    assert panel.selected_channel == 11
    assert f"mean {new_acts[11].astype(np.float64).mean():.3g}" in panel.stats.text()
    panel.sort_box.setChecked(True)  # the outline moves with the channel's tile
    tile = int(np.flatnonzero(panel.order == 11)[0])
    x, y = channel_grid(64, 16, 16).origin(tile)  # 8 columns
    assert panel.outline.rect().topLeft() == QPointF(x - 0.5, y - 0.5)

    panel.layer_box.setCurrentIndex(panel.layer_box.findData("relu2"))
    assert panel.selected_channel is None and not panel.outline.isVisible()


def test_leaky_relu_channels_report_their_negative_share(qtbot, panel, model, nets, digit):
    model.select_sample("real", 3)
    acts, image = activations(nets[1], "lrelu1", digit)
    panel.show_snapshot(FeatureMapSnapshot(5, model.request, "leaky_relu", acts, image))
    qtbot.wait(10)
    click_tile(qtbot, panel, 2)
    assert panel.selected_channel == 2
    assert f"negative: {np.mean(acts[2] < 0):.0%}" in panel.stats.text()
    assert panel.header.text().startswith(
        "D · lrelu1 (LeakyReLU) · 64 channels of 16×16 · real image 3"
    )


def test_a_live_update_redraws_only_the_views_that_changed(qtbot, panel, model, nets, count_paints):
    """While training, D's real input stays the same and no channel is picked: only the mosaic
    changes, so only it is painted again (each paint is GUI time taken from training)."""
    panel.network_box.setCurrentIndex(panel.network_box.findData("d"))
    x = to_tanh_range(fit_images(torch.from_numpy(load_digits_raw()[0][:1])[:, None], 32, 1))
    acts, image = activations(nets[1], "lrelu1", x)
    panel.show_snapshot(FeatureMapSnapshot(10, model.request, "leaky_relu", acts, image))
    mosaic, sample, detail = (
        count_paints(view.viewport())
        for view in (panel.graphics, panel.sample_graphics, panel.detail_graphics)
    )
    for counter in (mosaic, sample, detail):
        counter.settle(qtbot)
    panel.show_snapshot(FeatureMapSnapshot(20, model.request, "leaky_relu", acts * 2, image))
    qtbot.waitUntil(lambda: mosaic.count >= 1)
    qtbot.wait(150)
    assert (sample.count, detail.count) == (0, 0)
    assert panel.header.text().endswith("iteration 20")
    np.testing.assert_array_equal(panel.sample_image.image, image[..., 0])
    panel.show_snapshot(FeatureMapSnapshot(30, model.request, "leaky_relu", acts, 255 - image))
    qtbot.waitUntil(lambda: sample.count >= 1)  # a new input is drawn
    np.testing.assert_array_equal(panel.sample_image.image, 255 - image[..., 0])
