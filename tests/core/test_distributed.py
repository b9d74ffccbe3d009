"""Training under torchrun, as a person runs it: real torchrun processes (gloo on the CPU), real
run folders. Each torchrun start costs a few seconds (every process imports torch), so the
launches are shared where one run can answer several questions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from dcgan_studio.core import distributed
from dcgan_studio.core.data import BatchSampler
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.launch import start_run
from dcgan_studio.core.library import summarise
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import ScalarSnapshot
from tests.conftest import tiny_config

# 16 px, narrow networks, fp32, kernels by a fixed rule: a step takes milliseconds
TINY = [
    *"--image-size 16 --ngf 8 --ndf 8 --nz 16 --batch-size 8 --device cpu --precision fp32".split(),
    *"--sample-count 4 --log-every 1 --deterministic --no-progress".split(),
]
# BatchNorm normalises each process's part of the batch by that part's own statistics (CPU: no
# SyncBatchNorm), so a 2-process run is not bit-identical to one process with the same global
# batch; over the first steps its logged losses and D outputs stay this close
FIRST_STEPS_TOLERANCE = 0.05


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def torchrun(*args, nproc: int = 2, extra=(), **popen) -> list[str]:
    """The torchrun command line that trains with ARGS in ``nproc`` processes."""
    launcher = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}"]
    if not extra:
        launcher.append("--standalone")
    return [*launcher, *extra, "-m", "dcgan_studio", "train", *map(str, args)]


def run(command: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=_env())


def weights(checkpoint) -> dict[str, torch.Tensor]:
    return {
        **{f"G {k}": v for k, v in checkpoint.generator_state().items()},
        **{f"G (EMA) {k}": v for k, v in checkpoint.generator_state(ema=True).items()},
        **{f"D {k}": v for k, v in checkpoint.discriminator_state().items()},
    }


def assert_same_weights(a, b) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    different = [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert not different, different


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    """8 iterations in 2 processes, a checkpoint every 4: (run folder, what torchrun said)."""
    root = tmp_path_factory.mktemp("ddp") / "run"
    done = run(torchrun(*TINY, "--iterations", 8, "--checkpoint-every", 4, "--run-dir", root))
    assert done.returncode == 0, done.stderr[-3000:]
    return root, done.stderr


def test_two_processes_finish_as_one_run(two_process_run):
    root, said = two_process_run
    assert "Distributed: 2 processes (gloo, CPU), batch 8 per process, global batch 16" in said
    # checked inside the run: rank 0 all_gathers every weight and BatchNorm statistic
    assert "all 2 processes hold the same weights and BatchNorm statistics" in said
    assert said.count("finished 8 iterations") == 1  # rank 0 speaks for the run
    run_dir = RunDirectory.open(root)
    assert run_dir.checkpoint_steps() == [4, 8]
    assert [r["step"] for r in run_dir.read_metrics()] == list(range(1, 9))
    writer = run_dir.read_writer()
    assert writer["processes"] == 2 and writer["global_batch"] == 16
    assert writer["state"] == "finished" and writer["step"] == 8
    assert writer["command"].startswith("torchrun, 2 processes")
    assert summarise(root).problem == ""  # the runs library reads it as any run


def test_two_processes_start_as_one_process_with_the_global_batch(two_process_run):
    root, _ = two_process_run
    config = tiny_config(**{"optim.batch_size": 16, "schedule.iterations": 4})
    alone = [s for s in Trainer(config).run() if isinstance(s, ScalarSnapshot)]
    logged = RunDirectory(root).read_metrics()[:4]
    for one, two in zip(alone, logged, strict=True):
        for key in ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"):
            assert abs(getattr(one, key) - two[key]) < FIRST_STEPS_TOLERANCE, (one.step, key)
    # and not by chance: the samplers hand the processes the two halves of that same batch
    halves = [BatchSampler(100, 16, 7, (rank, 2)) for rank in (0, 1)]
    whole = BatchSampler(100, 16, 7)
    for _ in range(9):  # past an epoch: reshuffled alike
        assert torch.equal(torch.cat([h.next_indices() for h in halves]), whole.next_indices())


def test_a_checkpoint_written_under_ddp_samples(two_process_run, tmp_path):
    root, _ = two_process_run
    out = tmp_path / "grid.png"
    made = subprocess.run(
        [sys.executable, "-m", "dcgan_studio", "sample", "--checkpoint", str(root), "--n", "4",
         "--out", str(out)],
        capture_output=True, text=True, timeout=120, env=_env(),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert out.stat().st_size > 0


def test_resume_under_torchrun_continues_exactly(two_process_run, tmp_path):
    straight, _ = two_process_run
    copy = tmp_path / "run"
    shutil.copytree(straight, copy)
    shutil.rmtree(copy / "checkpoints" / "step-0000008")  # as if it had stopped at 4
    done = run(torchrun("--resume", copy, "--iterations", 8, "--no-progress"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert_same_weights(open_checkpoint(copy), open_checkpoint(straight))
    losses = ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")
    resumed, straight_lines = (RunDirectory(r).read_metrics() for r in (copy, straight))
    assert [[r[k] for k in losses] for r in resumed] == [
        [r[k] for k in losses] for r in straight_lines
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_run_of_one_process_continues_on_two_nodes(tmp_path):
    """Started alone (as the window starts runs), continued by two torchrun "machines" on
    127.0.0.1 that meet through the c10d rendezvous."""
    root = tmp_path / "run"
    trainer = start_run(tiny_config(**{"schedule.iterations": 3}), root)
    list(trainer.run())
    endpoint = f"127.0.0.1:{_free_port()}"
    nodes = [
        subprocess.Popen(
            torchrun(
                "--resume",
                root,
                "--iterations",
                6,
                "--no-progress",
                nproc=1,
                extra=[
                    "--nnodes=2",
                    f"--node-rank={rank}",
                    "--rdzv-backend=c10d",
                    f"--rdzv-endpoint={endpoint}",
                    "--rdzv-id=test",
                ],
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )  # fmt: skip
        for rank in (0, 1)
    ]
    said = [node.communicate(timeout=180)[1] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], said
    said = "".join(said)
    assert "Distributed: 2 processes on 2 machines (gloo, CPU)" in said
    assert "until iteration 3 this run trained with a global batch of 8" in said
    assert "all 2 processes hold the same weights" in said
    assert open_checkpoint(root).step == 6


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _rank_of(pid: int) -> int | None:
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    found = [e for e in env if e.startswith(b"RANK=")]
    return int(found[0][5:]) if found else None


def _start_long_run(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        torchrun(*TINY, "--iterations", 100_000, "--checkpoint-every", 5, "--run-dir", root),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        start_new_session=True,  # a process group of its own, as a terminal's job is
    )  # fmt: skip


def _wait_for_checkpoint(root: Path, launcher: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not (root / "checkpoints").is_dir() or not RunDirectory(root).checkpoint_steps():
        assert launcher.poll() is None, launcher.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds ranks through /proc")
def test_killing_one_process_ends_the_other_and_the_run_still_loads(tmp_path):
    root = tmp_path / "run"
    launcher = _start_long_run(root)
    try:
        _wait_for_checkpoint(root, launcher)
        ranks = {_rank_of(pid): pid for pid in _children(launcher.pid)}
        assert set(ranks) == {0, 1}, ranks
        killed = time.monotonic()
        os.kill(ranks[1], signal.SIGKILL)
        launcher.communicate(timeout=30)
        ended_after = time.monotonic() - killed
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    assert launcher.returncode != 0
    assert ended_after < 15, ended_after
    assert not Path(f"/proc/{ranks[0]}").exists() or _rank_of(ranks[0]) is None
    run_dir = RunDirectory.open(root)
    checkpoint = open_checkpoint(root)  # the last good one, whole
    assert checkpoint.step in run_dir.checkpoint_steps()
    assert run_dir.read_metrics()  # and what was logged reads back
    assert summarise(root).problem == ""


def test_ctrl_c_stops_every_process_at_one_step_with_a_checkpoint(tmp_path):
    root = tmp_path / "run"
    launcher = _start_long_run(root)
    try:
        _wait_for_checkpoint(root, launcher)
        os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl+C in the terminal does
        _, said = launcher.communicate(timeout=60)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    assert "stopped on request" in said, said[-3000:]
    assert "all 2 processes hold the same weights" in said
    step = open_checkpoint(root).step  # of the step where they stopped, logged as well
    assert RunDirectory(root).read_metrics()[-1]["step"] == step
    assert json.loads((root / "writer.json").read_text())["state"] == "stopped"


def test_each_process_says_its_own_failure_in_one_line(tmp_path):
    done = run(torchrun("--resume", tmp_path / "nothing", "--no-progress"))
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("dcgan-studio:")]
    assert any(
        line.startswith("dcgan-studio: error: process 0 of 2:") and "is not a DCGAN Studio run"
        in line for line in lines
    ), done.stderr  # fmt: skip
    # the other waited for rank 0, which told it why it did not start the run
    assert any(
        line.startswith("dcgan-studio: error: process 1 of 2: process 0 did not start the run:")
        and "is not a DCGAN Studio run" in line
        for line in lines
    ), done.stderr
    assert "internal error" not in done.stderr and "lost the other" not in done.stderr


def test_a_lost_peer_is_told_from_a_defect_in_words():
    gloo = RuntimeError(
        "[/__w/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:561] Connection closed by "
        "peer [127.0.0.1]:213. This is typically caused by a remote worker crashing."
    )
    assert distributed.lost_the_others(gloo) and not distributed.timed_out(gloo)
    assert distributed.failure_words(gloo) == "Connection closed by peer [127.0.0.1]:213"
    defect = RuntimeError("NCCL error: invalid usage (run with NCCL_DEBUG=WARN for details)")
    assert not distributed.lost_the_others(defect)


def test_a_refused_resume_is_said_by_every_process_without_a_lost_peer(two_process_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(two_process_run[0], copy)
    done = run(torchrun("--resume", copy, "--no-progress"))
    assert done.returncode != 0
    assert "process 0 of 2: the run in" in done.stderr and "already at iteration 8" in done.stderr
    assert "process 1 of 2: process 0 did not start the run: the run in" in done.stderr
    assert "lost the other processes" not in done.stderr, done.stderr[-3000:]


def test_max_seconds_stops_every_process_and_says_why(tmp_path):
    root = tmp_path / "run"
    done = run(torchrun(*TINY, "--iterations", 100_000, "--max-seconds", 3, "--run-dir", root))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "stopped after --max-seconds 3" in done.stderr
    assert "all 2 processes hold the same weights" in done.stderr
    assert RunDirectory(root).read_metrics()[-1]["step"] == open_checkpoint(root).step


def test_a_global_batch_larger_than_the_data_is_refused_per_process():
    from dcgan_studio.core.data import check_batch_fits
    from dcgan_studio.errors import ConfigError

    few = type("Few", (), {"name": "folder:few", "__len__": lambda self: 100})()
    config = tiny_config(**{"optim.batch_size": 64})
    check_batch_fits(few, config, 1)
    with pytest.raises(ConfigError, match=r"at most 50 per process: .* \(2 processes x 64\)"):
        check_batch_fits(few, config, 2)


# ---- the parts, in one process ------------------------------------------------------------------
def test_first_difference_names_the_tensor_that_differs():
    a = torch.arange(5.0)
    b = a.clone()
    names, sizes = ["G w", "D w"], [2, 3]
    assert distributed.first_difference([a, a.clone()], names, sizes) is None
    b[3] += 1e-6
    assert distributed.first_difference([a, b], names, sizes) == (
        "process 1 differs from process 0 in D w"
    )


def test_alone_the_team_changes_nothing():
    team = distributed.Team()
    net = torch.nn.Linear(2, 2)
    assert team.wrap(net, torch.device("cpu")) is net
    values = [torch.tensor(1.0)]
    assert team.agree([], values, torch.tensor(2.0), True) == (values, torch.tensor(2.0), True)
    assert team.same_everywhere({"G": net}) is None
    assert distributed.training_device(team, torch.device("cpu")) == torch.device("cpu")


def test_every_process_on_one_gpu_is_refused(monkeypatch):
    team = distributed.Team(rank=1, world=2, local_rank=1)
    team.joined = True
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(distributed.StudioError, match="LOCAL_RANK 1 and this machine has 1 GPU"):
        distributed.training_device(team, torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(distributed.StudioError, match="give --device cuda"):
        distributed.training_device(team, torch.device("cuda", 0))
    assert distributed.training_device(team, torch.device("cuda")) == torch.device("cuda", 1)
