"""How one image file becomes a uint8 (C, size, size) array for a run, or the reason it is skipped.

Every image is turned into the run's format the same way:
- modes: 1, L, P, LA, RGB, RGBA, CMYK, ...; 16-bit (I;16, I;16B, I) is scaled to 8 bits by /257
  (65535 -> 255, rounded), never clipped; float (F) images in [0, 1] are scaled by 255;
- transparency (LA, RGBA, P with a transparent colour) is composited on BLACK, the "empty" of a
  DCGAN's tanh range and the background of MNIST-like data; ``ALPHA_BACKGROUND`` says so;
- EXIF orientation is applied; a GIF or animated WEBP gives its first frame;
- grayscale or RGB as the run's channels say (ITU-R 601 luma for RGB -> L);
- centre-cropped to a square, then resized to the run's size (Lanczos; JPEGs are decoded at a
  reduced scale first where that still leaves at least the target size).

Decompression bombs: Pillow's process-wide ``Image.MAX_IMAGE_PIXELS`` is left alone (other code
shares it); the scan applies its own limit, ``MAX_IMAGE_PIXELS``, from the header, before any pixel
is decoded, and also catches Pillow's own ``DecompressionBombError`` (raised at open when Pillow's
global limit is lower than ours) and its warning (silenced while a scan runs: ours decides).
Memory while decoding is bounded too: 16-bit images become 8-bit strip by strip (no float copy of
the whole image), and images whose decoded size is over ``LARGE_DECODE_BYTES`` are decoded one at
a time, so 8 threads meeting 8 huge images hold one, not eight.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import stat
import threading
from pathlib import Path
from struct import error as StructError

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# the decoders tried, whatever a file's name says: never EPS (Ghostscript) or other exotic plugins
PIL_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "BMP", "DIB", "GIF", "TIFF")
MAX_IMAGE_PIXELS = 64 * 1024 * 1024  # 8192 x 8192; anything bigger is refused unread
# decoded bytes (pixels x Pillow's bytes per pixel, after a JPEG's reduced-scale draft) above which
# an image is decoded while no other thread decodes one so large: 16 MP at 4 bytes a pixel
LARGE_DECODE_BYTES = 64 * 2**20
_large_decode = threading.Lock()
_STRIP_PIXELS = 1 << 20  # 16-bit -> 8-bit conversion works on strips of this many pixels
ALPHA_BACKGROUND = 0  # transparent pixels become black (0) in every channel

# the reasons a file is skipped, as the skipped-file report says them
UNREADABLE = "unreadable"
TRUNCATED = "truncated"
EMPTY = "empty (0 bytes)"
NOT_IMAGE = "not an image"
TOO_LARGE = "too large (decompression bomb)"
NOT_FILE = "not a regular file (a pipe, socket or device)"
log = logging.getLogger(__name__)


def decode(path: Path, size: int, mode: str, crop: int | None = None) -> np.ndarray | str:
    """uint8 (C, size, size), or the reason the file is skipped. Never raises for a bad file."""
    try:
        if (reason := _not_openable(path)) is not None:
            return reason
        with Image.open(path, formats=_pil_formats()) as img:
            w, h = img.size
            if w * h > MAX_IMAGE_PIXELS:
                return TOO_LARGE
            side = min(w, h, crop or w)
            if img.format in ("JPEG", "MPO") and side > size:  # decode at 1/2, 1/4, 1/8 if it fits
                scale = size / side
                img.draft(mode, (math.ceil(w * scale), math.ceil(h * scale)))
                crop = crop and math.ceil(crop * img.size[0] / w)  # the crop at the decoded scale
            large = _decoded_bytes(img) > LARGE_DECODE_BYTES
            with _large_decode if large else contextlib.nullcontext():
                img.load()
                return _to_array(img, size, mode, crop)
    except Exception as exc:
        return _reason(path, exc)


def check_header(path: Path) -> str | None:
    """The reason a file is skipped, from its size and header alone; None if it looks usable.
    What only a full decode finds (a truncated body) is found while training (``stream``)."""
    try:
        if (reason := _not_openable(path)) is not None:
            return reason
        with Image.open(path, formats=_pil_formats()) as img:
            w, h = img.size
            return TOO_LARGE if w * h > MAX_IMAGE_PIXELS else None
    except Exception as exc:
        return _reason(path, exc)


def _not_openable(path: Path) -> str | None:
    """Why ``path`` is not even opened: only a regular file with bytes in it is (opening a FIFO
    blocks until someone writes to it). Raises OSError for a broken link or a link loop."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        return NOT_FILE
    return EMPTY if st.st_size == 0 else None


