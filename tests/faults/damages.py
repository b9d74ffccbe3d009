"""Damages to the files of a tiny run, bytes -> bytes: every file damaged every way in
``DAMAGES``, and each file the ways of ``JSON_DAMAGES`` (wrong JSON types, hostile JSON, forged
headers). test_damaged_runs.py runs the commands on each; to try a new damage, add it here.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import random

import torch

STEP = 2  # the tiny run's one checkpoint
CHECKPOINT = f"checkpoints/step-{STEP:07d}"
RUN_FILES = (
    ".lock",
    "config.json",
    "metrics.jsonl",
    "alerts.jsonl",
    f"{CHECKPOINT}/generator.safetensors",
    f"{CHECKPOINT}/generator_ema.safetensors",
    f"{CHECKPOINT}/discriminator.safetensors",
    f"{CHECKPOINT}/training_state.pt",
    f"samples/step-{STEP:07d}.png",
    "writer.json",
)
SAME_KIND = ("samples/step-0000000.png",)  # a file of a kind above: not damaged again


def _header(data: bytes) -> tuple[dict, bytes]:
    """A safetensors file's JSON header and the tensor bytes after it."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def _with_header(text: str, body: bytes) -> bytes:
    raw = text.encode()
    raw += b" " * (-len(raw) % 8)  # safetensors aligns the tensors to 8 bytes
    return len(raw).to_bytes(8, "little") + raw + body


def _forged_config(data: bytes) -> bytes:
    """The metadata's config says 128 px at widths 1024: an 11.5 GB generator."""
    header, body = _header(data)
    config = json.loads(header["__metadata__"]["config"])
    config["model"].update(image_size=128, ngf=1024, ndf=1024)
    header["__metadata__"]["config"] = json.dumps(config)
    return _with_header(json.dumps(header), body)


def _forged_shape(data: bytes) -> bytes:
    header, body = _header(data)
    name = sorted(k for k in header if k.endswith(".weight") and "conv" in k)[0]
    header[name]["shape"] = [64000, 64000, 4, 4]
    return _with_header(json.dumps(header), body)


def _header_text(replace: str):
    def damage(data: bytes) -> bytes:
        header, body = _header(data)
        header["__metadata__"]["step"] = "STEP"
        return _with_header(json.dumps(header).replace('"STEP"', replace), body)

    return damage


def raw_pickle(data: bytes) -> bytes:
    return pickle.dumps({"step": STEP, "run": os.system})  # a global: refused, never called


def _state_with(**changes):
    def damage(data: bytes) -> bytes:
        state = torch.load(io.BytesIO(data), weights_only=True)
        state.update(changes)
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    return damage


DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "1" * 5000
DAMAGES = {  # any file
    "truncated": lambda data: data[: len(data) // 2],
    "emptied": lambda data: b"",
    "random": lambda data: random.Random(len(data)).randbytes(max(64, len(data))),
    "non-utf8": lambda data: data[:100] + b"\xff\xfe\xfd" + data[103:],
}
JSON_DAMAGES = {  # by file: wrong JSON types, hostile JSON, forged headers
    "config.json": {
        "image_size 16.0": lambda d: d.replace(b'"image_size": 16', b'"image_size": 16.0'),
        "ngf a string": lambda d: d.replace(b'"ngf": 8', b'"ngf": "8"'),
        "seed true": lambda d: d.replace(b'"seed": 1', b'"seed": true'),
        "data_root 5": lambda d: d.replace(b'"data_root": null', b'"data_root": 5'),
        "a section a list": lambda d: json.dumps({**json.loads(d), "optim": []}).encode(),
        "5000 digits": lambda d: d.replace(b'"seed": 1', b'"seed": ' + HUGE.encode()),
        "deep nesting": lambda d: d.replace(b'"data_root": null', b'"data_root": ' + DEEP.encode()),
        "a list": lambda d: b"[" + d + b"]",
    },
    "alerts.jsonl": {
        "checkpoint a string": lambda d: d.replace(
            b'"checkpoint_before":2', b'"checkpoint_before":"2"'
        ),
        "no kind": lambda d: d.replace(b'"kind":', b'"sort":'),
        "a line a list": lambda d: b"[1, 2]\n" + d,
        "deep nesting": lambda d: DEEP.encode() + b"\n" + d,
    },
    "metrics.jsonl": {
        "step 1.0": lambda d: d.replace(b'{"step":1,', b'{"step":1.0,', 1),
        "loss a string": lambda d: d.replace(b'"loss_d":', b'"loss_d":"low","x":', 1),
        "a line a list": lambda d: b"[1, 2]\n" + d,
        "5000 digits": lambda d: b'{"step": ' + HUGE.encode() + b"}\n" + d,
        "deep nesting": lambda d: DEEP.encode() + b"\n" + d,
    },
    "writer.json": {  # read by a window that follows the run, and by torchrun's rank 0
        "step a string": lambda d: d.replace(b'"step": ', b'"step": "x', 1).replace(
            b', "updated"', b'", "updated"', 1
        ),
        "processes a list": lambda d: d.replace(b'"processes": ', b'"processes": [', 1).replace(
            b', "started"', b'], "started"', 1
        ),
        "a list": lambda d: b"[" + d + b"]",
        "deep nesting": lambda d: d.replace(b'"pid": ', b'"pid": ' + DEEP.encode() + b', "p": '),
        "5000 digits": lambda d: d.replace(b'"pid": ', b'"pid": ' + HUGE.encode() + b', "p": '),
    },
    f"{CHECKPOINT}/generator.safetensors": {
        "forged config": _forged_config,
        "forged shape": _forged_shape,
        "header 5000 digits": _header_text(HUGE),
        "header deep nesting": _header_text(DEEP),
        "header step a list": _header_text("[2]"),
    },
    f"{CHECKPOINT}/discriminator.safetensors": {
        "forged shape": _forged_shape,
        "header deep nesting": _header_text(DEEP),
    },
    f"{CHECKPOINT}/training_state.pt": {
        "raw pickle": raw_pickle,
        "fixed_noise of a wrong shape": _state_with(fixed_noise=torch.zeros(3, 5, 1, 1)),
        "step a string": _state_with(step="2"),
        "no optimizer": _state_with(optimizer_g=None),
        "a batch order out of range": _state_with(
            sampler={
                "generator": torch.Generator().get_state(),
                "order": torch.arange(10_000) + 5,
                "epoch_cursor": torch.tensor([0, 8]),
            }
        ),
    },
}
CASES = [(name, damage) for name in RUN_FILES for damage in DAMAGES] + [
    (name, damage) for name, table in JSON_DAMAGES.items() for damage in table
]


def damaged(data: bytes, name: str, damage: str) -> bytes:
    """``data``, the bytes of the run's file ``name``, with ``damage`` done to them."""
    fn = DAMAGES.get(damage) or JSON_DAMAGES[name][damage]
    out = fn(data)
    assert out != data, f"{damage} left {name} as it was: the damage needs fixing"
    return out
