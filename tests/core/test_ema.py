"""G (EMA): G's weights averaged over its last updates, kept beside G, published with the grid,
saved in checkpoints, continued exactly on resume and drawn from by `sample --ema`."""

from __future__ import annotations

import torch

from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.launch import resume_run, start_run
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot, SampleGridSnapshot
from tests.conftest import tiny_config
from tests.test_cli import cli, one_error_line


def _state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def test_each_g_update_moves_the_average_part_of_the_way_to_g():
    trainer = Trainer(tiny_config(**{"optim.ema_decay": 0.9}))
    before = _state(trainer.gan.generator)
    assert all(torch.equal(before[k], v) for k, v in _state(trainer.gan.generator_ema).items())
    trainer.train_iteration()
    after, ema = _state(trainer.gan.generator), _state(trainer.gan.generator_ema)
    share = 1 - 2 / 11  # the first update: the average holds little of the random start
    for name, value in ema.items():
        if value.is_floating_point():
            expected = before[name] + share * (after[name].float() - before[name])
            torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6)
    trainer.train_iteration(d=True, g=False)  # Step D: G does not move, nor does its average
    assert all(torch.equal(ema[k], v) for k, v in _state(trainer.gan.generator_ema).items())
    moved = [k for k in ema if ema[k].is_floating_point() and not torch.equal(ema[k], after[k])]
    assert moved, "the average should lag behind G"


def test_a_decay_of_zero_makes_it_g_itself():
    trainer = Trainer(tiny_config(**{"optim.ema_decay": 0.0}))
    for _ in range(3):
        trainer.train_iteration()
    g, ema = _state(trainer.gan.generator), _state(trainer.gan.generator_ema)
    assert all(torch.equal(g[k].float(), ema[k].float()) for k in g)


def test_the_grid_and_the_weights_carry_g_ema_beside_g():
    trainer = Trainer(tiny_config())
    snaps = list(trainer.run())
    grid = [s for s in snaps if isinstance(s, SampleGridSnapshot)][-1]
    weights = [s for s in snaps if isinstance(s, GeneratorWeightsSnapshot)][-1]
    assert grid.ema_images.shape == grid.images.shape and grid.ema_images.dtype == grid.images.dtype
    assert grid.ema_d_probabilities.shape == grid.d_probabilities.shape
    assert not (grid.ema_images == grid.images).all()  # an average of G, not G
    assert set(weights.ema_state) == set(weights.state)


def test_a_resumed_run_continues_the_average_exactly(tmp_path):
    def train(root, iterations, resume=False):
        config = tiny_config(**{"schedule.iterations": iterations})
        if resume:
            trainer = resume_run(config, RunDirectory.open(root), CommandQueue(), how_to_extend="")
        else:
            trainer = start_run(config, root, CommandQueue())
        for _ in trainer.run():
            pass

    train(tmp_path / "straight", 6)
    train(tmp_path / "resumed", 3)
    train(tmp_path / "resumed", 6, resume=True)
    straight, resumed = (
        open_checkpoint(tmp_path / "straight"),
        open_checkpoint(tmp_path / "resumed"),
    )
    assert straight.has_ema and resumed.step == straight.step == 6
    a, b = straight.generator_state(ema=True), resumed.generator_state(ema=True)
    assert all(torch.equal(a[k], b[k]) for k in a)  # bit for bit, as G is


def test_sample_draws_with_g_ema_and_says_so_and_refuses_where_there_is_none(tmp_path):
    trainer = start_run(tiny_config(), tmp_path / "run", CommandQueue())
    for _ in trainer.run():
        pass
    done = cli("sample", "--checkpoint", tmp_path / "run", "--ema", "--n", "4",
               "--out", tmp_path / "ema.npz")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "G (EMA), iteration 6" in done.stderr and (tmp_path / "ema.npz").is_file()
    plain = cli("sample", "--checkpoint", tmp_path / "run", "--n", "4", "--out", tmp_path / "g.npz")
    import numpy as np

    assert not np.array_equal(np.load(tmp_path / "ema.npz")["images"],
                              np.load(tmp_path / "g.npz")["images"])  # fmt: skip
    assert plain.returncode == 0
    open_checkpoint(tmp_path / "run").path.joinpath("generator_ema.safetensors").unlink()
    old = cli("sample", "--checkpoint", tmp_path / "run", "--ema", "--out", tmp_path / "x.png")
    assert old.returncode == 2
    assert "holds no G (EMA)" in one_error_line(old) and not (tmp_path / "x.png").exists()


def test_live_g_ema_is_kept_apart_from_g_for_a_saved_file_to_be_made_again(tmp_path):
    import numpy as np

    from dcgan_studio.core.latent import LatentRenderer
    from dcgan_studio.core.recipes import Creation, persist_weights, reproduce, save_creation

    config = tiny_config()
    trainer = Trainer(config)
    for _ in range(3):
        trainer.train_iteration()
    snapshot = trainer.weights()
    g, ema = LatentRenderer.from_weights(snapshot), LatentRenderer.from_weights(snapshot, ema=True)
    assert ema.ema and not g.ema
    folders = {r.ema: persist_weights(r, config, tmp_path / "run") for r in (g, ema)}
    assert folders[True].name.endswith("-ema") and folders[True] != folders[False]
    z = np.random.default_rng(0).standard_normal((1, config.model.nz)).astype(np.float32)
    (image,) = save_creation(ema, Creation("image", z, 2), tmp_path / "e.png", str(folders[True]))
    again, _ = reproduce(image.with_suffix(".json"), tmp_path / "again.png")
    assert again.read_bytes() == image.read_bytes()
    assert not np.array_equal(g.render(z), ema.render(z))