def _decoded_bytes(img: Image.Image) -> int:
    """What ``img.load()`` will allocate: Pillow keeps 1, 2 (16-bit) or 4 bytes a pixel."""
    per_pixel = 1 if img.mode in ("1", "L", "P") else 2 if img.mode.startswith("I;16") else 4
    return img.size[0] * img.size[1] * per_pixel


def _reason(path: Path, exc: Exception) -> str:
    """Why reading ``path`` failed, in the words of the skipped-file report."""
    if isinstance(exc, Image.DecompressionBombError):
        return TOO_LARGE
    if isinstance(exc, UnidentifiedImageError):
        return NOT_IMAGE
    if isinstance(exc, (EOFError, OSError, SyntaxError, ValueError, StructError, IndexError)):
        text = str(exc).lower()
        if (
            isinstance(exc, EOFError)
            or "truncated" in text
            or "end of file" in text
            or "buffer is not large enough" in text
        ):
            return TRUNCATED
        if "too large" in text:  # Pillow's guard on compressed text chunks
            return TOO_LARGE
        return UNREADABLE
    # a decoder's own bug on a malformed file: still only this file is skipped
    log.warning("unexpected error decoding %s", path, exc_info=True)
    return UNREADABLE


@functools.cache
def _pil_formats() -> tuple[str, ...]:
    Image.init()  # registers every plugin, so the names below can be asked for
    return tuple(f for f in PIL_FORMATS if f in Image.OPEN)


def _to_array(img: Image.Image, size: int, mode: str, crop: int | None = None) -> np.ndarray:
    if img.getexif().get(0x0112, 1) != 1:  # EXIF orientation: a phone photo taken sideways
        img = ImageOps.exif_transpose(img)
    img = _to_8bit(img)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (ALPHA_BACKGROUND,) * 3 + (255,))
        img = Image.alpha_composite(flat, rgba)
    if img.mode != mode:  # convert() copies even to the same mode: a copy of a huge image
        img = img.convert(mode)
    w, h = img.size
    side = min(w, h, crop or w)
    box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    img = img.resize((size, size), Image.Resampling.LANCZOS, box=box)
    array = np.asarray(img, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy()


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit grayscale -> L, scaled over the full range, not clipped at 255.

    Strip by strip into one uint8 array: never a float copy of the whole image (8 bytes a pixel,
    and the arithmetic on it makes more)."""
    if not (img.mode.startswith("I") or img.mode == "F"):
        return img
    low, high = img.getextrema()  # from Pillow, without a copy of the pixels
    if img.mode.startswith("I;16") or (img.mode == "I" and low >= 0 and high <= 65535):
        offset, scale = 0, 1 / 257.0  # 65535 -> 255; no v / 257 lies near a half: rounding is exact
    elif img.mode == "F" and low >= 0 and high <= 1:
        offset, scale = 0, 255.0
    else:  # outside any known range: stretch what is there
        offset, scale = low, (255.0 / (high - low) if high > low else 0.0)
    w, h = img.size
    out = np.empty((h, w), np.uint8)
    rows = max(1, _STRIP_PIXELS // max(1, w))
    for top in range(0, h, rows):
        strip = np.asarray(img.crop((0, top, w, min(h, top + rows))), dtype=np.float64)
        out[top : top + rows] = np.rint((strip - offset) * scale).clip(0, 255)
    return Image.fromarray(out)  # (H, W) uint8 -> L
