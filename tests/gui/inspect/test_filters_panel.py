"""The filters panel: D's first-layer and G's last-layer kernels, one tile per kernel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dcgan_studio.config import ModelConfig
from dcgan_studio.core.models import Discriminator, Generator
from dcgan_studio.core.snapshots import FiltersSnapshot, frozen_array
from dcgan_studio.gui.inspect.filters_panel import FiltersPanel, kernel_mosaic

K = 4


def _real_snapshot(channels: int = 1, step: int = 1234) -> FiltersSnapshot:
    cfg = ModelConfig(image_size=16, channels=channels, nz=16, ngf=12, ndf=8)
    d, g = Discriminator(cfg), Generator(cfg)
    last = [m for m in g.main if isinstance(m, torch.nn.ConvTranspose2d)][-1]
    return FiltersSnapshot(step, frozen_array(d.main.conv1.weight), frozen_array(last.weight))


def _tile(mosaic: np.ndarray, index: int, cols: int, k: int = K) -> np.ndarray:
    row, col = divmod(index, cols)
    top, left = 1 + row * (k + 1), 1 + col * (k + 1)
    return mosaic[top : top + k, left : left + k]


def _is_red(rgb) -> bool:
    r, g, b = (int(v) for v in rgb)
    return r > 150 and g < 80 and b < 80


def _is_blue(rgb) -> bool:
    r, g, b = (int(v) for v in rgb)
    return b > 150 and r < 60


@pytest.fixture
def panel(qtbot):
    widget = FiltersPanel()
    qtbot.addWidget(widget)
    return widget


def test_a_placeholder_until_the_first_snapshot(panel):
    assert panel.stack.currentWidget() is panel.placeholder
    assert "appear here" in panel.placeholder.text()
    assert panel.mosaic("d").size == 0
    panel.show_filters(_real_snapshot())
    assert panel.stack.currentWidget() is panel.graphics


def test_real_weights_give_one_tile_per_kernel(panel):
    snap = _real_snapshot()
    assert snap.d_first.shape == (8, 1, K, K) and snap.g_last.shape == (12, 1, K, K)
    panel.show_filters(snap)
    for which, kernels in (("d", 8), ("g", 12)):
        mosaic = panel.mosaic(which)
        _, cols = kernel_mosaic(getattr(snap, "d_first" if which == "d" else "g_last"))
        rows = -(-kernels // cols)
        assert cols == 3 if which == "d" else cols == 4
        assert mosaic.shape == (rows * (K + 1) + 1, cols * (K + 1) + 1, 3)
        gap = mosaic[0, 0]
        filled = [t for t in range(rows * cols) if not (_tile(mosaic, t, cols) == gap).all()]
        assert filled == list(range(kernels))
        assert np.array_equal(panel.views[which].image.image, mosaic)  # what the item shows
    assert "8 kernels 4×4" in panel.views["d"].title.text
    assert "seeing 1 channel" in panel.views["d"].title.text
    assert "12 kernels 4×4" in panel.views["g"].title.text
    assert panel.step_label.text() == "iteration 1234"


def test_a_large_positive_weight_is_red_and_a_negative_one_blue(panel):
    snap = _real_snapshot()
    d = snap.d_first.copy()
    d[5, 0, 2, 1] = 1.0  # far above N(0, 0.02): the reddest pixel of kernel 5
    d[6, 0, 1, 3] = -1.0
    panel.show_filters(FiltersSnapshot(7, d, snap.g_last))
    mosaic, cols = panel.mosaic("d"), 3
    assert _is_red(_tile(mosaic, 5, cols)[2, 1])
    assert _is_blue(_tile(mosaic, 6, cols)[1, 3])
    rest = np.delete(_tile(mosaic, 5, cols).reshape(-1, 3), 2 * K + 1, axis=0)
    assert not any(_is_red(p) for p in rest)  # the others are near zero: pale
    assert not _is_red(_tile(mosaic, 6, cols)[1, 3])


def test_the_scale_combo_switches_between_per_kernel_and_shared(panel):
    snap = _real_snapshot()
    d = snap.d_first.copy()
    d[0, 0, 0, 0] = 5.0  # one huge kernel: shared scaling pales every other one
    d[1, 0, 3, 3] = 0.1
    panel.show_filters(FiltersSnapshot(1, d, snap.g_last))
    per_kernel = panel.mosaic("d").copy()
    assert _is_red(_tile(per_kernel, 1, 3)[3, 3])  # kernel 1's own peak is saturated
    panel.scale_box.setCurrentIndex(panel.scale_box.findText("shared"))
    shared = panel.mosaic("d")
    assert not np.array_equal(shared, per_kernel)
    assert not _is_red(_tile(shared, 1, 3)[3, 3])  # 0.1 of 5.0: nearly white
    assert _is_red(_tile(shared, 0, 3)[0, 0])
    panel.scale_box.setCurrentIndex(panel.scale_box.findText("per kernel"))
    assert np.array_equal(panel.mosaic("d"), per_kernel)


def test_three_channel_kernels_are_rgb_images_stretched_per_kernel(panel):
    snap = _real_snapshot(channels=3)
    assert snap.d_first.shape == (8, 3, K, K) and snap.g_last.shape == (12, 3, K, K)
    panel.show_filters(snap)
    assert "seeing 3 channels" in panel.views["d"].title.text
    for which, weights in (("d", snap.d_first), ("g", snap.g_last)):
        mosaic, (_, cols) = panel.mosaic(which), kernel_mosaic(weights)
        for i, kernel in enumerate(weights):
            w = kernel.transpose(1, 2, 0).astype(np.float64)  # (k, k, 3)
            expected = np.rint((w - w.min()) / (w.max() - w.min()) * 255)
            assert np.array_equal(_tile(mosaic, i, cols), expected.astype(np.uint8))
    panel.scale_box.setCurrentIndex(1)  # shared: one min..max over all of D's kernels
    shared = panel.mosaic("d")
    assert shared.min() == 0 and shared.max() == 255
    tile_ranges = [np.ptp(_tile(shared, i, 3)) for i in range(8)]
    assert min(tile_ranges) < 255  # not every kernel spans the full range any more


def test_kernel_mosaic_handles_flat_and_non_finite_kernels():
    weights = np.zeros((2, 1, 3, 3), np.float32)
    weights[1, 0, 0, 0] = np.nan
    mosaic, cols = kernel_mosaic(weights, per_kernel=True)
    assert cols == 2 and mosaic.shape == (5, 9, 3)
    assert (_tile(mosaic, 0, cols, 3) == _tile(mosaic, 1, cols, 3)).all()  # zero: one colour
    with pytest.raises(ValueError):
        kernel_mosaic(np.zeros((2, 3, 3)), per_kernel=True)
