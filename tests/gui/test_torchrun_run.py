"""A run written under torchrun (DDP, 2 processes) opens in the window as any run: its history,
its grids, and its checkpoint in the latent explorer."""

from __future__ import annotations

from tests.core.test_distributed import TINY, run, torchrun


def test_a_run_trained_by_two_processes_opens_in_the_window(qtbot, make_window, tmp_path):
    root = tmp_path / "ddp"
    done = run(torchrun(*TINY, "--iterations", 6, "--sample-every", 3, "--checkpoint-every", 3,
                        "--run-dir", root))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    window = make_window(iterations=60)
    window.open_run(root)
    qtbot.waitUntil(lambda: len(window.run.history) == 6, timeout=10_000)
    assert window.sample_panel.steps == [0, 3, 6]
    assert window.controls.editors["optim.batch_size"].value() == 8  # per process, as given
    explorer = window.latent
    window.explore_checkpoint(root)
    qtbot.waitUntil(
        lambda: explorer.jobs.renderer is not None and explorer.view.main_view.shown is not None,
        timeout=20_000,
    )
    assert explorer.jobs.renderer.step == 6
