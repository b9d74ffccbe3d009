"""Bad values and files given on the command line, beside runs and image folders: flags that
reached a traceback, IDX files (MNIST's format) with lying headers, latent sidecars damaged or
hostile. Each is one line, ``dcgan-studio: error: ...``, naming the value or file, exit 2."""

from __future__ import annotations

import gzip
import json
import struct
import warnings
from pathlib import Path

import pytest

from dcgan_studio import cli
from dcgan_studio.core.data.torchvision_sets import read_idx
from dcgan_studio.core.recipes import FORMAT
from dcgan_studio.errors import DatasetError


def one_line(argv: list[str], capsys) -> str:
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = cli.main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("dcgan-studio: error: "), err
    assert not caught, [str(w.message) for w in caught]
    return lines[0]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["sample", "--seed", "99999999999999999999999"],
            "--seed 99999999999999999999999 is not allowed: use a whole number from 0 to "
            "9223372036854775807",
        ),
        (["sample", "--device", "bogus"], "--device bogus: not a device name; use auto, cpu, cuda"),
        (["sample", "--device", "cuda:x"], "--device cuda:x: not a device name"),
        (["sample", "--device", "cuda:²"], "--device cuda:²: not a device name"),
        (
            ["train", "--device", "bogus"],
            "--device bogus is not allowed: use one of auto, cpu, cuda",
        ),
        (["train", "--device", "cuda:²"], "--device cuda:² is not allowed"),
        (
            ["train", "--max-seconds", "inf"],
            "--max-seconds inf is not allowed: use a finite number",
        ),
        (
            ["train", "--max-seconds", "nan"],
            "--max-seconds nan is not allowed: use a finite number",
        ),
        (["train", "--max-seconds", "-1"], "--max-seconds -1.0 is not allowed"),
    ],
)
def test_bad_flags_are_one_line(tmp_path, capsys, argv, expected):
    if argv[0] == "sample":  # refused before the checkpoint is looked at
        argv = [*argv, "--checkpoint", str(tmp_path / "run"), "--out", str(tmp_path / "s.png")]
    else:
        argv = [*argv, "--run-dir", str(tmp_path / "run")]
    assert expected in one_line(argv, capsys)
    assert not (tmp_path / "run").exists() and not (tmp_path / "s.png").exists()


# ---- IDX files --------------------------------------------------------------------------------
def idx(path: Path, dims: tuple[int, ...], body: bytes) -> Path:
    data = bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + body
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "dims, body, expected",
    [
        # 2^32-1 cubed overflows int64: np.prod gave a negative count, a crash in frombuffer
        (
            (2**32 - 1,) * 3,
            bytes(10),
            r"promises 4294967295x4294967295x4294967295 bytes, not "
            r"between 1 and 4,294,967,296",
        ),
        ((2**21, 2**21, 2**22), bytes(10), r"not between 1 and"),  # wraps to exactly 0 in int64
        ((2, 28, 28), bytes(2 * 28 * 28 + 5), r"promises 2x28x28 bytes but more follow"),
        (
            (2, 28, 28),
            bytes(100),
            r"is truncated: its header promises 2x28x28 bytes but 100 follow",
        ),
        ((2, 3000, 3000), bytes(10), r"promises 2x3000x3000 bytes, not N x 28 x 28"),
    ],
)
def test_idx_headers_that_lie_are_refused_before_reading(tmp_path, suffix, dims, body, expected):
    path = idx(tmp_path / f"train-images-idx3-ubyte{suffix}", dims, body)
    with pytest.raises(DatasetError, match=expected):
        read_idx(path, 3, inner=(28, 28))


def test_an_idx_of_the_promised_size_still_loads(tmp_path):
    path = idx(tmp_path / "x.gz", (2, 28, 28), bytes(range(256)) * 6 + bytes(2 * 784 - 1536))
    assert read_idx(path, 3, inner=(28, 28)).shape == (2, 28, 28)


def test_a_lying_mnist_header_is_one_line_from_the_cli(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    idx(raw / "train-images-idx3-ubyte", (2**32 - 1,) * 3, bytes(10))
    line = one_line(
        [
            "train",
            "--dataset",
            "mnist",
            "--data-root",
            str(tmp_path),
            "--run-dir",
            str(tmp_path / "run"),
        ],
        capsys,
    )
    assert "train-images-idx3-ubyte is damaged: its header promises" in line
    assert "download it again from https://" in line


# ---- latent sidecars ---------------------------------------------------------------------------
GOOD = {
    "format": FORMAT,
    "kind": "image",
    "weights": "nowhere",
    "step": 1,
    "z": [[0.0] * 4],
    "scale": 1,
    "columns": None,
    "frame_ms": 80,
    "recipe": {},
    "config": None,
}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '{"format": "' + FORMAT + '", "step": ' + "1" * 5000 + "}",
            "Exceeds the limit (4300 digits)",
        ),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (b'{"format": "\xff\xfe"}', "not UTF-8 text"),
        (
            json.dumps({**GOOD, "kind": ["image"]}),
            "its 'kind' is \"['image']\", not a kind of output",
        ),
        (json.dumps({**GOOD, "weights": 5}), "its 'weights' is '5', not the path of the weights"),
        (json.dumps({**GOOD, "z": [[1, "a"]]}), "its 'z' is"),
        (json.dumps({**GOOD, "z": "zzz"}), "not a list of vectors of numbers"),
        (json.dumps({**GOOD, "scale": 2.5}), "its 'scale' is '2.5', not a whole number"),
        (json.dumps({**GOOD, "frame_ms": -1}), "its 'frame_ms' is '-1'"),
        (json.dumps({**GOOD, "config": [1]}), "its 'config' is '[1]', not an object"),
        (json.dumps({**GOOD, "step": True}), "its 'step' is 'True', not a whole number"),
    ],
)
def test_a_damaged_sidecar_is_one_line_naming_the_file(tmp_path, capsys, text, expected):
    sidecar = tmp_path / "image.json"
    sidecar.write_bytes(text if isinstance(text, bytes) else text.encode())
    line = one_line(
        ["sample", "--from-sidecar", str(sidecar), "--out", str(tmp_path / "x.png")], capsys
    )
    assert str(sidecar) in line and expected in line, line
