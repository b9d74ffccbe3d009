"""G out of the studio, in the forms the ecosystem reads: ONNX, TorchScript or safetensors, each
with a JSON sidecar that says what the file takes and gives, and which run and step it is.

Every format takes the latent vectors as its input and gives images in [-1, 1]: the noise is
never drawn inside, so that the same z gives the same image in the studio and outside it.

    G.onnx        input "z" (batch, nz, 1, 1) float32, batch dynamic; output "images"
                  (batch, C, S, S) float32 in [-1, 1] (torch.onnx's exporter, torch.export)
    G.pt          TorchScript (torch.jit.trace); torch.jit.load(path)(z) -> images
    G.safetensors G's weights and BatchNorm statistics, the run's config in the metadata (what
                  ``dcgan-studio sample --checkpoint G.safetensors`` reads)
    G.onnx.json   the sidecar (the file's name and .json): format, opset, shapes, range, run,
                  step, which G, the config
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import warnings
from pathlib import Path
from typing import Any

import torch

from dcgan_studio.core.runs import (
    Checkpoint,
    RunDirectory,
    durable_write_bytes,
    durable_write_text,
    open_checkpoint,
    save_generator_file,
)
from dcgan_studio.core.sampling import load_generator
from dcgan_studio.errors import StudioError

FORMATS = ("onnx", "torchscript", "safetensors")
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt", "safetensors": ".safetensors"}
ONNX_OPSET = 18
EXTRA = "pip install 'dcgan-studio[export]'"  # onnx, onnxscript and onnxruntime


def checkpoint_for(run: RunDirectory, step: int | None) -> Checkpoint:
    """The run's checkpoint at ``step`` or the newest before it (None: its newest): what the
    window exports for the grid on screen."""
    steps = run.checkpoint_steps()
    usable = [s for s in steps if step is None or s <= step]
    if not usable:
        there = f" at or before iteration {step}" if steps else ""
        raise StudioError(
            f"{run.root} has no checkpoint{there}: train past its first checkpoint, or choose "
            "a later grid"
        )
    return open_checkpoint(run.checkpoint_path(usable[-1]))


def sidecar_of(out: Path) -> Path:
    """The sidecar beside an exported file: its whole name and .json (G.onnx -> G.onnx.json),
    so that exports of one G in several formats each keep their own."""
    return out.with_name(out.name + ".json")


def suffix_format(out: Path) -> str | None:
    """The format a file's suffix says; None for another suffix."""
    for name, suffix in SUFFIXES.items():
        if out.suffix.lower() == suffix:
            return name
    return None


def format_of(out: Path, given: str | None) -> str:
    """The format ``--format`` names, or the one the file's suffix says; a suffix of another
    format is refused (a TorchScript file named .onnx would mislead whoever opens it)."""
    said = suffix_format(out)
    if given is not None:
        if given not in FORMATS:
            raise StudioError(f"--format {given}: use one of {', '.join(FORMATS)}")
        if said is not None and said != given:
            raise StudioError(
                f"{out.name} ends in {out.suffix}, the suffix of {said}, and --format says "
                f"{given}: end the file in {SUFFIXES[given]}"
            )
        return given
    if said is not None:
        return said
    raise StudioError(
        f"{out.name}: say the format with --format ({', '.join(FORMATS)}) or end the file in "
        f"{', '.join(SUFFIXES.values())}"
    )


def check_tools(fmt: str) -> None:
    """ONNX needs the optional extra: say which, before any work."""
    if fmt != "onnx":
        return
    missing = []
    for module in ("onnx", "onnxscript"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise StudioError(
            f"exporting ONNX needs {' and '.join(missing)}, "
            f"{'which is' if len(missing) == 1 else 'which are'} not installed: {EXTRA}"
        )


def export_generator(checkpoint: Checkpoint, fmt: str, out: Path, ema: bool = False) -> Path:
    """Write G (or G (EMA)) of ``checkpoint`` to ``out`` in ``fmt``, and its sidecar beside it
    (``out`` with ``.json``); returns the sidecar's path."""
    check_tools(fmt)
    out = Path(out)
    if out.suffix.lower() == ".json":
        raise StudioError(
            f"{out.name}: a .json name is the sidecar's; end the file in {SUFFIXES[fmt]}"
        )
    if not out.parent.is_dir():
        raise StudioError(f"{out.parent} is not a folder: choose where to write {out.name}")
    generator = load_generator(checkpoint, torch.device("cpu"), ema=ema).float().eval()
    model = checkpoint.config.model
    z = torch.zeros(2, model.nz, 1, 1)  # an example: the batch stays free in every format
    sidecar: dict[str, Any] = {
        "format": fmt,
        "input": {"name": "z", "shape": ["batch", model.nz, 1, 1], "dtype": "float32"},
        "output": {
            "name": "images",
            "shape": ["batch", model.channels, model.image_size, model.image_size],
            "dtype": "float32",
            "range": [-1, 1],
            "layout": "NCHW",
        },
        "generator": "G (EMA)" if ema else "G",
        "step": checkpoint.step,
        "checkpoint": str(checkpoint.path),
        "torch": torch.__version__,
        "config": json.loads(checkpoint.config.to_json()),
    }
    try:
        if fmt == "onnx":
            sidecar["opset"] = ONNX_OPSET
            durable_write_bytes(out, _onnx_bytes(generator, z))
        elif fmt == "torchscript":
            durable_write_bytes(out, _torchscript_bytes(generator, z))
        else:
            save_generator_file(out, checkpoint.step, checkpoint.config, generator.state_dict())
        sidecar_path = sidecar_of(out)
        durable_write_text(sidecar_path, json.dumps(sidecar, indent=2) + "\n")
    except OSError as exc:
        raise StudioError(
            f"cannot write {exc.filename or out} ({exc.strerror or exc}): free space or choose "
            "another folder"
        ) from exc
    return sidecar_path


def _onnx_bytes(generator: torch.nn.Module, z: torch.Tensor) -> bytes:
    batch = torch.export.Dim("batch", min=1, max=65536)
    buffer = io.BytesIO()
    with _quietly():
        program = torch.onnx.export(
            generator,
            (z,),
            input_names=["z"],
            output_names=["images"],
            dynamic_shapes=({0: batch},),
            opset_version=ONNX_OPSET,
            dynamo=True,
            verbose=False,
        )
        program.save(buffer)
    return buffer.getvalue()


def _torchscript_bytes(generator: torch.nn.Module, z: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    with _quietly(), torch.no_grad():
        traced = torch.jit.trace(generator, z)  # deprecated since torch 2.14, still read widely
        torch.jit.save(traced, buffer)
    return buffer.getvalue()


@contextlib.contextmanager
def _quietly():
    """torch's exporters print progress and warn of their own deprecations: not the person's
    concern (the sidecar records torch's version). Silenced only in the main thread: warning
    filters and stdout are the whole process's, and the window exports on a worker thread
    while training warns on another."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
