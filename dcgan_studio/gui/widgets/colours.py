"""Colour maps several views share: the diverging map of signed weights (ColorBrewer RdBu),
blue below zero, white at zero, red above (the filters of G and D, the kernel editor's cells)."""

from __future__ import annotations

import numpy as np

_DIVERGING_AT = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
_DIVERGING_RGB = np.array(
    [(5, 113, 176), (146, 197, 222), (247, 247, 247), (244, 165, 130), (202, 0, 32)],
    dtype=np.float64,
)
NEGATIVE, POSITIVE = "#0571b0", "#ca0020"  # the two ends, for a legend


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """values in -1..1 (clipped; NaN -> 0) -> uint8 (..., 3), blue below zero, red above."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), -1.0, 1.0)
    rgb = np.stack([np.interp(v, _DIVERGING_AT, _DIVERGING_RGB[:, c]) for c in range(3)], -1)
    return np.rint(rgb).astype(np.uint8)
