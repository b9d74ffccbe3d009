"""The convolution explorer's maths: named kernels, convolution, pooling and transposed convolution
on one 2-D image, with the output sizes of the guides written out with the numbers in.

Images are numpy (H, W) float arrays (a digit scaled to [0, 1] by ``load_digit``, any picture file
turned grey by ``read_grey_image``); every result is
a new float32 (H', W') array. Convolution is cross-correlation, as PyTorch defines it (the kernel is
not flipped), with zero padding:

    conv            o = floor((i + 2p - k)/s) + 1
    transposed conv o = (i - 1)s - 2p + k

The formulas come from ``architecture`` and the text from ``LayerSpec.formula()``, so the explorer
and the model summary always print a size the same way. Bad input raises ``ConfigError`` (a
``ValueError``) whose message names the value and the fix.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from dcgan_studio.core.architecture import (
    LayerSpec,
    conv_output_size,
    conv_transpose_output_size,
)
from dcgan_studio.errors import ConfigError, StudioError

# --- kernels -------------------------------------------------------------------------------------

_BINOMIAL = {3: np.array([1.0, 2.0, 1.0]), 5: np.array([1.0, 4.0, 6.0, 4.0, 1.0])}
_DERIVATIVE = {3: np.array([-1.0, 0.0, 1.0]), 5: np.array([-1.0, -2.0, 0.0, 2.0, 1.0])}


def _identity(k: int) -> np.ndarray:
    out = np.zeros((k, k))
    out[k // 2, k // 2] = 1.0
    return out


def _gaussian(k: int) -> np.ndarray:
    b = _BINOMIAL[k]
    return np.outer(b, b) / b.sum() ** 2


def _edge(k: int) -> np.ndarray:  # "outline": the centre against all its neighbours, sums to 0
    return k * k * _identity(k) - np.ones((k, k))


def _sharpen(k: int) -> np.ndarray:  # sums to 1, so flat regions keep their brightness
    if k == 3:
        return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
    return 2 * _identity(k) - _gaussian(k)  # unsharp mask


_KERNELS = {  # name -> (sizes, build(k) -> (k, k))
    "identity": ((3, 5), _identity),
    "edge": ((3, 5), _edge),
    # x grows to the right, y downwards: sobel_x = right minus left, so vertical edges light up
    "sobel_x": ((3, 5), lambda k: np.outer(_BINOMIAL[k], _DERIVATIVE[k])),
    "sobel_y": ((3, 5), lambda k: np.outer(_DERIVATIVE[k], _BINOMIAL[k])),
    "box_blur": ((3, 5), lambda k: np.full((k, k), 1.0 / (k * k))),
    "gaussian_blur": ((3, 5), _gaussian),
    "sharpen": ((3, 5), _sharpen),
    "emboss": ((3,), lambda k: np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])),
}
KERNEL_NAMES = tuple(_KERNELS)


def kernel_sizes(name: str) -> tuple[int, ...]:
    if name not in _KERNELS:
        raise ConfigError("kernel", name, "one of " + ", ".join(KERNEL_NAMES))
    return _KERNELS[name][0]


def kernel(name: str, size: int = 3) -> np.ndarray:
    """A named (size, size) float32 kernel, e.g. ``kernel("sobel_x", 5)``."""
    sizes = kernel_sizes(name)
    if size not in sizes:
        raise ConfigError(
            f"size of the {name} kernel", size, " or ".join(f"{s} ({s}x{s})" for s in sizes)
        )
    return _KERNELS[name][1](size).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits, read once: the explorer asks at every step of its spin box."""
    from dcgan_studio.core.data import load_digits_raw

    images, labels = load_digits_raw()
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def digit_count() -> int:
    """How many digits ``load_digit`` has: indices run 0 .. digit_count() - 1."""
    return len(_digits()[0])


def _digit_index(index: int) -> int:
    n = digit_count()
    if not (
        isinstance(index, (int, np.integer)) and not isinstance(index, bool) and 0 <= index < n
    ):
        raise ConfigError("digit index", index, f"an integer from 0 to {n - 1}")
    return int(index)


