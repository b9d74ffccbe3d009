"""``shapes``: coloured shapes on dark backgrounds, generated from a seed: colour with no download.

One shape per image (circle, square, triangle or ring), at a random place, size and angle, in a
bright random colour on a dark, slightly tinted background. Edges are antialiased analytically: each
shape is drawn from a signed distance d (in pixels, negative inside) with coverage
``clip(0.5 - d, 0, 1)``, so any image size is drawn directly, with no supersampling. The same seed
gives the same bytes on every machine (numpy's PCG64 and float32 arithmetic only).
"""

from __future__ import annotations

import numpy as np

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data.base import ImageDataset, in_memory

SHAPES_COUNT = 10_000
SHAPES_SEED = 0  # the built-in set is the same for every run, like a real dataset
SHAPE_NAMES = ("circle", "square", "triangle", "ring")
_CHUNK = 1000  # images per vectorised block: (1000, S, S) float32 is 64 MB at 128x128


def generate_shapes(
    count: int, size: int, seed: int = SHAPES_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 RGB images (count, 3, size, size) and shape labels (count,), from ``seed``."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, len(SHAPE_NAMES), count)
    radius = rng.uniform(0.18, 0.38, count) * size  # half the shape's extent, in pixels
    centre = rng.uniform(0.0, 1.0, (count, 2)) * (size - 2 * radius[:, None]) + radius[:, None]
    angle = rng.uniform(0.0, 2 * np.pi, count)
    colour = _hsv_to_rgb(
        rng.uniform(0, 1, count), rng.uniform(0.55, 1.0, count), rng.uniform(0.75, 1.0, count)
    )  # (count, 3) in [0, 1]
    background = _hsv_to_rgb(
        rng.uniform(0, 1, count), rng.uniform(0.2, 0.6, count), rng.uniform(0.03, 0.18, count)
    )
    images = np.empty((count, 3, size, size), dtype=np.uint8)
    grid = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
    for start in range(0, count, _CHUNK):
        sl = slice(start, min(start + _CHUNK, count))
        cx = centre[sl, 0, None, None].astype(np.float32)
        cy = centre[sl, 1, None, None].astype(np.float32)
        x, y = grid[None, None, :] - cx, grid[None, :, None] - cy  # (n, 1, S), (n, S, 1)
        cos = np.cos(angle[sl]).astype(np.float32)[:, None, None]
        sin = np.sin(angle[sl]).astype(np.float32)[:, None, None]
        u, v = x * cos + y * sin, -x * sin + y * cos  # rotated coordinates, (n, S, S)
        r = radius[sl].astype(np.float32)[:, None, None]
        d = np.empty_like(u)  # signed distance to the edge of each image's shape
        for k, distance in enumerate(_DISTANCES):
            pick = kind[sl] == k
            d[pick] = distance(u[pick], v[pick], r[pick])
        cover = np.clip(0.5 - d, 0.0, 1.0)[:, None]  # (n, 1, S, S)
        fg = colour[sl].astype(np.float32)[:, :, None, None]
        bg = background[sl].astype(np.float32)[:, :, None, None]
        rgb = bg + (fg - bg) * cover  # (n, 3, S, S) in [0, 1]
        images[sl] = np.rint(rgb * 255.0).astype(np.uint8)
    return images, kind.astype(np.int64)


def _circle(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.sqrt(u * u + v * v) - r


def _square(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u), np.abs(v)) - 0.8 * r


def _triangle(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Equilateral, circumradius r: the largest of the three edge distances (inradius r / 2)."""
    d = None
    for k in range(3):
        a = 2 * np.pi * k / 3 - np.pi / 2
        edge = u * np.float32(np.cos(a)) + v * np.float32(np.sin(a)) - 0.5 * r
        d = edge if d is None else np.maximum(d, edge)
    return d  # type: ignore[return-value]


def _ring(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.abs(np.sqrt(u * u + v * v) - 0.75 * r) - 0.25 * r


_DISTANCES = (_circle, _square, _triangle, _ring)  # in the order of SHAPE_NAMES


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(n,) hue, saturation, value in [0, 1] -> (n, 3) RGB in [0, 1]."""
    i = np.floor(h * 6).astype(np.int64) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = np.stack(
        [np.stack(c, 1) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))]
    )
    return table[i, np.arange(len(h))]


def load_shapes(cfg: RunConfig, count: int = SHAPES_COUNT, seed: int = SHAPES_SEED) -> ImageDataset:
    images, labels = generate_shapes(count, cfg.model.image_size, seed)
    return in_memory(
        "shapes",
        images,
        labels,
        f"{count:,} coloured shapes (circles, squares, triangles, rings) from seed {seed}",
        cfg.model.image_size,
        cfg.model.channels,
        class_names=SHAPE_NAMES,
    )
