"""A run that diverges without a NaN stops like one; alerts rise in the engine, are recorded in the
run, and the checkpoint before each alert survives pruning."""

import torch

from dcgan_studio.core.alerts import D_WINS, AlertMonitor
from dcgan_studio.core.divergence import LOSS_LIMIT, WEIGHT_LIMIT
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.launch import resume_run
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import AlertSnapshot, ScalarSnapshot
from tests.conftest import tiny_config


def _run_until_failed(trainer, at_step, blow_up):
    snaps = []
    for snap in trainer.run():
        snaps.append(snap)
        if isinstance(snap, ScalarSnapshot) and snap.step == at_step:
            with torch.no_grad():
                blow_up(trainer)
    return snaps


def test_weights_beyond_bounds_stop_the_run_like_a_nan(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 20})
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    huge = 100 * WEIGHT_LIMIT  # finite: no NaN will ever say so
    snaps = _run_until_failed(trainer, 4, lambda t: t.generator.main.convT1.weight.mul_(huge))
    final = snaps[-1]
    assert final.state == "failed" and trainer.step < 20
    assert "diverged" in final.message and "a weight of G reached" in final.message
    assert trainer.run_dir.checkpoint_steps() == [3]  # nothing saved after the blow-up
    assert all(
        t.abs().max() < WEIGHT_LIMIT
        for t in open_checkpoint(tmp_path / "run").generator_state().values()
    )
    record = trainer.run_dir.read_alerts()[-1]
    assert record["kind"] == "non_finite" and record["checkpoint_before"] == 3


def test_a_saturated_loss_stops_the_run(tmp_path):
    # lr 1 saturates D within a few steps: losses in the hundreds, every gradient exactly 0
    cfg = tiny_config(
        **{
            "schedule.iterations": 30,
            "optim.lr_g": 1.0,
            "optim.lr_d": 1.0,
            "schedule.checkpoint_every": 5,
        }
    )
    snaps = list(Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg)).run())
    final = snaps[-1]
    assert final.state == "failed", final.message
    assert f"above {LOSS_LIMIT:g}" in final.message and "no gradient reaches G" in final.message


def test_a_nan_says_nan(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 10})
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    snaps = _run_until_failed(
        trainer, 1, lambda t: t.generator.main.convT1.weight.fill_(float("nan"))
    )
    assert snaps[-1].state == "failed" and "a loss became NaN" in snaps[-1].message


def _eager_monitor():
    """D's loss is always under a floor of 100: "D wins" rises after 4 steps and never clears."""
    return AlertMonitor(d_loss_floor=100.0, d_loss_patience=4, collapse_ratio=1e-9)


def test_an_alert_rises_once_in_the_engine_and_its_checkpoint_survives_pruning(
    tmp_path, monkeypatch
):
    import dcgan_studio.core.engine as engine

    monkeypatch.setattr(engine, "AlertMonitor", _eager_monitor)
    cfg = tiny_config(
        **{
            "schedule.iterations": 12,
            "schedule.checkpoint_every": 2,
            "schedule.keep_checkpoints": 1,
        }
    )
    run = RunDirectory.create(tmp_path / "run", cfg)
    snaps = list(Trainer(cfg, run).run())
    alerts = [s for s in snaps if isinstance(s, AlertSnapshot)]
    assert [(a.step, a.raised.kind, a.active) for a in alerts] == [(5, D_WINS, (D_WINS,))]
    assert snaps[-1].state == "finished"  # a warning does not stop the run
    # the alert rose at step 5: the checkpoint of step 4 is the one to go back to
    assert run.read_alerts()[0]["checkpoint_before"] == 4
    assert run.checkpoint_steps() == [4, 12]  # keep 1, and the protected one

    longer = cfg.with_values({"schedule.iterations": 16})  # a resume prunes by the same rule
    list(resume_run(longer, run, how_to_extend="").run())
    assert run.checkpoint_steps() == [4, 16]


def test_without_alerts_pruning_keeps_only_the_newest(tmp_path, monkeypatch):
    import dcgan_studio.core.engine as engine

    # 4 tiles of a tiny G do look alike: no collapse alert for this test
    monkeypatch.setattr(engine, "AlertMonitor", lambda: AlertMonitor(collapse_ratio=1e-9))
    cfg = tiny_config(
        **{
            "schedule.iterations": 12,
            "schedule.checkpoint_every": 2,
            "schedule.keep_checkpoints": 1,
        }
    )
    run = RunDirectory.create(tmp_path / "run", cfg)
    snaps = list(Trainer(cfg, run).run())
    assert not [s for s in snaps if isinstance(s, AlertSnapshot)]
    assert run.checkpoint_steps() == [12] and run.read_alerts() == []


def test_a_resume_takes_the_learning_rates_of_the_run_not_of_the_file(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 3})
    run = RunDirectory.create(tmp_path / "run", cfg)
    list(Trainer(cfg, run).run())
    state_file = run.latest_checkpoint() / "training_state.pt"
    state = torch.load(state_file, weights_only=True)
    for key in ("optimizer_g", "optimizer_d"):  # a forged file: lr 1e6
        for group in state[key]["param_groups"]:
            group["lr"] = 1e6
    torch.save(state, state_file)
    slower = cfg.with_values({"schedule.iterations": 6, "optim.lr_g": 1e-4})
    trainer = resume_run(slower, run, how_to_extend="")
    assert [g["lr"] for g in trainer.opt_g.param_groups] == [1e-4]
    assert [g["lr"] for g in trainer.opt_d.param_groups] == [cfg.optim.lr_d]


def test_a_learning_rate_set_while_training_is_the_run_s_from_then_on(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 4})
    run = RunDirectory.create(tmp_path / "run", cfg)
    trainer = Trainer(cfg, run)
    for snap in trainer.run():
        if isinstance(snap, ScalarSnapshot) and snap.step == 1:
            trainer.commands.set_lr("g", 3e-4)
    assert run.read_config().optim.lr_g == 3e-4
    resumed = resume_run(
        run.read_config().with_values({"schedule.iterations": 8}), run, how_to_extend=""
    )
    assert resumed.opt_g.param_groups[0]["lr"] == 3e-4
