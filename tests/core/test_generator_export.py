"""G exported as ONNX, TorchScript and safetensors, read back by their own runtimes (onnxruntime,
torch.jit.load, the studio's own reader) and checked against the studio's G."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from dcgan_studio import cli
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.generator_export import export_generator
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.sampling import load_generator
from tests.conftest import tiny_config

ATOL = 1e-4


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    config = tiny_config(**{"optim.ema_decay": 0.5})
    root = tmp_path_factory.mktemp("export") / "run"
    list(Trainer(config, RunDirectory.create(root, config)).run())
    return root


def _reference(run, ema: bool, batch: int) -> tuple[np.ndarray, np.ndarray]:
    checkpoint = open_checkpoint(run)
    z = torch.randn(
        batch, checkpoint.config.model.nz, 1, 1, generator=torch.Generator().manual_seed(batch)
    )
    with torch.no_grad():
        images = load_generator(checkpoint, torch.device("cpu"), ema=ema)(z)
    return z.numpy(), images.numpy()


@pytest.mark.parametrize("ema", [False, True])
def test_onnx_runs_in_onnxruntime_as_g_does(run, tmp_path, ema):
    import onnxruntime

    out = tmp_path / "G.onnx"
    sidecar = json.loads(export_generator(open_checkpoint(run), "onnx", out, ema=ema).read_text())
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (z_input,) = session.get_inputs()
    assert z_input.name == "z" and z_input.shape[1:] == [16, 1, 1]
    assert isinstance(z_input.shape[0], str)  # the batch is free
    for batch in (1, 7):
        z, expected = _reference(run, ema, batch)
        (images,) = session.run(["images"], {"z": z})
        assert images.shape == (batch, 1, 16, 16)
        assert np.abs(images - expected).max() < ATOL
        assert images.min() >= -1 and images.max() <= 1
    assert sidecar["opset"] == 18 and sidecar["step"] == 6
    assert sidecar["input"]["shape"] == ["batch", 16, 1, 1]
    assert sidecar["output"]["shape"] == ["batch", 1, 16, 16] and sidecar["output"]["range"] == [
        -1,
        1,
    ]
    assert sidecar["generator"] == ("G (EMA)" if ema else "G")
    assert sidecar["config"]["model"]["nz"] == 16


def test_torchscript_loads_with_torch_jit_and_draws_as_g_does(run, tmp_path):
    out = tmp_path / "G.pt"
    export_generator(open_checkpoint(run), "torchscript", out)
    loaded = torch.jit.load(str(out))
    for batch in (1, 7):
        z, expected = _reference(run, False, batch)
        with torch.no_grad():
            images = loaded(torch.from_numpy(z)).numpy()
        assert np.abs(images - expected).max() < ATOL


def test_ema_and_g_differ_so_the_flag_is_not_ignored(run, tmp_path):
    z, g = _reference(run, False, 7)
    _, ema = _reference(run, True, 7)
    assert np.abs(g - ema).max() > 1e-3


def test_safetensors_samples_with_the_studio(run, tmp_path):
    out = tmp_path / "G.safetensors"
    export_generator(open_checkpoint(run), "safetensors", out)
    again = open_checkpoint(out)
    assert again.step == 6
    z, expected = _reference(run, False, 7)
    with torch.no_grad():
        images = load_generator(again, torch.device("cpu"))(torch.from_numpy(z)).numpy()
    assert np.array_equal(images, expected)


def test_the_command_line_names_the_extra_when_onnx_is_missing(run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript now fails
    code = cli.main(["export", str(run), "--out", str(tmp_path / "G.onnx")])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs onnxscript, which is not installed: pip install 'dcgan-studio[export]'" in err
    assert not (tmp_path / "G.onnx").exists()


def test_each_format_keeps_its_own_sidecar_and_a_wrong_suffix_is_refused(run, tmp_path, capsys):
    from dcgan_studio.arguments import EXPORT_FORMATS
    from dcgan_studio.core.generator_export import FORMATS

    assert EXPORT_FORMATS == FORMATS
    checkpoint = open_checkpoint(run)
    export_generator(checkpoint, "onnx", tmp_path / "G.onnx")
    export_generator(checkpoint, "torchscript", tmp_path / "G.pt")
    assert json.loads((tmp_path / "G.onnx.json").read_text())["format"] == "onnx"
    assert json.loads((tmp_path / "G.pt.json").read_text())["format"] == "torchscript"
    code = cli.main(
        ["export", str(run), "--format", "torchscript", "--out", str(tmp_path / "x.onnx")]
    )
    assert code == 2 and "end the file in .pt" in capsys.readouterr().err
    assert (
        cli.main(["export", str(run), "--format", "onnx", "--out", str(tmp_path / "x.json")]) == 2
    )
    assert "the sidecar's" in capsys.readouterr().err


def test_the_command_line_exports_a_step_and_refuses_what_it_cannot(run, tmp_path, capsys):
    assert cli.main(["export", str(run), "--step", "3", "--out", str(tmp_path / "g.pt")]) == 0
    assert json.loads((tmp_path / "g.pt.json").read_text())["step"] == 3
    assert cli.main(["export", str(run), "--out", str(tmp_path / "g.bin")]) == 2
    assert "say the format with --format" in capsys.readouterr().err
    assert cli.main(["export", str(run), "--step", "4", "--out", str(tmp_path / "g.pt")]) == 2
    assert "no checkpoint of iteration 4" in capsys.readouterr().err