def load_digit(index: int = 0) -> np.ndarray:
    """Digit ``index`` of the bundled MNIST subset as a (28, 28) float32 image in [0, 1]."""
    return _digits()[0][_digit_index(index)].astype(np.float32) / 255.0


def digit_label(index: int) -> int:
    """Which digit (0-9) image ``index`` shows."""
    return int(_digits()[1][_digit_index(index)])


# --- pictures ------------------------------------------------------------------------------------

MAX_SIDE = 256  # larger pictures are scaled down: the maps stay readable and the maths instant


class ImageFileError(StudioError):
    pass


def read_grey_image(path: str | Path, max_side: int = MAX_SIDE) -> tuple[np.ndarray, str]:
    """A picture file as a float32 (H, W) grey image in [0, 1], at most ``max_side`` a side,
    and a line describing it; ``ImageFileError`` names the file and the fix."""
    from PIL import Image

    path = Path(path)
    fix = "choose a PNG, JPEG, BMP, GIF or TIFF picture; the previous image is kept"
    try:
        if path.stat().st_size == 0:
            raise ImageFileError(f"{path.name} is empty (0 bytes): {fix}")
        with Image.open(path) as picture:
            picture.load()
            grey = picture.convert("L")
    except ImageFileError:
        raise
    except FileNotFoundError:
        raise ImageFileError(
            f"{path.name} does not exist (any more) in {path.parent}: {fix}"
        ) from None
    except Exception as exc:  # Pillow raises many kinds for a damaged or foreign file
        reason = (
            "not a picture format Pillow can read, or damaged"
            if type(exc).__name__ == "UnidentifiedImageError"
            else f"{exc}"
        )
        raise ImageFileError(f"{path.name} cannot be read as a picture ({reason}): {fix}") from exc
    width, height = grey.size
    if max(width, height) > max_side:
        grey.thumbnail((max_side, max_side))
    image = np.asarray(grey, dtype=np.float32) / 255.0
    scaled = (width, height) != grey.size
    described = (
        f"{path.name}: {height}×{width} (height×width)"
        + (f", scaled down to {image.shape[0]}×{image.shape[1]}" if scaled else "")
        + ", in grey"
    )
    return image, described


# --- sizes ---------------------------------------------------------------------------------------


class OutputSize(NamedTuple):
    size: int
    formula: str  # e.g. "o = floor((i + 2p - k)/s) + 1 = floor((28 + 2*1 - 3)/1) + 1 = 28"


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(name, value, f"an integer of {minimum} or more")
    return int(value)


