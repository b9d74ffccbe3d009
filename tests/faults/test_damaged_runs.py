"""Fault injection on a real run: every file of a tiny run, damaged every way, then
``train --resume`` and ``sample --checkpoint`` on it.

Each command either works, or exits 2 with exactly one stderr line ``dcgan-studio: error: ...``
(no traceback, no warning) and leaves every file of the run as it was. To cover a new file of a
run, add it to ``damages.RUN_FILES`` (``test_the_table_covers_every_file_of_a_run`` fails until
then); to try a new damage, add a function to ``damages.DAMAGES`` (any file) or
``damages.JSON_DAMAGES`` (by file).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from dcgan_studio import cli
from dcgan_studio.config import MAX_PARAMETERS, RunConfig
from dcgan_studio.core import launch, sampling
from dcgan_studio.core.alerts import D_WINS, Alert
from dcgan_studio.core.runs import RunDirectory
from tests.faults.damages import (
    CASES,
    CHECKPOINT,
    DAMAGES,
    DEEP,
    HUGE,
    JSON_DAMAGES,
    RUN_FILES,
    SAME_KIND,
    STEP,
    damaged,
    raw_pickle,
)
from tests.test_cli import TINY


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A real run of 2 iterations, made once: tests damage copies of it."""
    root = tmp_path_factory.mktemp("pristine") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DCGAN_STUDIO_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
        assert (
            cli.main(
                [
                    "train",
                    *TINY,
                    "--iterations",
                    str(STEP),
                    "--checkpoint-every",
                    str(STEP),
                    "--run-dir",
                    str(root),
                    "--no-progress",
                ]
            )
            == 0
        )
    # an alert as the engine records one: its line protects the checkpoint from pruning
    RunDirectory(root).record_alert(
        Alert(D_WINS, STEP, "D is winning too easily", "...", "Try: ...", "warning"), STEP
    )
    return root


