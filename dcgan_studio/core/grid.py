"""One grid geometry for every mosaic of the studio: sample grids, saved grids, data previews,
channel mosaics and the tiles a click lands on.

``count`` tiles of ``height`` x ``width`` in ``cols`` columns (square-ish by default), with
``padding`` pixels around the border and between tiles, as ``torchvision.utils.make_grid`` lays
them out: tile ``t`` (row ``t // cols``, column ``t % cols``) starts at
``(padding + col * (width + padding), padding + row * (height + padding))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def square_columns(count: int) -> int:
    """Columns of a square-ish grid of ``count`` tiles."""
    return max(1, math.ceil(math.sqrt(count)))


@dataclass(frozen=True)
class GridGeometry:
    count: int
    height: int
    width: int
    padding: int = 2
    columns: int | None = None  # None: square-ish

    @classmethod
    def of_mosaic(
        cls, count: int, mosaic_width: int, padding: int = 2, columns: int | None = None
    ) -> GridGeometry:
        """The geometry of a mosaic of ``count`` square tiles, ``mosaic_width`` pixels wide."""
        size = (mosaic_width - padding) // (columns or square_columns(count)) - padding
        return cls(count, size, size, padding, columns)

    @property
    def cols(self) -> int:
        return self.columns or square_columns(self.count)

    @property
    def rows(self) -> int:
        return max(1, math.ceil(self.count / self.cols))

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the whole mosaic in pixels."""
        pad = self.padding
        return self.rows * (self.height + pad) + pad, self.cols * (self.width + pad) + pad

    def origin(self, tile: int) -> tuple[int, int]:
        """(x, y) of the top-left pixel of ``tile``."""
        row, col = divmod(tile, self.cols)
        return (
            self.padding + col * (self.width + self.padding),
            self.padding + row * (self.height + self.padding),
        )

    def tile_at(self, x: float, y: float) -> int | None:
        """The tile under mosaic pixel (x, y), or None on the padding or outside."""
        if not (math.isfinite(x) and math.isfinite(y)) or min(self.width, self.height) <= 0:
            return None
        if x < self.padding or y < self.padding:
            return None
        col, dx = divmod(int(x) - self.padding, self.width + self.padding)
        row, dy = divmod(int(y) - self.padding, self.height + self.padding)
        if dx >= self.width or dy >= self.height or col >= self.cols or row >= self.rows:
            return None
        tile = row * self.cols + col
        return tile if tile < self.count else None

    def compose(self, tiles: np.ndarray, pad_value: int | tuple[int, ...] = 0) -> np.ndarray:
        """(count, height, width[, C]) -> one (H, W[, C]) mosaic of the tiles' dtype; the padding
        is ``pad_value`` (a colour: one value per channel)."""
        mosaic = np.full(self.shape + tiles.shape[3:], pad_value, tiles.dtype)
        for tile, image in enumerate(tiles):
            x, y = self.origin(tile)
            mosaic[y : y + self.height, x : x + self.width] = image
        return mosaic


def make_grid(
    images: np.ndarray, nrow: int | None = None, padding: int = 2, pad_value: int = 0
) -> np.ndarray:
    """uint8 (N, H, W, C) -> one uint8 (rows*(H+pad)+pad, cols*(W+pad)+pad, C) image."""
    n, h, w = images.shape[:3]
    return GridGeometry(n, h, w, padding, nrow).compose(images, pad_value)