def output_size(i: int, k: int, s: int, p: int) -> OutputSize:
    """The side of a convolution's (or pooling's) output, and the formula with the numbers in."""
    i, k = _check_int("input size", i, 1), _check_int("kernel size", k, 1)
    s, p = _check_int("stride", s, 1), _check_int("padding", p, 0)
    if k > i + 2 * p:
        need = -(-(k - i) // 2)  # ceil((k - i) / 2)
        raise ConfigError(
            "kernel size",
            k,
            f"at most {i + 2 * p} for an input of {i} with "
            f"padding {p}, or a padding of at least {need}",
        )
    o = conv_output_size(i, k, s, p)
    return OutputSize(o, LayerSpec("explorer", "conv", (1, i, i), (1, o, o), k, s, p).formula())


def transposed_output_size(i: int, k: int, s: int, p: int, output_padding: int = 0) -> OutputSize:
    """The side of a transposed convolution's output, and the formula with the numbers in."""
    i, k = _check_int("input size", i, 1), _check_int("kernel size", k, 1)
    s, p = _check_int("stride", s, 1), _check_int("padding", p, 0)
    output_padding = _check_int("output padding", output_padding, 0)
    if output_padding >= s:
        raise ConfigError(
            "output padding", output_padding, f"a value smaller than the stride ({s}), e.g. 0"
        )
    o = conv_transpose_output_size(i, k, s, p, output_padding)
    if o < 1:
        most = ((i - 1) * s + k + output_padding - 1) // 2
        raise ConfigError(
            "padding",
            p,
            f"at most {most}: with input {i}, kernel {k} and stride "
            f"{s} the output would be {o} wide",
        )
    spec = LayerSpec("explorer", "conv_transpose", (1, i, i), (1, o, o), k, s, p, output_padding)
    return OutputSize(o, spec.formula())


def same_padding(k: int) -> int:
    """The padding that keeps the size at stride 1, (k - 1)/2; only odd kernels have one."""
    k = _check_int("kernel size", k, 1)
    if k % 2 == 0:
        raise ConfigError(
            "kernel size",
            k,
            "an odd size (3 or 5) to keep the image size: an even "
            "kernel has no centre pixel, so no padding keeps it",
        )
    return (k - 1) // 2


# --- operations ----------------------------------------------------------------------------------


def _check_finite(name: str, array: np.ndarray) -> None:
    bad = array[~np.isfinite(array)]
    if bad.size:
        raise ConfigError(name, float(bad[0]), "finite numbers only")


def _image(image: np.ndarray, name: str = "image") -> torch.Tensor:
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 2 or array.size == 0:
        raise ConfigError(f"{name} shape", array.shape, "a 2-D (height, width) array")
    _check_finite(f"{name} value", array)
    return torch.from_numpy(array.copy())[None, None]  # (1, 1, H, W)


def _kernel(weights: np.ndarray) -> torch.Tensor:
    array = np.asarray(weights, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.size == 0:
        raise ConfigError("kernel shape", array.shape, "a square (k, k) array, e.g. 3x3 or 5x5")
    _check_finite("kernel value", array)
    return torch.from_numpy(array.copy())[None, None]  # (1, 1, k, k)


def _sizes(x: torch.Tensor, k: int, s: int, p: int) -> None:
    """Raise, naming the fix, unless the kernel fits both sides of x (1, 1, H, W)."""
    for side in x.shape[2:]:
        output_size(side, k, s, p)


def _pool_size(x: torch.Tensor, size: int) -> None:
    H, W = x.shape[2:]
    whole = isinstance(size, (int, np.integer)) and not isinstance(size, bool)
    if not (whole and 1 <= size <= min(H, W)):
        raise ConfigError(
            "pool size", size, f"an integer from 1 to {min(H, W)} for a {H}x{W} image"
        )


@torch.no_grad()
def convolve(
    image: np.ndarray, weights: np.ndarray, stride: int = 1, padding: int = 0
) -> np.ndarray:
    """Cross-correlate (H, W) with a (k, k) kernel -> (floor((H + 2p - k)/s) + 1, ...)."""
    x, w = _image(image), _kernel(weights)
    _sizes(x, w.shape[-1], stride, padding)
    return F.conv2d(x, w, stride=stride, padding=padding)[0, 0].numpy()


def strided_conv(
    image: np.ndarray, weights: np.ndarray, stride: int = 2, padding: int = 0
) -> np.ndarray:
    """A learned downsampling, as in D: the same as convolve with stride 2 by default."""
    return convolve(image, weights, stride=stride, padding=padding)


@torch.no_grad()
def max_pool(image: np.ndarray, size: int = 2) -> np.ndarray:
    """The maximum of each size x size block (stride = size); odd sides drop the last row/col."""
    x = _image(image)
    _pool_size(x, size)
    return F.max_pool2d(x, kernel_size=size, stride=size)[0, 0].numpy()


@torch.no_grad()
def avg_pool(image: np.ndarray, size: int = 2) -> np.ndarray:
    """The mean of each size x size block (stride = size); odd sides drop the last row/col."""
    x = _image(image)
    _pool_size(x, size)
    return F.avg_pool2d(x, kernel_size=size, stride=size)[0, 0].numpy()


@torch.no_grad()
def transposed_conv(
    small_map: np.ndarray,
    weights: np.ndarray,
    stride: int = 2,
    padding: int = 1,
    output_padding: int = 0,
) -> np.ndarray:
    """Upsample (h, w) -> ((h - 1)s - 2p + k + output_padding, ...), as G does (k=4, s=2, p=1
    doubles the size): every input pixel stamps a copy of the kernel, scaled by its value."""
    x, w = _image(small_map, "small map"), _kernel(weights)
    for side in x.shape[2:]:
        transposed_output_size(side, w.shape[-1], stride, padding, output_padding)
    return F.conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding)[
        0, 0
    ].numpy()
