"""Following a run folder as another process writes it: only whole lines, rewrites read again,
grids and whole checkpoints as they land, and the writer named and judged."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch
from safetensors.torch import save_file

from dcgan_studio.config import RunConfig
from dcgan_studio.core import follow, writer_status
from dcgan_studio.core.checkpoint_files import GENERATOR_FILE
from dcgan_studio.core.follow import JsonlTail, RunFollower
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.writer_status import describe_writer, quiet_limit
from dcgan_studio.errors import RunDirectoryError


def _line(step: int, **values) -> bytes:
    record = {"step": step, "loss_d": 1.0, "loss_g": 2.0, **values}
    return (json.dumps(record) + "\n").encode()


def _rec(step: int) -> dict:
    return json.loads(_line(step))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def run(tmp_path):
    return RunDirectory.create(tmp_path / "run", RunConfig())


def _append(path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def test_a_half_written_last_line_waits_until_its_newline_lands(run):
    follower = RunFollower(run)
    _append(run.metrics_path, _line(0) + _line(10)[:-9])  # the second line cut mid-number
    news = follower.poll()
    assert [r["step"] for r in news.metrics] == [0]
    assert follower.poll().metrics == ()  # still half: not shown, not lost
    _append(run.metrics_path, _line(10)[-9:])
    assert [r["step"] for r in follower.poll().metrics] == [10]
    assert follower.poll().metrics == ()


def test_a_metrics_file_cut_back_by_a_resume_is_read_again_whole(run):
    follower = RunFollower(run)
    _append(run.metrics_path, b"".join(_line(s) for s in range(0, 60, 10)))
    assert len(follower.poll().metrics) == 6
    run.truncate_metrics_after(20)  # a resume from the checkpoint of step 20 (a new file)
    _append(run.metrics_path, b"".join(_line(s) for s in range(30, 90, 10)))  # longer than before
    news = follower.poll()
    assert news.metrics_replaced
    assert [r["step"] for r in news.metrics] == [0, 10, 20, 30, 40, 50, 60, 70, 80]


def test_a_file_rewritten_in_place_is_noticed(tmp_path):
    path = tmp_path / "quality.jsonl"
    path.write_bytes(_line(1) + _line(2))
    tail = JsonlTail(path)
    assert [r["step"] for r in tail.read()[0]] == [1, 2]
    with open(path, "r+b") as f:  # the same inode, other bytes, a longer file
        f.write(_line(7) + _line(8) + _line(9))
    records, replaced = tail.read()
    assert replaced and [r["step"] for r in records] == [7, 8, 9]


def test_damaged_lines_are_skipped_and_a_file_gone_for_a_moment_keeps_what_was_read(tmp_path):
    path = tmp_path / "alerts.jsonl"
    tail = JsonlTail(path)
    assert tail.read() == ([], False)  # not there yet
    path.write_bytes(b"{not json\n" + _line(3))
    assert [r["step"] for r in tail.read()[0]] == [3]
    path.unlink()  # a synced folder replacing it
    assert tail.read() == ([], False)
    path.write_bytes(_line(3) + _line(4))
    assert tail.read() == ([{"step": 3, "loss_d": 1.0, "loss_g": 2.0}, _rec(4)], True)


def _checkpoint(run: RunDirectory, step: int, whole: bool = True) -> None:
    folder = run.checkpoint_path(step)
    folder.mkdir(parents=True)
    save_file({"w": torch.zeros(64)}, str(folder / GENERATOR_FILE))
    if not whole:  # a synced folder still bringing it over
        data = (folder / GENERATOR_FILE).read_bytes()
        (folder / GENERATOR_FILE).write_bytes(data[:-10])
    save_file({"w": torch.zeros(8)}, str(folder / "discriminator.safetensors"))
    (folder / "training_state.pt").write_bytes(b"x")


def _write_writer(run: RunDirectory, **values) -> None:
    record = {"host": "gpu-box", "pid": 4242, "command": "dcgan-studio train", **values}
    (run.root / "writer.json").write_text(json.dumps(record))


@pytest.mark.parametrize(
    "damage",
    ["discriminator cut", "ema cut", "state empty", "state missing", "discriminator missing"],
)
def test_a_checkpoint_counts_only_once_every_file_is_whole(run, damage):
    folder = run.checkpoint_path(10)
    folder.mkdir(parents=True)
    for name in (GENERATOR_FILE, "discriminator.safetensors", "generator_ema.safetensors"):
        save_file({"w": torch.zeros(64)}, str(folder / name))
    (folder / "training_state.pt").write_bytes(b"state")
    assert follow.checkpoint_is_whole(folder)
    what, how = damage.split()
    path = {
        "discriminator": folder / "discriminator.safetensors",
        "ema": folder / "generator_ema.safetensors",
        "state": folder / "training_state.pt",
    }[what]
    if how == "cut":  # a synced folder still bringing it over
        path.write_bytes(path.read_bytes()[:-10])
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
    assert not follow.checkpoint_is_whole(folder)
    assert RunFollower(run).poll().checkpoint_steps == ()


def test_grids_and_whole_checkpoints_are_news_once(run):
    follower = RunFollower(run)
    (run.samples_dir / "step-0000000.png").write_bytes(b"png")
    _checkpoint(run, 0)
    first = follower.poll()
    assert first.new_sample_steps == (0,) and first.new_checkpoint == 0
    (run.samples_dir / ".step-0000010.png.tmp-1a2b3c4d").write_bytes(b"half")  # being written
    _checkpoint(run, 10, whole=False)
    news = follower.poll()
    assert news.new_sample_steps == () and news.new_checkpoint is None
    assert news.checkpoint_steps == (0,) and not news.landed
    os.replace(
        run.samples_dir / ".step-0000010.png.tmp-1a2b3c4d", run.samples_dir / "step-0000010.png"
    )
    shutil.rmtree(run.checkpoint_path(10))
    _checkpoint(run, 10)
    news = follower.poll()
    assert news.sample_steps == (0, 10) and news.new_sample_steps == (10,)
    assert news.new_checkpoint == 10 and follower.newest_checkpoint == run.checkpoint_path(10)
    assert not follower.poll().landed


def test_a_folder_that_is_not_a_run_is_refused_in_words(tmp_path):
    with pytest.raises(RunDirectoryError, match="not a DCGAN Studio run"):
        RunFollower.open(tmp_path)


def test_a_changed_config_is_news(run):
    follower = RunFollower(run)
    assert follower.poll().config == RunConfig()
    assert follower.poll().config is None
    longer = RunConfig().with_values({"schedule.iterations": 99_999})
    run.write_config(longer)
    assert follower.poll().config == longer


# ---- who writes -------------------------------------------------------------------------------
RECORD = {
    "host": "gpu-box",
    "pid": 4242,
    "command": "torchrun, 2 processes (gloo, CPU)",
    "processes": 2,
    "global_batch": 256,
    "state": "training",
    "started": "2025-01-02T03:04:05+00:00",
    "updated": "2025-01-02T03:14:05+00:00",
    "step": 300,
}


def test_the_writer_is_named_from_writer_json():
    status = describe_writer(RECORD, None, 5, 120, 310, this_host="laptop")
    assert status.state == "training" and status.live
    assert status.headline == (
        "torchrun, 2 processes (gloo, CPU) (process 4242 on gpu-box) is training"
    )
    assert "2 processes" in status.detail and "global batch 256" in status.detail
    assert status.step == 310


@pytest.mark.parametrize(
    "state, words", [("finished", "finished"), ("stopped", "was stopped"), ("failed", "failed")]
)
def test_a_writer_that_ended_says_how(state, words):
    status = describe_writer({**RECORD, "state": state}, None, 5, 120, 300, this_host="laptop")
    assert not status.live
    assert status.headline.endswith(f"{words} at iteration 300")


def test_a_writer_on_this_machine_whose_lock_is_free_is_gone():
    record = {**RECORD, "host": "laptop"}
    status = describe_writer(record, None, 1, 120, 300, this_host="laptop")
    assert status.state == "gone" and not status.live
    assert status.headline == "The writer stopped (process 4242 on laptop is gone)"
    held = describe_writer(record, "process 4242", 1, 120, 300, this_host="laptop")
    assert held.state == "training"


def test_a_writer_on_another_machine_seems_stopped_after_its_quiet_limit():
    assert describe_writer(RECORD, None, 100, 120, 300, this_host="laptop").live
    status = describe_writer(RECORD, None, 300, 120, 300, this_host="laptop")
    assert status.state == "quiet" and not status.live
    assert "seems to have stopped: nothing new for 5 min" in status.headline


def test_an_older_run_names_its_writer_from_the_lock_or_says_another_process():
    held = describe_writer(None, "process 77", 0, 120, 5, this_host="laptop")
    assert held.headline == "process 77 on this machine is training this run"
    unknown = describe_writer(None, None, 0, 120, 5, this_host="laptop")
    assert unknown.live and unknown.who == "another process"
    quiet = describe_writer(None, None, 600, 120, 5, this_host="laptop")
    assert not quiet.live and "no process seems to write this run" in quiet.headline


def test_the_quiet_limit_follows_the_run_s_cadence():
    assert quiet_limit([]) == writer_status.QUIET_FLOOR_S
    assert quiet_limit([0.5] * 30) == writer_status.QUIET_FLOOR_S
    assert quiet_limit([30.0] * 30) == 300.0


def test_the_quiet_limit_counts_wall_clock_gaps_not_training_time(run, monkeypatch):
    """A run that trains 1 s between its lines but spends 59 s more on grids and scoring lands
    a line a minute: ten minutes of quiet, not two, before it seems stopped."""
    clock = Clock()
    monkeypatch.setattr(follow, "locks_known", lambda: False)
    follower = RunFollower(run, clock=clock)
    _append(run.metrics_path, _line(0, elapsed_seconds=0.0))
    follower.poll()
    for step in range(1, 6):
        clock.now += 60
        _append(run.metrics_path, _line(step * 10, elapsed_seconds=float(step)))
        assert follower.poll().writer.live
    clock.now += 5 * 60  # five of its gaps: not quiet yet
    assert follower.poll().writer.live
    clock.now += 6 * 60
    assert follower.poll().writer.state == "quiet"


def test_a_first_look_goes_by_training_time_until_lines_land():
    slow = [{"step": i, "elapsed_seconds": i * 30.0} for i in range(30)]
    assert quiet_limit(writer_status.training_gaps(slow)) == 300.0


def test_a_run_that_goes_quiet_and_then_continues_is_followed_on(run, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(follow, "locks_known", lambda: False)  # no lock to judge by
    follower = RunFollower(run, clock=clock)
    _append(run.metrics_path, _line(0, elapsed_seconds=0.0) + _line(10, elapsed_seconds=1.0))
    assert follower.poll().writer.live
    clock.now += 10 * 60
    quiet = follower.poll()
    assert quiet.writer.state == "quiet" and not quiet.resumed
    _append(run.metrics_path, _line(20, elapsed_seconds=2.0))  # a resume writes again
    back = follower.poll()
    assert back.resumed and back.writer.live and [r["step"] for r in back.metrics] == [20]
    assert not follower.poll().resumed


def test_a_resume_seen_half_way_is_said_once_its_writer_is_live(run):
    """A resume rewrites metrics.jsonl, and only later says "training" in writer.json: a poll
    in between sees the metrics replaced and the writer stopped; the next sees it live with
    nothing new. It continued, from the checkpoint the metrics were cut back to."""
    _write_writer(run, state="stopped", step=30)
    _checkpoint(run, 20)
    _append(run.metrics_path, b"".join(_line(s) for s in range(0, 40, 10)))
    follower = RunFollower(run)
    first = follower.poll()
    assert not first.writer.live and first.new_checkpoint == 20
    run.truncate_metrics_after(20)  # the resume, from its checkpoint of 20
    between = follower.poll()
    assert between.metrics_replaced and not between.writer.live and not between.resumed
    _write_writer(run, state="training", step=20)
    live = follower.poll()
    assert not live.landed and live.writer.live
    assert live.resumed and live.continued_from == 20
    assert not follower.poll().resumed


def test_an_alerts_file_written_again_brings_back_only_alerts_not_read_before(run):
    follower = RunFollower(run)
    first = {"step": 3, "kind": "d_wins", "title": "D wins"}
    run.alerts_path.write_text(json.dumps(first) + "\n")
    assert follower.poll().alerts == (first,)
    later = {"step": 9, "kind": "mode_collapse", "title": "Collapse"}
    temporary = run.alerts_path.with_suffix(".tmp")  # a sync tool's whole new copy
    temporary.write_text(json.dumps(first) + "\n" + json.dumps(later) + "\n")
    os.replace(temporary, run.alerts_path)
    assert follower.poll().alerts == (later,)
    temporary.write_text(json.dumps(first) + "\n" + json.dumps(later) + "\n")
    os.replace(temporary, run.alerts_path)
    news = follower.poll()
    assert news.alerts == () and not news.landed


def test_an_older_run_s_writer_that_let_go_of_the_lock_finished_or_is_gone():
    gone = describe_writer(None, None, 1, 120, 40, this_host="laptop", was_held="process 9")
    assert gone.state == "gone" and gone.headline == (
        "The writer stopped (process 9 on this machine is gone)"
    )
    done = describe_writer(
        None, None, 1, 120, 400, this_host="laptop", was_held="process 9", total=400
    )
    assert done.state == "finished" and done.headline.endswith("finished at iteration 400")


def test_the_command_line_refuses_a_folder_in_the_run_folder_s_own_words(tmp_path):
    """``--follow`` refuses before torch loads, so it cannot ask RunDirectory.open: the two
    messages are held the same here."""
    from dcgan_studio.cli import not_a_run

    with pytest.raises(RunDirectoryError) as refused:
        RunDirectory.open(tmp_path)
    assert not_a_run(tmp_path) == str(refused.value)