def _files(run: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


def _run_cli(argv: list[str], capsys) -> tuple[int, str, list]:
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:  # a warning is more lines on stderr
        warnings.simplefilter("always")
        code = cli.main(argv)
    return code, capsys.readouterr().err, caught


def _works_or_one_line(code: int, err: str, caught: list, before: dict, run: Path) -> None:
    if code == 0:
        assert "Traceback" not in err and not caught, err
        return
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("dcgan-studio: error: "), err
    assert "Traceback" not in err and not caught, (err, [str(w.message) for w in caught])
    assert _files(run) == before, "the failed attempt deleted or changed a file of the run"


def test_the_table_covers_every_file_of_a_run(pristine):
    assert sorted(_files(pristine)) == sorted(RUN_FILES + SAME_KIND)


def _damaged_copy(pristine: Path, tmp_path: Path, name: str, damage: str) -> Path:
    """A copy of the pristine run with its file ``name`` damaged by ``damage``."""
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    (run / name).write_bytes(damaged((run / name).read_bytes(), name, damage))
    return run


@pytest.mark.parametrize("name, damage", CASES)
def test_resume_from_a_damaged_run_works_or_is_one_line(pristine, tmp_path, capsys, name, damage):
    run = _damaged_copy(pristine, tmp_path, name, damage)
    before = _files(run)
    code, err, caught = _run_cli(
        ["train", "--resume", str(run), "--iterations", str(STEP + 1), "--no-progress"], capsys
    )
    _works_or_one_line(code, err, caught, before, run)
    if code == 0:  # it worked: the run went on by one whole, readable step
        from dcgan_studio.core.runs import open_checkpoint

        assert open_checkpoint(run).step == STEP + 1
        assert [r["step"] for r in RunDirectory(run).read_metrics()][-1] == STEP + 1


@pytest.mark.parametrize("name, damage", CASES)
def test_sample_from_a_damaged_run_works_or_is_one_line(pristine, tmp_path, capsys, name, damage):
    run = _damaged_copy(pristine, tmp_path, name, damage)
    before = _files(run)
    out = tmp_path / "grid.png"
    ema = ["--ema"] if name.endswith("generator_ema.safetensors") else []  # the file it reads
    code, err, caught = _run_cli(
        ["sample", "--checkpoint", str(run), "--n", "2", "--out", str(out), *ema], capsys
    )
    _works_or_one_line(code, err, caught, before, run)
    assert out.is_file() == (code == 0)


# ---- A: a forged header builds no network ---------------------------------------------------
def _no_building(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a network (or a trainer) was built for a forged checkpoint")

    monkeypatch.setattr(sampling, "Generator", refuse)
    monkeypatch.setattr(launch, "Trainer", refuse)


@pytest.mark.parametrize("damage", ["forged config", "forged shape"])
def test_a_forged_generator_header_is_refused_before_any_network_is_built(
    pristine, tmp_path, capsys, monkeypatch, damage
):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    g = run / CHECKPOINT / "generator.safetensors"
    g.write_bytes(JSON_DAMAGES[f"{CHECKPOINT}/generator.safetensors"][damage](g.read_bytes()))
    _no_building(monkeypatch)
    for argv in (
        ["sample", "--checkpoint", str(run), "--out", str(tmp_path / "s.png")],
        ["train", "--resume", str(run), "--iterations", "3"],
    ):
        code, err, _ = _run_cli(argv, capsys)
        assert code == 2 and err.count("\n") == 1, err
        assert str(g) in err
        if damage == "forged config":
            assert f"{MAX_PARAMETERS:,}" in err and "ngf = 1024" in err
        else:
            assert "(64000, 64000, 4, 4)" in err


def test_networks_beyond_the_limit_are_refused_by_the_config_and_the_cli(tmp_path, capsys):
    big = {"model.image_size": 128, "model.ngf": 1024, "model.ndf": 1024}
    with pytest.raises(ValueError, match=f"{MAX_PARAMETERS:,}"):
        RunConfig().with_values(big).validate()
    RunConfig().with_values({**big, "model.ngf": 128, "model.ndf": 128}).validate()  # 93 M
    code, err, _ = _run_cli(
        ["train", "--image-size", "128", "--ngf", "1024", "--run-dir", str(tmp_path / "run")],
        capsys,
    )
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("dcgan-studio: error: --ngf 1024 is not allowed: use narrower networks")
    assert not (tmp_path / "run").exists()


# ---- C: one line, in a real process --------------------------------------------------------
def test_a_raw_pickle_is_refused_in_one_line_without_torch_warnings(pristine, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    (run / CHECKPOINT / "training_state.pt").write_bytes(raw_pickle(b""))
    env = {**os.environ, "DCGAN_STUDIO_LOG_DIR": str(tmp_path / "logs")}
    result = subprocess.run(
        [sys.executable, "-m", "dcgan_studio", "train", "--resume", str(run), "--iterations", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # torch's protocol warning: 2 lines more
    assert result.stderr.startswith("dcgan-studio: error: refused to load ")


def test_wrong_types_in_config_json_are_named_with_the_fix(pristine, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    config = run / "config.json"
    for damage, expected in [
        ("image_size 16.0", "model.image_size = 16.0"),
        ("data_root 5", "data.data_root = 5"),
        ("5000 digits", "Exceeds the limit (4300 digits)"),
        ("deep nesting", "nested too deeply"),
    ]:
        shutil.copy(pristine / "config.json", config)
        config.write_bytes(JSON_DAMAGES["config.json"][damage](config.read_bytes()))
        code, err, _ = _run_cli(["train", "--resume", str(run), "--iterations", "3"], capsys)
        assert code == 2 and err.count("\n") == 1, err
        assert f"{config} is not a valid run config" in err and expected in err, err
        assert "correct it, or start a new run" in err


def test_a_wrong_shape_fixed_noise_is_refused_before_training(pristine, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    state = run / CHECKPOINT / "training_state.pt"
    damage = JSON_DAMAGES[f"{CHECKPOINT}/training_state.pt"]["fixed_noise of a wrong shape"]
    state.write_bytes(damage(state.read_bytes()))
    code, err, _ = _run_cli(["train", "--resume", str(run), "--iterations", "3"], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert "fixed_noise is (3, 5, 1, 1), the run needs float32 (4, 16, 1, 1)" in err


def test_a_damaged_newest_checkpoint_says_how_to_resume_from_the_one_before(
    pristine, tmp_path, capsys
):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    shutil.copytree(run / CHECKPOINT, run / "checkpoints" / "step-0000001")  # an older one
    g = run / CHECKPOINT / "generator.safetensors"
    g.write_bytes(g.read_bytes()[:100])
    code, err, _ = _run_cli(["train", "--resume", str(run), "--iterations", "3"], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert err.rstrip().endswith(
        f"to resume from the checkpoint before it (iteration 1), move "
        f"{run / CHECKPOINT} out of {run / 'checkpoints'}"
    )
    shutil.move(run / CHECKPOINT, tmp_path / "damaged")  # as the message says
    code, err, _ = _run_cli(
        ["train", "--resume", str(run), "--iterations", "3", "--no-progress"], capsys
    )
    assert code == 0, err


def test_a_damaged_metrics_line_is_left_out_and_the_lines_after_it_kept(pristine, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    first, second = (run / "metrics.jsonl").read_bytes().splitlines()
    (run / "metrics.jsonl").write_bytes(
        b"\n".join(
            [
                first,
                b"\xff\xfe not utf-8",
                b'{"step": 1.5}',
                b'{"step": ' + HUGE.encode() + b"}",
                DEEP.encode(),
                b'["a list"]',
                b'{"step": 2, "loss_d": "low"}',
                second,
                b'{"step": 3,',
            ]
        )
        + b"\n"
    )
    assert [r["step"] for r in RunDirectory(run).read_metrics()] == [1, 2]


@pytest.mark.parametrize("damage", ["truncated", "random", "bomb"])
def test_the_window_names_a_damaged_saved_grid_instead_of_failing(qtbot, tmp_path, damage):
    from dcgan_studio.core.runs import RunDirectory
    from dcgan_studio.gui.training.jobs import RunReader
    from dcgan_studio.gui.training.sample_panel import SamplePanel

    samples = tmp_path / "run" / "samples"
    samples.mkdir(parents=True)
    grid = samples / f"step-{STEP:07d}.png"
    if damage == "bomb":  # a header of 3.6 gigapixels: Pillow's DecompressionBombError
        from tests.faults.test_hostile_folders import bomb_png

        grid.write_bytes(bomb_png(60_000, 60_000))
    else:
        from PIL import Image

        Image.new("RGB", (40, 40), (200, 10, 10)).save(grid)
        grid.write_bytes(DAMAGES[damage](grid.read_bytes()))
    reader = RunReader()
    panel = SamplePanel(reader.read_grid)
    qtbot.addWidget(panel)
    said = f"iteration {STEP}: step-{STEP:07d}.png is damaged and cannot be shown"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow's bomb warning must not reach the person either
            panel.set_run(RunDirectory(tmp_path / "run"), [STEP])
            qtbot.waitUntil(lambda: panel.step_label.text() == said, timeout=10_000)
    finally:
        reader.shutdown()
    assert panel.step_label.text() == said


@pytest.mark.parametrize(
    "name", ["generator.safetensors", "generator_ema.safetensors", "training_state.pt"]
)
def test_a_file_grown_to_64_gb_is_refused_before_it_is_read(pristine, tmp_path, capsys, name):
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    os.truncate(run / CHECKPOINT / name, 64 * 2**30)  # sparse: no disk used, 64 GB to read
    before = _files_by_size(run)
    ema = ["--ema"] if name == "generator_ema.safetensors" else []
    for argv in (
        ["sample", "--checkpoint", str(run), "--n", "2", "--out", str(tmp_path / "g.png"), *ema],
        ["train", "--resume", str(run), "--iterations", str(STEP + 1), "--no-progress"],
    ):
        code, err, caught = _run_cli(argv, capsys)
        if name == "training_state.pt" and argv[0] == "sample":
            assert code == 0, err  # sampling needs G alone
            continue
        assert code == 2 and "68,719,476,736 bytes where" in err, err
        assert len(err.strip().splitlines()) == 1 and not caught
    assert _files_by_size(run) == before


def _files_by_size(run: Path) -> dict[str, int]:
    return {str(p.relative_to(run)): p.stat().st_size for p in run.rglob("*") if p.is_file()}
