"""``--tensorboard``: a real run's events, read back with TensorBoard's own reader."""

from __future__ import annotations

import sys

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from dcgan_studio import cli
from dcgan_studio.core.launch import start_run
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import ScalarSnapshot
from dcgan_studio.core.tensorboard_log import keep_score
from dcgan_studio.errors import StudioError
from tests.conftest import tiny_config

SCORE = {
    "step": 3, "n": 100, "kid": 0.25, "kid_std": 0.01, "fd": 40.0,
    "feature_space": "digits", "generator": "G (EMA)", "classes": None, "coverage": 7,
    "confident": 0.5,
}  # fmt: skip


def events(root) -> EventAccumulator:
    reader = EventAccumulator(str(root / "tensorboard"), size_guidance={"images": 0})
    reader.Reload()
    return reader


def test_a_run_writes_its_scalars_scores_and_grids_as_tensorboard_events(tmp_path):
    config = tiny_config(**{"runtime.tensorboard": True})
    trainer = start_run(config, tmp_path / "run")
    for snap in trainer.run():
        if isinstance(snap, ScalarSnapshot) and snap.step == 3:  # the Quality tab scores G
            assert keep_score(trainer.run_dir, SCORE) is None
    reader = events(tmp_path / "run")
    metrics = RunDirectory(tmp_path / "run").read_metrics()
    loss_d = [(e.step, e.value) for e in reader.Scalars("loss/D")]
    assert loss_d == [(r["step"], pytest.approx(r["loss_d"])) for r in metrics]
    assert {"loss/G", "D/real", "D/fake", "gradient norm/D", "speed/images per second"} <= set(
        reader.Tags()["scalars"]
    )
    kid = reader.Scalars("quality/KID (G (EMA))")
    assert [(e.step, e.value) for e in kid] == [(3, 0.25)]
    assert [e.step for e in reader.Images("samples/G")] == [0, 3, 6]
    image = reader.Images("samples/G (EMA)")[-1]
    assert image.width == image.height > 16  # the grid of 4 tiles of 16 px, with its padding


def test_a_score_kept_as_the_session_ends_reaches_the_events_exactly_once(tmp_path):
    """The window scores the run's last G after its session has closed the events, and a live
    score may land just before the close: each is written once, by whichever holds it."""
    trainer = start_run(tiny_config(**{"runtime.tensorboard": True}), tmp_path / "run")
    run = trainer.run_dir
    for snap in trainer.run():
        if isinstance(snap, ScalarSnapshot) and snap.step == 6:  # after the last logged step
            assert keep_score(run, {**SCORE, "step": 5, "generator": "G"}) is None
    assert keep_score(run, {**SCORE, "step": 6, "generator": "G"}) is None  # the session is over
    kid = events(tmp_path / "run").Scalars("quality/KID")
    assert [e.step for e in kid] == [5, 6]
    assert [r["step"] for r in run.read_quality()] == [5, 6]


SESSION_ELSEWHERE = """
import sys
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.tensorboard_log import TensorBoardLog
run = RunDirectory(sys.argv[1])
lock = run.lock()  # a trainer of the run: it holds the lock, then opens its session log
log = TensorBoardLog(run, 6)
print("open", flush=True)
sys.stdin.readline()
log.close()
lock.release()
"""


