"""One grid geometry: the mosaic it composes, where each tile starts and which tile a point is on
agree with each other, and with torchvision's make_grid layout."""

from __future__ import annotations

import numpy as np
import pytest

from dcgan_studio.core.grid import GridGeometry, make_grid


@pytest.mark.parametrize("count, padding, columns", [(64, 2, None), (10, 4, None), (7, 1, 3)])
def test_each_tile_is_where_origin_says_and_tile_at_finds_it(count, padding, columns):
    h, w = 5, 3
    geometry = GridGeometry(count, h, w, padding, columns)
    tiles = (np.arange(count, dtype=np.uint16)[:, None, None] + 1) * np.ones((1, h, w), np.uint16)
    mosaic = geometry.compose(tiles, pad_value=0)
    assert mosaic.shape == geometry.shape
    for tile in range(count):
        x, y = geometry.origin(tile)
        assert (mosaic[y : y + h, x : x + w] == tile + 1).all()
        assert geometry.tile_at(x, y) == tile and geometry.tile_at(x + w - 1, y + h - 1) == tile
        assert geometry.tile_at(x + w, y) is None  # the padding right of it
        assert geometry.tile_at(x, y - 1) is None  # the padding above
    every_pixel = [
        geometry.tile_at(x, y) for y in range(mosaic.shape[0]) for x in range(mosaic.shape[1])
    ]
    assert [t for t in every_pixel if t is not None] == [v - 1 for v in mosaic.ravel() if v]


def test_points_outside_or_not_finite_are_on_no_tile():
    geometry = GridGeometry(4, 8, 8, 2)
    for x, y in [(-1, 3), (3, -1), (1e9, 3), (float("nan"), 3), (3, float("inf"))]:
        assert geometry.tile_at(x, y) is None
    assert GridGeometry(5, 8, 8, 2).tile_at(*GridGeometry(5, 8, 8, 2).origin(5)) is None


def test_the_geometry_of_a_mosaic_is_found_from_its_width():
    geometry = GridGeometry(16, 28, 28, 4)
    found = GridGeometry.of_mosaic(16, geometry.shape[1], 4)
    assert (found.height, found.width, found.cols) == (28, 28, 4)


def test_make_grid_lays_tiles_out_as_torchvision_does():
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    images = np.random.default_rng(0).integers(0, 255, (10, 6, 4, 3), dtype=np.uint8)
    ours = make_grid(images, nrow=4, padding=2, pad_value=7)
    theirs = torchvision.utils.make_grid(
        torch.from_numpy(images).permute(0, 3, 1, 2), nrow=4, padding=2, pad_value=7
    )
    assert np.array_equal(ours, theirs.permute(1, 2, 0).numpy())
