"""What the latent explorer saves, and how a saved file is made again from its JSON sidecar.

A *creation* is a kind of output (one image, a grid, an interpolation strip, an animation, or a
folder of samples) and the latent vectors it is rendered from. ``save_creation`` renders it with a
``LatentRenderer``, writes the file(s) and, beside each, a sidecar holding everything needed to
make it again: the vectors themselves (and the recipe they came from: a seed, pinned vectors, a
path method, an arithmetic), the generator weights file, the step and the config.
``reproduce`` reads a sidecar and runs the very same code on the CPU, so the bytes are the same.

Every file is rendered in one batch of exactly the vectors its sidecar lists (a sample of a folder
alone), so reproduction never depends on how a batch was split.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from dcgan_studio import __version__
from dcgan_studio.config import RunConfig, parse_json
from dcgan_studio.core.export import png_bytes
from dcgan_studio.core.grid import make_grid
from dcgan_studio.core.latent import LatentRenderer
from dcgan_studio.core.runs import (
    durable_write_bytes,
    durable_write_text,
    open_checkpoint,
    save_generator_file,
)
from dcgan_studio.errors import ConfigError, StudioError

FORMAT = "dcgan-studio-creation/1"
KINDS = {"image": ".png", "grid": ".png", "strip": ".png", "animation": ".gif", "samples": ""}
MAX_SCALE = 32


@dataclass(frozen=True)
class Creation:
    kind: str  # image | grid | strip | animation | samples
    z: np.ndarray  # (N, nz) float32: one image, the tiles, the frames, or the samples
    scale: int = 1  # nearest-neighbour enlargement of every pixel
    columns: int | None = None  # grid columns (a strip is one row)
    frame_ms: int = 80  # animation: time per frame
    recipe: dict[str, Any] = field(default_factory=dict)  # how z was made, for people

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not 1 <= self.scale <= MAX_SCALE:
            raise ValueError(f"scale must be from 1 to {MAX_SCALE}, not {self.scale}")
        if np.asarray(self.z).ndim != 2 or not len(self.z):
            raise ValueError("z must be a non-empty (N, nz) array")
        if self.kind == "image" and len(self.z) != 1:
            raise ValueError("an image is made from exactly one vector")


def enlarge(images: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour: every pixel becomes a scale x scale block. (..., H, W, C)"""
    if scale == 1:
        return images
    return images.repeat(scale, axis=-3).repeat(scale, axis=-2)


def gif_bytes(frames: np.ndarray, frame_ms: int) -> bytes:
    """uint8 (N, H, W, C) -> a looping GIF (grey palette for one channel)."""
    pictures = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=frame_ms,
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()


def render_files(renderer: LatentRenderer, creation: Creation) -> list[tuple[str, bytes, list]]:
    """[(file name suffix or sample name, bytes, the vectors it shows)], rendered and composed."""
    c = creation
    if c.kind == "samples":
        digits = max(5, len(str(len(c.z) - 1)))
        return [
            (f"sample-{i:0{digits}d}.png", png_bytes(enlarge(renderer.render(z)[0], c.scale)), [z])
            for i, z in enumerate(c.z)
        ]
    images = renderer.render(c.z)  # (N, H, W, C), one batch
    if c.kind == "image":
        data = png_bytes(enlarge(images[0], c.scale))
    elif c.kind == "animation":
        data = gif_bytes(enlarge(images, c.scale), c.frame_ms)
    else:
        columns = len(images) if c.kind == "strip" else c.columns
        data = png_bytes(enlarge(make_grid(images, columns, padding=2), c.scale))
    return [(KINDS[c.kind], data, list(c.z))]


def sidecar(
    creation: Creation, renderer: LatentRenderer, weights: str, config: RunConfig | None, z: list
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kind": "image" if creation.kind == "samples" else creation.kind,
        "weights": str(weights),
        "ema": renderer.ema and renderer.source is not None,  # the checkpoint's G (EMA)
        "step": renderer.step,
        "z": [[float(x) for x in v] for v in z],
        "scale": creation.scale,
        "columns": creation.columns,
        "frame_ms": creation.frame_ms,
        "recipe": creation.recipe,
        "config": config.to_dict() if config else None,
        "app_version": __version__,
    }


def save_creation(
    renderer: LatentRenderer,
    creation: Creation,
    out: Path,
    weights: str,
    config: RunConfig | None = None,
) -> list[Path]:
    """Write ``creation`` to ``out`` (a .png / .gif file, or a folder for samples) with a sidecar
    ``<file>.json`` beside each file; returns the files written. ``weights`` is the checkpoint
    (or generator weights folder) the renderer was built from."""
    out = Path(out)
    written = []
    try:
        (out if creation.kind == "samples" else out.parent).mkdir(parents=True, exist_ok=True)
        for name, data, z in render_files(renderer, creation):
            path = out / name if creation.kind == "samples" else out.with_suffix(name)
            text = json.dumps(sidecar(creation, renderer, weights, config, z), indent=1)
            durable_write_bytes(path, data)
            durable_write_text(path.with_suffix(".json"), text + "\n")
            written.append(path)
    except OSError as exc:
        raise StudioError(
            f"could not write {out} ({exc.strerror or exc}): choose a writable "
            "place; files already there are intact"
        ) from exc
    return written


