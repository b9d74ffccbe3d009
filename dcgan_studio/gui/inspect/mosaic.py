"""Channel mosaics: every channel of one layer as a tile of one uint8 index image; and the
statistics of one channel.

Pure numpy (no Qt), so a redraw is one array and one ``setImage``. Index values 0..254 are data;
255 is the gap between tiles, which the lookup table paints in a neutral background colour. The
tiles are laid out by ``core.grid`` with a 1-pixel gap around the border and between them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from dcgan_studio.core.grid import GridGeometry

GAP = 255  # the index of the gap between tiles; data uses 0..254
TOP = 254  # the brightest data index

# shown name -> pyqtgraph's name; all ship with pyqtgraph (no matplotlib, no download)
COLOUR_MAPS = {"viridis": "viridis", "inferno": "inferno", "magma": "magma", "grey": "CET-L1"}
_GAP_COLOURS = {"grey": (96, 150, 210)}  # a grey gap would vanish among grey tiles
_GAP_COLOUR = (222, 222, 222)


def channel_grid(count: int, height: int, width: int) -> GridGeometry:
    """The layout of ``count`` tiles of ``height`` x ``width`` (channels, or kernels) in a
    square-ish mosaic with a 1-pixel gap around and between them."""
    return GridGeometry(count, height, width, padding=1)


def scale_to_index(
    values: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float
) -> np.ndarray:
    """float values -> uint8 0..254 over lo..hi (broadcast). A flat range gives the middle,
    NaN gives 0, +inf the top and -inf the bottom."""
    values = np.asarray(values, dtype=np.float32)
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    span = hi - lo
    flat = ~(span > 0) | ~np.isfinite(span)  # constant, empty (inf - inf) or overflowing
    gain = np.where(flat, 0.0, TOP / np.where(flat, 1.0, span)).astype(np.float32)
    # + 0.5: the cast to uint8 truncates, so this rounds; a flat range sits in the middle
    offset = np.where(flat, 0.0, lo).astype(np.float32)  # subtract first: exact near lo
    base = np.where(flat, TOP // 2 + 0.5, 0.5).astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values - offset
        scaled *= gain
        scaled += base
    if not np.isfinite(values).all():
        scaled[np.isnan(values) | np.isneginf(values)] = 0
        scaled[np.isposinf(values)] = TOP
    np.clip(scaled, 0, TOP, out=scaled)
    return scaled.astype(np.uint8)


def finite_range(values: np.ndarray, axis=None) -> tuple[np.ndarray, np.ndarray]:
    """min and max over the finite values (inf, -inf where there are none)."""
    if np.isfinite(values).all():  # the usual case
        return values.min(axis=axis), values.max(axis=axis)
    finite = np.isfinite(values)
    lo = np.where(finite, values, np.inf).min(axis=axis)
    hi = np.where(finite, values, -np.inf).max(axis=axis)
    return lo, hi


def channel_means(activations: np.ndarray) -> np.ndarray:
    """Mean of each channel's finite values, (C,); NaN for a channel with none."""
    a = np.asarray(activations).reshape(len(activations), -1)
    if np.isfinite(a).all():
        return a.mean(axis=1, dtype=np.float64)
    finite = np.isfinite(a)
    counts = finite.sum(axis=1)
    sums = np.where(finite, a, 0.0).sum(axis=1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def order_by_mean(activations: np.ndarray) -> np.ndarray:
    """Channel order by mean activation, highest first; channels without a finite value last."""
    means = channel_means(activations)
    return np.argsort(np.where(np.isnan(means), np.inf, -means), kind="stable")


def channel_mosaic(
    activations: np.ndarray, normalise: str = "channel", order: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """(C, H, W) activations -> (uint8 index image, cols); tile ``t`` shows ``order[t]``.

    ``normalise`` "channel" scales each channel by its own min..max, "layer" scales all by one
    min..max so their magnitudes compare."""
    a = np.asarray(activations, dtype=np.float32)
    if a.ndim != 3:
        raise ValueError(f"activations must be (C, H, W), not {a.shape}")
    if order is not None:
        a = a[np.asarray(order, dtype=np.intp)]
    channels, height, width = a.shape
    if normalise == "channel":
        lo, hi = finite_range(a, axis=(1, 2))
        data = scale_to_index(a, lo[:, None, None], hi[:, None, None])
    elif normalise == "layer":
        lo, hi = finite_range(a)
        data = scale_to_index(a, lo, hi)
    else:
        raise ValueError(f"normalise must be 'channel' or 'layer', not {normalise!r}")
    grid = channel_grid(channels, height, width)
    return grid.compose(data, GAP), grid.cols


def lookup_table(name: str) -> np.ndarray:
    """(256, 3) uint8: the colour map over 0..254, the gap colour at 255."""
    cmap = pg.colormap.get(COLOUR_MAPS[name])
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[:GAP] = cmap.getLookupTable(0.0, 1.0, nPts=GAP, alpha=False)
    lut[GAP] = _GAP_COLOURS.get(name, _GAP_COLOUR)
    return lut


def channel_stats(activations: np.ndarray, channel: int, kind: str) -> str:
    """Plain text: which channel, mean, std, min, max and the share of zeros (or negatives)."""
    values = np.asarray(activations[channel], dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    lines = [f"channel {channel} of {len(activations)}"]
    if finite.size:
        lines += [
            f"mean {finite.mean():.3g}   std {finite.std():.3g}",
            f"min {finite.min():.3g}   max {finite.max():.3g}",
        ]
    if kind == "leaky_relu":
        lines.append(f"negative: {np.mean(values < 0):.0%}")
    elif kind == "relu":
        lines.append(f"zeros after ReLU: {np.mean(values == 0):.0%}")
    else:
        lines.append(f"exactly zero: {np.mean(values == 0):.0%}")
    if finite.size < values.size:
        lines.append(f"not finite: {values.size - finite.size} of {values.size}")
    return "\n".join(lines)