def test_a_score_kept_while_another_process_trains_the_run_is_written_once(tmp_path):
    """A window scores its run's last G while another process (train --resume) has already
    opened a session of the same run: the score is that session's to write, not a second copy."""
    import subprocess

    trainer = start_run(tiny_config(**{"runtime.tensorboard": True}), tmp_path / "run")
    list(trainer.run())
    other = subprocess.Popen(
        [sys.executable, "-c", SESSION_ELSEWHERE, str(tmp_path / "run")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert other.stdout.readline().strip() == "open"
        assert keep_score(RunDirectory(tmp_path / "run"), {**SCORE, "step": 6}) is None
    finally:
        other.communicate("close\n", timeout=120)
    assert other.returncode == 0
    kid = events(tmp_path / "run").Scalars("quality/KID (G (EMA))")
    assert [(e.step, e.value) for e in kid] == [(6, 0.25)]
    assert not (tmp_path / "run" / "tensorboard" / ".session").exists()  # closed: mark gone


def test_where_the_lock_file_cannot_be_made_the_score_is_still_kept(tmp_path, monkeypatch, caplog):
    import fcntl

    trainer = start_run(tiny_config(**{"runtime.tensorboard": True}), tmp_path / "run")
    list(trainer.run())

    def no_flock(*args):
        raise OSError(38, "Function not implemented")  # as some network file systems answer

    monkeypatch.setattr(fcntl, "flock", no_flock)
    assert keep_score(trainer.run_dir, {**SCORE, "step": 6}) is None
    assert [e.step for e in events(tmp_path / "run").Scalars("quality/KID (G (EMA))")] == [6]
    assert "held in this process only" in caplog.text


def test_a_score_of_a_run_without_tensorboard_is_kept_and_writes_no_events(tmp_path):
    trainer = start_run(tiny_config(), tmp_path / "run")
    list(trainer.run())
    assert keep_score(trainer.run_dir, SCORE) is None
    assert trainer.run_dir.read_quality()[-1]["kid"] == 0.25
    assert not (tmp_path / "run" / "tensorboard").exists()


def test_score_save_adds_to_the_events_of_a_run_that_writes_them(tmp_path, capsys):
    config = tiny_config(**{"runtime.tensorboard": True})
    trainer = start_run(config, tmp_path / "run")
    list(trainer.run())
    assert cli.main(["score", str(tmp_path / "run"), "--n", "10", "--save", "--step", "6"]) == 0
    steps = [e.step for e in events(tmp_path / "run").Scalars("quality/KID")]
    assert steps == [6]


def test_without_tensorboard_installed_the_run_is_refused_before_its_folder(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(StudioError, match=r"pip install 'dcgan-studio\[tensorboard\]'"):
        start_run(tiny_config(**{"runtime.tensorboard": True}), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_flag_sets_the_setting_and_a_run_without_it_writes_no_events(tmp_path, capsys):
    from dcgan_studio.arguments import build_parser
    from tests.test_cli import TINY

    args = build_parser().parse_args(["train", "--tensorboard"])
    assert vars(args)["runtime.tensorboard"] is True
    runs = tmp_path / "my runs"
    code = cli.main(["train", *TINY, "--iterations", "2", "--tensorboard", "--no-progress",
                     "--run-dir", str(runs / "r")])  # fmt: skip
    assert code == 0
    said = capsys.readouterr().err
    assert f"TensorBoard: events in {runs / 'r' / 'tensorboard'}" in said
    assert f"tensorboard --logdir '{runs}'" in said  # the runs folder, quoted for a shell
    assert events(runs / "r").Scalars("loss/D")[-1].step == 2
    trainer = start_run(tiny_config(), tmp_path / "run")
    list(trainer.run())
    assert not (tmp_path / "run" / "tensorboard").exists()


def test_events_that_cannot_be_written_end_the_run_with_a_line_and_let_go_of_it(tmp_path):
    from dcgan_studio.errors import RunDirectoryError

    trainer = start_run(tiny_config(**{"runtime.tensorboard": True}), tmp_path / "run")
    (tmp_path / "run" / "tensorboard").write_text("a file where the folder goes")
    with pytest.raises(RunDirectoryError, match="cannot write the TensorBoard events"):
        list(trainer.run())
    assert RunDirectory(tmp_path / "run").live_holder() is None  # another trainer may take it


def test_score_save_keeps_the_score_when_tensorboard_is_missing(tmp_path, capsys, monkeypatch):
    trainer = start_run(tiny_config(**{"runtime.tensorboard": True}), tmp_path / "run")
    list(trainer.run())
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    assert cli.main(["score", str(tmp_path / "run"), "--n", "10", "--save"]) == 0
    assert "the score is kept, but not added to the run's TensorBoard events" in (
        capsys.readouterr().err
    )
    assert RunDirectory(tmp_path / "run").read_quality()[-1]["step"] == 6
