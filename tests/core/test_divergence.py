"""A run that diverges without a NaN stops like one; alerts rise in the engine, are recorded in the
run, and the checkpoint before each alert survives pruning."""

import torch

from dcgan_studio.core.alerts import D_WINS, Alert, AlertMonitor
from dcgan_studio.core.divergence import LOSS_LIMIT, WEIGHT_LIMIT
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.launch import resume_run
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import AlertSnapshot, ScalarSnapshot
from tests.conftest import run_acting_at, tiny_config


def _every_2_keeping(keep: int):
    """12 iterations, a checkpoint every 2, the newest ``keep`` kept."""
    values = {"schedule.iterations": 12, "schedule.checkpoint_every": 2}
    return tiny_config(**values, **{"schedule.keep_checkpoints": keep})


def test_weights_beyond_bounds_stop_the_run_like_a_nan(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 20})
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    huge = 100 * WEIGHT_LIMIT  # finite: no NaN will ever say so
    snaps = run_acting_at(trainer, 4, lambda t: t.generator.main.convT1.weight.mul_(huge))
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
    assert f"the losses stayed above {LOSS_LIMIT:g} for 3 logged steps" in final.message
    assert "D has saturated" in final.message
    if final.checkpoint is not None:  # what is kept was saved while the losses were sane
        steps = [r["step"] for r in RunDirectory(tmp_path / "run").read_metrics()]
        kept = int(final.checkpoint.rsplit("-", 1)[1])
        saved = [r for r in RunDirectory(tmp_path / "run").read_metrics() if r["step"] == kept]
        assert kept in steps and max(saved[0]["loss_d"], saved[0]["loss_g"]) <= LOSS_LIMIT


def test_a_nan_says_nan(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 10})
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    snaps = run_acting_at(trainer, 1, lambda t: t.generator.main.convT1.weight.fill_(float("nan")))
    assert snaps[-1].state == "failed" and "a loss became NaN" in snaps[-1].message


def _train_watched_by(monitor, cfg, tmp_path, monkeypatch):
    """A new run of ``cfg`` trained to its end with ``monitor`` (a class, or a function that
    makes one) as the engine's AlertMonitor: (the run, its snapshots)."""
    import dcgan_studio.core.engine as engine

    monkeypatch.setattr(engine, "AlertMonitor", monitor)
    run = RunDirectory.create(tmp_path / "run", cfg)
    return run, list(Trainer(cfg, run).run())


class _LateMonitor(AlertMonitor):
    """The real monitor, but "D wins" rises at step 7, its sign seen since step 5."""

    def __init__(self):
        super().__init__(collapse_ratio=1e-9)

    def observe_scalars(self, snap):
        if snap.step != 7:
            return super().observe_scalars(snap)
        return self._raise(
            Alert(D_WINS, 7, "D is winning too easily", "...", "Try: ...", "warning", since=5)
        )


def test_an_alert_rises_once_in_the_engine_and_its_checkpoint_survives_pruning(
    tmp_path, monkeypatch
):
    cfg = _every_2_keeping(2)
    run, snaps = _train_watched_by(_LateMonitor, cfg, tmp_path, monkeypatch)
    alerts = [s for s in snaps if isinstance(s, AlertSnapshot)]
    raised = [(a.step, a.raised.kind, a.active, a.checkpoint_before) for a in alerts if a.raised]
    assert raised == [(7, D_WINS, (D_WINS,), 4)]  # the newest checkpoint from before step 5
    assert (alerts[-1].raised, alerts[-1].active) == (None, ())  # D's loss is healthy: cleared
    assert snaps[-1].state == "finished"  # a warning does not stop the run
    assert run.read_alerts()[0]["checkpoint_before"] == 4
    assert run.checkpoint_steps() == [4, 10, 12]  # keep 2, and the protected one

    longer = cfg.with_values({"schedule.iterations": 16})  # a resume prunes by the same rule
    list(resume_run(longer, run, how_to_extend="").run())
    assert run.checkpoint_steps() == [4, 14, 16]


def test_where_pruning_took_the_checkpoint_before_the_sign_the_one_before_the_alert_stays(
    tmp_path, monkeypatch
):
    run, snaps = _train_watched_by(_LateMonitor, _every_2_keeping(1), tmp_path, monkeypatch)
    assert [s.checkpoint_before for s in snaps if isinstance(s, AlertSnapshot) and s.raised] == [6]
    assert run.checkpoint_steps() == [6, 12]


def test_without_alerts_pruning_keeps_only_the_newest(tmp_path, monkeypatch):
    def monitor():  # 4 tiles of a tiny G do look alike: no collapse alert for this test
        return AlertMonitor(collapse_ratio=1e-9)

    run, snaps = _train_watched_by(monitor, _every_2_keeping(1), tmp_path, monkeypatch)
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


def test_one_spiked_loss_does_not_stop_a_healthy_run(tmp_path):
    from dcgan_studio.core.divergence import LOSS_CHECKS

    cfg = tiny_config(**{"schedule.iterations": 12})
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    # one logged step far above the limit
    snaps = run_acting_at(trainer, 4, lambda t: t.gan.last.update(loss_g=torch.tensor(500.0)))
    assert snaps[-1].state == "finished", snaps[-1].message
    assert LOSS_CHECKS > 1


def test_a_second_trainer_in_the_same_run_is_refused_in_one_line(tmp_path):
    from dcgan_studio.errors import RunDirectoryError

    cfg = tiny_config(**{"schedule.iterations": 3})
    run = RunDirectory.create(tmp_path / "run", cfg)
    list(Trainer(cfg, run).run())
    longer = cfg.with_values({"schedule.iterations": 6})
    first = resume_run(longer, run, how_to_extend="")
    try:
        resume_run(longer, run, how_to_extend="")
        raise AssertionError("a second trainer took the run")
    except RunDirectoryError as exc:
        assert f"the run {run.root} is being trained by process " in str(exc)
    list(first.run())  # its end frees the run for the next
    assert resume_run(cfg.with_values({"schedule.iterations": 8}), run, how_to_extend="").step == 6


def test_a_sign_seen_from_the_first_step_keeps_the_checkpoint_before_the_alert(
    tmp_path, monkeypatch
):
    # "D wins" is seen from step 1 on but rises only after 7 steps of patience, at step 8
    def monitor():
        return AlertMonitor(d_loss_floor=100.0, d_loss_patience=7, collapse_ratio=1e-9)

    cfg = tiny_config(
        **{
            "schedule.iterations": 12,
            "schedule.checkpoint_every": 1,
            "schedule.keep_checkpoints": 2,
        }
    )
    run, snaps = _train_watched_by(monitor, cfg, tmp_path, monkeypatch)
    alert = next(s for s in snaps if isinstance(s, AlertSnapshot))
    assert alert.raised.step == 8 and alert.raised.since == 1
    # no checkpoint is older than the sign itself: the newest before the alert rose is kept
    assert alert.checkpoint_before == 7
    assert run.checkpoint_steps() == [7, 11, 12]


def test_an_alert_that_flaps_protects_its_first_and_latest_checkpoints_only(tmp_path):
    from dcgan_studio.core.alerts import MODE_COLLAPSE, Alert

    cfg = tiny_config(**{"schedule.iterations": 2})
    run = RunDirectory.create(tmp_path / "run", cfg)
    for before in (2, 4, 6, 8):
        run.record_alert(Alert(MODE_COLLAPSE, before + 1, "t", "m", "Try: x", "warning"), before)
    run.record_alert(Alert(D_WINS, 9, "t", "m", "Try: x", "warning"), 5)
    assert run.protected_steps() == {2, 8, 5}
