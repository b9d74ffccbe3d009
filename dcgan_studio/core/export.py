"""Images out: grids, PNG files, .npz arrays and folders of PNGs, all written durably.

Images here are uint8 (N, H, W, C) with C = 1 or 3, the layout snapshots carry.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from dcgan_studio.core.grid import make_grid
from dcgan_studio.core.runs import durable_write_bytes
from dcgan_studio.errors import StudioError


def png_bytes(image: np.ndarray) -> bytes:
    """uint8 (H, W, C) or (H, W) -> PNG bytes (grayscale for one channel)."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(image: np.ndarray, path: Path) -> Path:
    durable_write_bytes(Path(path), png_bytes(image))
    return Path(path)


def save_grid_png(images: np.ndarray, path: Path, nrow: int | None = None) -> Path:
    return save_png(make_grid(images, nrow), path)


def save_npz(images: np.ndarray, path: Path) -> Path:
    """Key ``images``: (N, H, W) for one channel, (N, H, W, 3) for colour."""
    if images.shape[-1] == 1:
        images = images[..., 0]
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images)
    durable_write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def save_png_folder(images: np.ndarray, folder: Path, prefix: str = "sample") -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digits = max(5, len(str(len(images) - 1)))
    for index, image in enumerate(images):
        save_png(image, folder / f"{prefix}-{index:0{digits}d}.png")
    return folder


OUTPUT_KINDS = ".png (one grid), .npz (an array under the key 'images') or a folder (one PNG each)"


def output_kind(out: Path) -> str:
    """'png', 'npz' or 'folder' from the form of ``out``; refuses anything else up front."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix in (".png", ".npz"):
        return suffix[1:]
    if suffix == "" or out.is_dir():
        return "folder"
    raise StudioError(f"--out {out} has an unknown kind: use {OUTPUT_KINDS}")


def save_images(images: np.ndarray, out: Path) -> str:
    """Save by the form of ``out``; returns what was written, for a message."""
    out = Path(out)
    kind = output_kind(out)
    try:
        if kind == "png":
            save_grid_png(images, out)
            return f"a grid of {len(images)} images to {out}"
        if kind == "npz":
            save_npz(images, out)
            return f"{len(images)} images to {out} (key 'images', shape {_npz_shape(images)})"
        save_png_folder(images, out)
        return f"{len(images)} PNG files to {out}/"
    except OSError as exc:
        raise StudioError(
            f"cannot write {out} ({exc.strerror or exc}): choose a writable --out"
        ) from exc


def _npz_shape(images: np.ndarray) -> tuple[int, ...]:
    return images.shape[:3] if images.shape[-1] == 1 else images.shape
