"""The command line end to end, as a person runs it: real processes, real files."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dcgan_studio.config import RunConfig
from dcgan_studio.core.runs import RunDirectory, open_checkpoint

# a run that takes seconds: 16 px, narrow networks, fp32 on the CPU
TINY = [
    *"--image-size 16 --ngf 8 --ndf 8 --nz 16 --batch-size 8 --device cpu".split(),
    *"--precision fp32 --sample-count 4 --log-every 1".split(),
]


def cli(*args, timeout=120, **run):
    """``python -m dcgan_studio ARGS``, run to its end (``run``: more for subprocess.run)."""
    return subprocess.run(
        _command(args), capture_output=True, text=True, timeout=timeout, env=_ENV, **run
    )


def start_cli(*args, **popen) -> subprocess.Popen:
    """``python -m dcgan_studio ARGS``, started and left running."""
    return subprocess.Popen(_command(args), env=_ENV, **popen)


def _command(args) -> list[str]:
    return [sys.executable, "-m", "dcgan_studio", *map(str, args)]


_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("dcgan-studio"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_the_command_line_says_the_window_s_alerts_once_each_and_keeps_their_checkpoint(tmp_path):
    # 4 tiles of a tiny G soon look alike: the engine's collapse alert, as the window shows it
    run = tmp_path / "run"
    result = cli(
        "train",
        *TINY,
        "--iterations",
        "30",
        "--sample-every",
        "3",
        "--checkpoint-every",
        "3",
        "--keep-checkpoints",
        "1",
        "--run-dir",
        run,
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if ": warning at step" in line]
    assert len(said) == 1 and "Samples all look alike (mode collapse)" in said[0]
    assert "Try: " in said[0] and "from before it, is kept" in said[0]
    assert "1 warning while training: Samples all look alike" in result.stderr
    record = RunDirectory(run).read_alerts()[0]
    assert record["kind"] == "mode_collapse" and f"step {record['step']}:" in said[0]
    assert RunDirectory(run).checkpoint_steps() == [record["checkpoint_before"], 30]


def test_a_saturated_run_fails_with_exit_1_and_says_why(tmp_path):
    result = cli(
        "train",
        *TINY,
        "--iterations",
        "40",
        "--lr-g",
        "1",
        "--lr-d",
        "1",
        "--checkpoint-every",
        "5",
        "--run-dir",
        tmp_path / "run",
        "--no-progress",
    )
    assert result.returncode == 1, result.stderr
    assert "dcgan-studio: error: training diverged by iteration" in result.stderr
    assert "the losses stayed above 100" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("dataset", ["folder:", "folder:   "])
def test_a_folder_dataset_needs_a_path_not_the_current_folder(tmp_path, dataset):
    for i in range(20):  # images right here: an empty path used to train on them
        Image.new("L", (16, 16), i * 10).save(tmp_path / f"{i}.png")
    result = cli(
        "train", "--dataset", dataset, *TINY, "--iterations", "2", "--run-dir", "run", cwd=tmp_path
    )
    line = one_error_line(result)
    assert "folder: needs the path of a folder of images after it" in line
    assert not (tmp_path / "run").exists()


def test_train_resume_and_sample_end_to_end(tmp_path):
    run = tmp_path / "run"
    first = cli(
        "train",
        *TINY,
        "--iterations",
        "4",
        "--checkpoint-every",
        "2",
        "--run-dir",
        run,
        "--no-progress",
    )
    assert first.returncode == 0, first.stderr
    assert "step 4/4" in first.stderr and f"checkpoint saved to {run}" in first.stderr
    assert RunDirectory(run).checkpoint_steps() == [2, 4]

    again = cli("train", "--resume", run, "--iterations", "7", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "step 5/7" in again.stderr and "step 4/7" not in again.stderr
    assert open_checkpoint(run).step == 7
    assert [r["step"] for r in RunDirectory(run).read_metrics()] == list(range(1, 8))

    grid = cli("sample", "--checkpoint", run, "--n", "10", "--out", tmp_path / "grid.png")
    assert grid.returncode == 0, grid.stderr
    assert Image.open(tmp_path / "grid.png").size == (4 * 18 + 2, 3 * 18 + 2)

    npz = cli(
        "sample", "--checkpoint", run, "--n", "12", "--seed", "5", "--out", tmp_path / "s.npz"
    )
    assert npz.returncode == 0 and "shape (12, 16, 16)" in npz.stderr
    images = np.load(tmp_path / "s.npz")["images"]
    assert images.shape == (12, 16, 16) and images.dtype == np.uint8 and images.std() > 0

    same = cli(
        "sample",
        "--checkpoint",
        run / "checkpoints" / "step-0000007",
        "--n",
        "12",
        "--seed",
        "5",
        "--out",
        tmp_path / "again.npz",
    )
    assert same.returncode == 0
    assert np.array_equal(np.load(tmp_path / "again.npz")["images"], images)

    folder = cli("sample", "--checkpoint", run, "--n", "3", "--out", tmp_path / "pngs")
    assert folder.returncode == 0
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == [
        "sample-00000.png",
        "sample-00001.png",
        "sample-00002.png",
    ]


def test_rgb_sample_npz_has_a_colour_axis(tmp_path):
    assert (
        cli(
            "train",
            *TINY,
            "--channels",
            "3",
            "--iterations",
            "1",
            "--run-dir",
            tmp_path / "rgb",
            "--no-progress",
        ).returncode
        == 0
    )
    assert (
        cli(
            "sample", "--checkpoint", tmp_path / "rgb", "--n", "2", "--out", tmp_path / "c.npz"
        ).returncode
        == 0
    )
    assert np.load(tmp_path / "c.npz")["images"].shape == (2, 16, 16, 3)


def test_ctrl_c_saves_a_checkpoint_and_exits_0(tmp_path):
    run = tmp_path / "run"
    proc = start_cli(
        "train",
        *TINY,
        "--iterations",
        "100000",
        "--run-dir",
        run,
        "--no-progress",
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("step 3/"):
            proc.send_signal(signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=60)
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "stopping after this step" in output
    assert "stopped on request; checkpoint saved to" in output
    checkpoint = open_checkpoint(run)
    assert checkpoint.step >= 3 and str(checkpoint.path) in output


@pytest.mark.parametrize(
    "command, expected",
    [
        ("train --batch-size 0", "--batch-size 0 is not allowed: use a whole number"),
        ("train --image-size 30", "--image-size 30 is not allowed: use one of 16, 28"),
        ("train --lr-g abc", "argument --lr-g: invalid float value: 'abc'"),
        ("train --precision fp8", "argument --precision: invalid choice: 'fp8'"),
        ("train --dataset nope", "unknown dataset 'nope': use one of digits"),
        ("train --batch-size 20000", "--batch-size 20000 is not allowed: use at most 10000"),
        ("train --device cuda:7", "--device cuda:7"),
        ("train --resume /no/such/run", "/no/such/run is not a DCGAN Studio run"),
        ("sample --checkpoint /no/such --out x.png", "/no/such does not exist"),
        ("sample --n 0 --checkpoint . --out x.png", "--n 0 is not allowed"),
        ("frobnicate", "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(command, expected):
    assert expected in one_error_line(cli(*command.split()))


def test_bad_files_are_one_clear_line_and_exit_2(tmp_path):
    run = tmp_path / "run"
    assert (
        cli("train", *TINY, "--iterations", "2", "--run-dir", run, "--no-progress").returncode == 0
    )
    line = one_error_line(cli("train", *TINY, "--iterations", "2", "--run-dir", run))
    assert "already holds a run: continue it with --resume" in line
    line = one_error_line(cli("train", "--resume", run, "--image-size", "32"))
    assert "--image-size cannot change when resuming" in line
    line = one_error_line(cli("train", "--resume", run, "--iterations", "2"))
    assert "already at iteration 2 of 2: resume with a larger --iterations" in line
    line = one_error_line(cli("sample", "--checkpoint", run, "--out", tmp_path / "x.jpg"))
    assert "unknown kind: use .png" in line
    generator = run / "checkpoints" / "step-0000002" / "generator.safetensors"
    generator.write_bytes(b"\x00" * 64)
    line = one_error_line(cli("sample", "--checkpoint", run, "--out", tmp_path / "x.png"))
    assert "generator.safetensors" in line and "damaged" in line
    (run / "config.json").write_text("{broken")
    line = one_error_line(cli("train", "--resume", run, "--iterations", "5"))
    assert "config.json is not a valid run config" in line


def test_preset_paper_sets_radfords_values_and_flags_beside_it_win(tmp_path):
    run = tmp_path / "run"
    done = cli(
        "train", "--preset", "paper", *TINY, "--iterations", "1", "--run-dir", run, "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    optim = RunDirectory(run).read_config().optim
    assert (optim.lr_g, optim.lr_d, optim.beta1) == (2e-4, 2e-4, 0.5)  # from the preset
    assert optim.batch_size == 8 and RunDirectory(run).read_config().model.ngf == 8  # TINY's
    line = one_error_line(cli("train", "--resume", run, "--preset", "quick"))
    assert "--preset chooses a new run's settings: leave it out with --resume" in line
    assert "invalid choice: 'fast'" in one_error_line(cli("train", "--preset", "fast"))


def test_help_lists_the_commands():
    result = cli("--help")
    assert result.returncode == 0 and "train" in result.stdout and "sample" in result.stdout
    assert "--run RUN_DIR" in result.stdout


def _hint(result) -> str:
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stderr.splitlines() if line.startswith("Sample from it"))


def test_the_closing_hint_names_the_command_as_this_person_can_type_it(tmp_path):
    """Issue 18: it said `dcgan-studio sample ...` where the command was only in .venv/bin."""
    script = shutil.which("dcgan-studio", path=str(Path(sys.executable).parent))
    assert script is not None  # the installed entry point beside this interpreter
    bare = {**os.environ, "PATH": "/usr/bin:/bin"}  # .venv/bin not on the PATH
    train = ["train", *TINY, "--iterations", "2"]
    run = tmp_path / "a"
    hint = _hint(
        subprocess.run(
            [script, *train, "--run-dir", run],
            env=bare,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    )
    assert hint == f"Sample from it: {script} sample --checkpoint {run} --n 64 --out samples.png"
    on_path = {**os.environ, "PATH": f"{Path(script).parent}:/usr/bin:/bin"}
    hint = _hint(
        subprocess.run(
            [script, *train, "--run-dir", tmp_path / "b"],
            env=on_path,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    )
    assert hint.startswith("Sample from it: dcgan-studio sample --checkpoint ")
    hint = _hint(
        subprocess.run(
            [sys.executable, "-m", "dcgan_studio", *train, "--run-dir", tmp_path / "c"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    )  # python -m dcgan_studio
    assert hint.startswith(f"Sample from it: {sys.executable} -m dcgan_studio sample ")


def test_follow_refuses_a_folder_that_is_not_a_run_in_one_line(tmp_path):
    line = one_error_line(cli("--follow", tmp_path, timeout=60))
    assert f"{tmp_path} is not a DCGAN Studio run (no config.json)" in line
    line = one_error_line(cli("--follow", tmp_path / "nowhere", timeout=60))
    assert "is not a folder: give the run folder" in line
    RunDirectory.create(tmp_path / "run", RunConfig())
    line = one_error_line(cli("--run", tmp_path / "run", "--follow", tmp_path / "run"))
    assert "give one of them" in line