def persist_weights(renderer: LatentRenderer, config: RunConfig, run_root: Path) -> Path:
    """Keep the weights a live renderer uses (once per step) in ``RUN/explorer/step-N/`` (G's)
    or ``step-N-ema/`` (G (EMA)'s, as that folder's generator), so a file saved during training
    can be reproduced; returns the folder (a checkpoint-like one)."""
    name = f"step-{renderer.step:07d}" + ("-ema" if renderer.ema else "")
    folder = Path(run_root) / "explorer" / name
    if not (folder / "generator.safetensors").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        save_generator_file(
            folder / "generator.safetensors", renderer.step, config, renderer.generator.state_dict()
        )
    return folder


def read_sidecar(path: Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = parse_json(path.read_bytes())  # damaged: not UTF-8, 5000 digits, deep nesting
    except FileNotFoundError as exc:
        raise StudioError(
            f"--from-sidecar {path} does not exist: give the .json file saved beside the image"
        ) from exc
    except (ValueError, OSError) as exc:
        raise StudioError(
            f"--from-sidecar {path} is not a JSON sidecar ({exc}): give the .json "
            "file saved beside the image"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StudioError(
            f"{path} is not a sidecar of the latent explorer (no '{FORMAT}' "
            "format): sample grids' sidecars describe a run, not vectors"
        )
    return data


def _checked_fields(path: Path, data: dict[str, Any]) -> None:
    """Each field a reproduction reads, of the JSON type it needs: a hand-edited or damaged
    sidecar is named with the field, never a TypeError deep inside."""

    def need(name: str, ok: bool, what: str) -> None:
        if not ok:
            raise StudioError(
                f"{path}: its '{name}' is {str(data.get(name))[:60]!r}, not {what}: "
                "the sidecar is damaged; save the image again from the explorer"
            )

    def whole(value: Any) -> bool:
        return type(value) is int  # not a bool, not 3.0

    need("kind", isinstance(data.get("kind"), str), "a kind of output")
    need("weights", isinstance(data.get("weights"), str), "the path of the weights")
    need("step", whole(data.get("step")), "a whole number")
    need(
        "z",
        isinstance(data.get("z"), list)
        and all(isinstance(v, list) and all(type(x) in (int, float) for x in v) for v in data["z"]),
        "a list of vectors of numbers",
    )
    need("scale", data.get("scale") is None or whole(data["scale"]), "a whole number")
    need(
        "columns",
        data.get("columns") is None or whole(data["columns"]) and data["columns"] > 0,
        "a whole number above 0",
    )
    need(
        "frame_ms",
        data.get("frame_ms") is None or whole(data["frame_ms"]) and 0 < data["frame_ms"] <= 60_000,
        "a whole number of ms from 1 to 60000",
    )
    need("ema", isinstance(data.get("ema", False), bool), "true or false")
    need("recipe", data.get("recipe") is None or isinstance(data["recipe"], dict), "an object")
    need("config", data.get("config") is None or isinstance(data["config"], dict), "an object")


def reproduce(sidecar_path: Path, out: Path) -> tuple[Path, dict[str, Any]]:
    """Make the file a sidecar describes again, at ``out`` (its sidecar is written beside it)."""
    data = read_sidecar(sidecar_path)
    _checked_fields(Path(sidecar_path), data)
    kind = data["kind"]
    if kind not in KINDS or kind == "samples":
        raise StudioError(f"{sidecar_path} names an unknown kind {kind!r}")
    out = Path(out)
    if out.suffix.lower() != KINDS[kind]:
        raise StudioError(
            f"--out {out}: a sidecar of kind '{kind}' makes a {KINDS[kind]} file; "
            f"name the output …{KINDS[kind]}"
        )
    weights = Path(data["weights"])
    if not weights.is_absolute():
        weights = Path(sidecar_path).parent / weights
    checkpoint = open_checkpoint(weights)
    if data.get("ema") and not checkpoint.has_ema:
        raise StudioError(f"{sidecar_path} was made with G (EMA), which {weights} no longer has")
    renderer = LatentRenderer.from_checkpoint(checkpoint, ema=bool(data.get("ema")))
    lengths = {len(v) for v in data["z"]}
    if not data["z"] or lengths != {renderer.nz}:
        raise StudioError(
            f"{sidecar_path}: its vectors have {', '.join(map(str, lengths)) or 'no'}"
            f" numbers but the generator in {weights} takes {renderer.nz}"
        )
    z = np.asarray(data["z"], np.float32)
    try:
        creation = Creation(
            kind,
            z,
            int(data.get("scale") or 1),
            data.get("columns"),
            int(data.get("frame_ms") or 80),
            data.get("recipe") or {},
        )
        config = RunConfig.from_dict(data["config"]) if data.get("config") else None
    except (ValueError, ConfigError) as exc:  # ConfigError is a ValueError too
        raise StudioError(
            f"{sidecar_path} cannot be made again ({exc}): the sidecar is "
            "damaged; save the image again from the explorer"
        ) from exc
    save_creation(renderer, creation, out, str(weights), config)
    return out, data
