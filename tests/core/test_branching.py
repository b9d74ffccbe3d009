"""Branching a run from one of its checkpoints (core.branching) and the runs library
(core.library), on real run folders made by short trainings."""

import json
import subprocess
import sys

import pytest
import torch

from dcgan_studio.cli import main
from dcgan_studio.config import field_names
from dcgan_studio.core.branching import BRANCHABLE, REFUSED, BranchError, start_branch
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.library import config_diff, delete_run, differing_settings, scan, summarise
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.errors import StudioError
from tests.conftest import tiny_config

HOW = "give more iterations"


def _train(path, **values):
    cfg = tiny_config(**values)
    trainer = Trainer(cfg, RunDirectory.create(path, cfg))
    assert list(trainer.run())[-1].state == "finished"
    return trainer


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """40 iterations with a checkpoint every 10, all kept."""
    root = tmp_path_factory.mktemp("library") / "parent"
    _train(
        root,
        **{"schedule.iterations": 40, "schedule.checkpoint_every": 10, "schedule.sample_every": 5},
    )
    return root


def _files(root):
    """Every file under ``root`` with its size and modification time."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _states(trainer_or_checkpoint):
    if isinstance(trainer_or_checkpoint, Trainer):
        t = trainer_or_checkpoint
        return [
            t.generator.state_dict(),
            t.discriminator.state_dict(),
            t.gan.generator_ema.state_dict(),
        ]
    c = trainer_or_checkpoint
    return [c.generator_state(), c.discriminator_state(), c.generator_state(ema=True)]


def test_a_branch_with_nothing_changed_repeats_its_parent_bit_for_bit(parent, tmp_path):
    before = _files(parent)
    branch = start_branch(parent, 20, {}, tmp_path / "branch", how_to_extend=HOW)
    assert branch.step == 20
    assert list(branch.run())[-1].state == "finished"
    assert branch.step == 40  # 20 steps on from the checkpoint
    theirs = _states(open_checkpoint(parent / "checkpoints" / "step-0000040"))
    for ours, same in zip(_states(branch), theirs, strict=True):
        assert ours.keys() == same.keys()
        for name in ours:  # weights and BatchNorm buffers alike
            assert torch.equal(ours[name], same[name]), name
    # its curves begin at the step it left its parent, and then are its parent's exactly
    parent_lines = [r for r in RunDirectory(parent).read_metrics() if r["step"] >= 20]
    branch_lines = RunDirectory(tmp_path / "branch").read_metrics()
    keys = ("step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")
    assert [[r[k] for k in keys] for r in branch_lines] == [
        [r[k] for k in keys] for r in parent_lines
    ]
    assert branch_lines[0]["step"] == 20
    # the parent was only read
    assert _files(parent) == before


def test_a_branch_records_its_parent_and_what_changed(parent, tmp_path):
    branch = start_branch(
        parent,
        20,
        {"optim.lr_g": 2e-4, "optim.d_steps": 2, "schedule.iterations": 26},
        tmp_path / "slow-g",
        label="slow G",
        how_to_extend=HOW,
    )
    list(branch.run())
    run = RunDirectory(tmp_path / "slow-g")
    origin = run.read_branch()
    assert origin["parent"] == str(parent.resolve()) and origin["step"] == 20
    assert origin["changed"] == {
        "optim.lr_g": [1.2e-3, 2e-4],
        "optim.d_steps": [1, 2],
        "schedule.iterations": [40, 26],
    }
    assert run.read_config().optim.lr_g == 2e-4 and branch.opt_g.param_groups[0]["lr"] == 2e-4
    assert run.read_label() == "slow G"
    assert run.sample_steps()[0] == 20  # the parent's grid of the step it starts from
    # another future: the weights part from the parent's
    theirs = open_checkpoint(parent / "checkpoints" / "step-0000030").generator_state()
    ours = open_checkpoint(tmp_path / "slow-g").generator_state()
    assert ours.keys() == theirs.keys()
    assert not all(torch.equal(ours[k], theirs[k]) for k in ours)
    summary = summarise(tmp_path / "slow-g")
    assert summary.parent == parent.resolve() and summary.parent_step == 20
    assert summary.title == "slow G" and summary.name == "slow-g" and summary.step == 26


def test_a_branch_refuses_another_architecture_data_or_seed_and_leaves_no_folder(parent, tmp_path):
    for values, words in (
        ({"model.nz": 20}, "nz: they shape the networks"),
        ({"model.ngf": 4, "model.image_size": 32}, "image_size, ngf: they shape the networks"),
        ({"data.dataset": "shapes"}, "dataset: a branch goes on learning its parent's data"),
        ({"schedule.seed": 9}, "seed: a branch continues its parent's random streams"),
    ):
        with pytest.raises(BranchError, match=words):
            start_branch(parent, 20, values, tmp_path / "refused", how_to_extend=HOW)
        assert not (tmp_path / "refused").exists()
    with pytest.raises(
        StudioError, match=r"no checkpoint of iteration 25 to branch from.*\(10, 20, 30, 40\)"
    ):
        start_branch(parent, 25, {}, tmp_path / "refused", how_to_extend=HOW)
    with pytest.raises(BranchError, match="start at iteration 40 and end at 40: give more"):
        start_branch(parent, None, {}, tmp_path / "refused", how_to_extend=HOW)
    assert not (tmp_path / "refused").exists()
    # the same value as the parent's is no change
    start_branch(
        parent, 30, {"model.nz": 16}, tmp_path / "same", how_to_extend=HOW
    ).run_lock.release()


def test_every_setting_is_either_branchable_or_refused_with_a_reason():
    assert not set(BRANCHABLE) & set(REFUSED)
    assert sorted([*BRANCHABLE, *REFUSED]) == sorted(field_names())


def test_deleting_the_parent_keeps_its_branch_whole(tmp_path):
    parent = tmp_path / "parent"
    _train(parent, **{"schedule.iterations": 12, "schedule.keep_checkpoints": 1})
    branch = start_branch(
        parent, 12, {"schedule.iterations": 15}, tmp_path / "b", how_to_extend=HOW
    )
    branch.run_lock.release()
    summary = summarise(parent)
    assert delete_run(summary, trash=None) == "deleted"
    assert not parent.exists()
    # the branch starts from its own copy of the checkpoint, and trains
    again = start_branch(
        tmp_path / "b", 12, {"schedule.iterations": 14}, tmp_path / "c", how_to_extend=HOW
    )
    assert list(again.run())[-1].state == "finished"
    resumed = summarise(tmp_path / "b")
    assert resumed.parent == parent.resolve() and not resumed.parent.exists()
    assert resumed.checkpoints == (12,)


def test_a_run_being_trained_is_listed_live_and_cannot_be_deleted(tmp_path):
    _train(tmp_path / "run")
    run = RunDirectory(tmp_path / "run")
    assert summarise(run.root).live is None
    # another process trains in it: it holds the run's lock until told to stop
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from dcgan_studio.core.runs import RunDirectory; "
            f"lock = RunDirectory({str(run.root)!r}).lock(); print('locked', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        summary = summarise(run.root)
        assert summary.live == f"process {holder.pid}"
        with pytest.raises(StudioError, match=f"being trained by process {holder.pid}: stop it"):
            delete_run(summary)
        assert run.config_path.exists()
    finally:
        holder.communicate("", timeout=30)  # its stdin closes: it ends, and its lock with it
    assert summarise(run.root).live is None
    lock = run.lock()  # a trainer in this very process (the window's)
    try:
        assert summarise(run.root).live.startswith("this process")
        with pytest.raises(StudioError, match="being trained by this process"):
            delete_run(summarise(run.root))
    finally:
        lock.release()
    taken = []
    assert delete_run(summarise(run.root), trash=lambda p: taken.append(p) or True) == "trash"
    assert taken == [run.root]  # the trash took it (here: a stand-in that only records)


def test_the_library_lists_runs_with_their_scores_parents_and_problems(parent, tmp_path):
    root = tmp_path / "runs"
    _train(root / "a", **{"schedule.iterations": 6})
    _train(root / "b", **{"schedule.iterations": 9, "optim.lr_d": 5e-4})
    RunDirectory(root / "b").append_quality({"step": 9, "kid": 0.25, "kid_std": 0.01})
    RunDirectory(root / "b").write_label("  lower   lr D ")
    (root / "not-a-run").mkdir()
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{not json")
    start_branch(
        parent, 10, {"schedule.iterations": 12}, root / "branch", how_to_extend=HOW
    ).run_lock.release()
    found = {s.name: s for s in scan([root, tmp_path / "missing"])}
    assert set(found) == {"a", "b", "broken", "branch"}
    a, b = found["a"], found["b"]
    assert (a.step, a.total, a.dataset, a.image_size, a.kid) == (6, 6, "digits", 16, None)
    assert a.checkpoints == (3, 6) and a.thumbnail == root / "a" / "samples" / "step-0000006.png"
    assert a.seconds > 0 and a.started is not None and a.live is None
    assert (b.title, b.kid, b.kid_step) == ("lower lr D", 0.25, 9)
    assert "not a valid run config" in found["broken"].problem and found["broken"].config is None
    assert found["branch"].parent == parent.resolve() and found["branch"].parent_step == 10
    assert [name for name, *_ in config_diff(a.config, b.config)] == [
        "optim.lr_d",
        "schedule.iterations",
    ]
    assert differing_settings([a.config, b.config, a.config]) == [
        "optim.lr_d",
        "schedule.iterations",
    ]
    # a folder given that is itself a run is listed too
    assert [s.name for s in scan([root / "a"])] == ["a"]


def test_branch_from_the_command_line(parent, tmp_path, capsys):
    out = tmp_path / "cli-branch"
    code = main(
        [
            "train",
            "--branch-from",
            str(parent),
            "--at-step",
            "30",
            "--lr-d",
            "0.0005",
            "--iterations",
            "33",
            "--run-dir",
            str(out),
            "--label",
            "D slower",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert (
        f"Branch of {parent} at iteration 30: --lr-d 0.0012 -> 0.0005, --iterations 40 -> 33" in err
    )
    record = json.loads((out / "branch.json").read_text())
    assert record["step"] == 30 and record["parent"] == str(parent.resolve())
    assert RunDirectory(out).read_label() == "D slower"
    assert open_checkpoint(out).step == 33
    for argv, words in (
        (["--at-step", "30"], "--at-step chooses the checkpoint of --branch-from: give both"),
        (["--branch-from", str(parent), "--nz", "8"], "a branch cannot change nz"),
        (["--branch-from", str(parent), "--resume", str(out)], "give one of them"),
        (
            ["--branch-from", str(parent), "--preset", "paper"],
            "leave it out with --resume or --branch-from",
        ),
    ):
        assert main(["train", *argv, "--run-dir", str(tmp_path / "x")]) == 2
        assert words in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_score_save_keeps_the_score_where_the_library_finds_it(tmp_path, capsys):
    run = tmp_path / "run"
    _train(run, **{"schedule.iterations": 6})
    for _ in range(2):  # twice: the second replaces the first, it does not pile up
        assert main(["score", str(run), "--step", "3", "--n", "50", "--save"]) == 0
    assert main(["score", str(run), "--n", "50", "--save", "--json"]) == 0
    out = capsys.readouterr()
    lines = RunDirectory(run).read_quality()
    assert [r["step"] for r in lines] == [3, 6]
    assert json.loads(out.out.splitlines()[-1])["kid"] == lines[-1]["kid"]
    assert "kept in" in out.err
    summary = summarise(run)
    assert (summary.kid, summary.kid_step) == (lines[-1]["kid"], 6)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "generator.safetensors").write_bytes(
        (run / "checkpoints" / "step-0000006" / "generator.safetensors").read_bytes()
    )
    assert main(["score", str(alone / "generator.safetensors"), "--n", "50", "--save"]) == 2
    assert "not a checkpoint inside a run folder" in capsys.readouterr().err


def test_runs_lists_the_library_and_the_differences_on_the_command_line(parent, tmp_path, capsys):
    root = tmp_path / "runs"
    _train(root / "plain", **{"schedule.iterations": 6})
    branch = start_branch(
        parent, 10, {"optim.beta1": 0.3, "schedule.iterations": 12}, root / "b1", how_to_extend=HOW
    )
    list(branch.run())
    RunDirectory(root / "b1").write_label("beta1 0.3")
    assert main(["runs", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("RUN") and len(lines) == 3
    row = next(line for line in lines if line.startswith("beta1 0.3"))
    assert "12/12" in row and f"branch of {parent.name} at 10" in row
    assert main(["runs", "--diff", str(parent), str(root / "b1")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["SETTING", "parent", "beta1", "0.3"]
    assert [line.split() for line in out[1:]] == [
        ["--beta1", "0.5", "0.3"],
        ["--iterations", "40", "12"],
    ]
    assert main(["runs", "--diff", str(parent), str(tmp_path / "none")]) == 2
    assert "is not a DCGAN Studio run" in capsys.readouterr().err


def test_a_branch_starts_from_the_settings_of_its_checkpoint_not_later_ones(tmp_path):
    parent = tmp_path / "parent"
    _train(parent, **{"schedule.iterations": 12, "schedule.checkpoint_every": 6})
    run = RunDirectory(parent)
    # a learning rate changed live after iteration 6 rewrote config.json, not the checkpoint
    run.write_config(run.read_config().with_values({"optim.lr_g": 5e-4}))
    branch = start_branch(parent, 6, {}, tmp_path / "b", how_to_extend=HOW)
    branch.run_lock.release()
    assert branch.config.optim.lr_g == 1.2e-3 and branch.opt_g.param_groups[0]["lr"] == 1.2e-3
    assert RunDirectory(tmp_path / "b").read_branch()["changed"] == {}
    # made now, whatever the date of the parent's grid it begins with
    made = summarise(tmp_path / "b").started
    assert made >= summarise(parent).started and made.year >= 2026


def test_an_epoch_based_parent_branches_in_epochs_and_says_when_nothing_is_left(tmp_path):
    parent = tmp_path / "parent"
    _train(parent, **{"schedule.iterations": 6})
    run = RunDirectory(parent)  # as if it were set in epochs
    run.write_config(
        run.read_config().with_values({"schedule.iterations": None, "schedule.epochs": 1})
    )
    values = {"optim.batch_size": 5000}  # 2 batches an epoch: nothing left after iteration 6
    with pytest.raises(StudioError, match="the branch is already at iteration 6 of 2: give more"):
        start_branch(parent, 6, values, tmp_path / "b", how_to_extend="give more epochs")
    assert not (tmp_path / "b").exists()
    branch = start_branch(parent, 6, {"schedule.epochs": 2}, tmp_path / "c", how_to_extend=HOW)
    branch.run_lock.release()
    assert branch.config.schedule.epochs == 2 and branch.total_iterations == 2 * 10_000 // 8


def test_this_process_s_own_runs_are_live_without_probing_their_lock(tmp_path, capsys):
    _train(tmp_path / "run")
    run = RunDirectory(tmp_path / "run")
    lock = run.lock()
    try:
        assert run.live_holder().startswith("this process")
        assert main(["score", str(run.root), "--n", "10", "--save"]) == 2
        assert "being trained by this process" in capsys.readouterr().err
    finally:
        lock.release()
    assert run.live_holder() is None
    assert main(["runs", str(tmp_path / "typo")]) == 2
    assert "typo is not a folder" in capsys.readouterr().err
