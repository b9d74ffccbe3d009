"""The Trainer: a run of training, snapshots out, commands in.

The Trainer takes the ``Gan`` (core.gan) through the run's schedule, one iteration at a time.
Between iterations it drains its ``CommandQueue`` (pause, resume, stop, step, learning rates, the
layer to probe); it decides its own cadence for scalars (a ``.item()`` is a device sync), sample
grids and checkpoints, and a run that diverges stops with its last good checkpoint kept. ``run()``
is a generator of snapshots: the command line prints them, the window's worker thread forwards
them. What goes out and into the run folder, once a step, is the ``Publisher``'s (core.publishing);
how a session ends (its last checkpoint, divergence, a failed write) is core.ending's.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator

import torch

from dcgan_studio.config import RunConfig
from dcgan_studio.core import checkpointing, distributed, ending, probes, snapshots
from dcgan_studio.core import commands as cmd
from dcgan_studio.core.alerts import AlertMonitor
from dcgan_studio.core.commands import Command, CommandQueue
from dcgan_studio.core.data import ImageDataset, load_dataset
from dcgan_studio.core.devices import resolve_device, resolve_precision
from dcgan_studio.core.divergence import LOSS_LIMIT
from dcgan_studio.core.gan import Gan
from dcgan_studio.core.publishing import Publisher
from dcgan_studio.core.run_writer import RunWriter
from dcgan_studio.core.runs import Checkpoint, RunDirectory
from dcgan_studio.core.snapshots import ProbeRequest, Snapshot, StatusSnapshot
from dcgan_studio.core.writer_status import now, writer_record
from dcgan_studio.errors import ConfigError, RunDirectoryError

# seconds between live feature-map captures: each is drawn on the GUI thread, which shares the
# interpreter with training, so fewer captures cost training less
PROBE_INTERVAL = 0.5


class Trainer:
    def __init__(
        self,
        config: RunConfig,
        run: RunDirectory | None = None,
        *,
        dataset: ImageDataset | None = None,
        commands: CommandQueue | None = None,
        resume_from: Checkpoint | None = None,
    ) -> None:
        self.config = config.validate()
        self.run_dir = run
        self.commands = commands or CommandQueue()
        self.team = distributed.team()  # the processes of a run under torchrun; else this one
        self.device = distributed.training_device(self.team, resolve_device(config.runtime.device))
        if self.device.type == "cuda":  # fixed shapes: cuDNN times its kernels once, then reuses
            torch.backends.cudnn.benchmark = True
        self.precision = resolve_precision(config.runtime.precision, self.device)
        self.dataset = dataset if dataset is not None else load_dataset(config)
        self.gan = Gan(self.config, self.dataset, self.device, self.precision)
        self.team.built()  # every process has its networks in DDP: rank 0 may refuse the run
        self.step = 0  # G updates done
        self.elapsed = 0.0  # seconds spent training, over all sessions of the run
        self.total_iterations = self._total_iterations()
        self.state = "idle"
        alerts = AlertMonitor()  # the signs of failing training, the same in every viewer
        alerts.fit_to_run(self.total_iterations)
        self.writer = RunWriter()  # the run's files; a failed write pauses or stops the run
        self.publisher = Publisher(alerts, self.writer)
        self.probe: ProbeRequest | None = None  # what the feature-map viewer wants to see
        self.probe_interval = PROBE_INTERVAL
        self._probe_due = 0.0  # time.monotonic() of the next live capture
        self._rate_mark = (time.perf_counter(), 0)  # (time, step) of the last img/s reading
        self._high_losses = 0  # logged steps in a row with a loss above divergence.LOSS_LIMIT
        self.last_checkpoint = None
        self.pause_on_write_error = False  # the window pauses; the command line stops
        self.recovered: list[str] = []  # what a resume repaired in the run folder, a line each
        self.threads: int | None = None  # the CPU threads a deterministic resume must train with
        self.run_lock = None  # runs.RunLock, held from start_run / resume_run to the end of run()
        self.writer_name = "the DCGAN Studio window"  # who trains, as writer.json names it
        self._started_at = ""  # when this session of training began (writer.json)
        if resume_from is not None:
            self._load(resume_from)

    # the GAN's parts, as viewers, benchmarks and tests look at them
    generator = property(lambda self: self.gan.generator)
    discriminator = property(lambda self: self.gan.discriminator)
    opt_g = property(lambda self: self.gan.opt_g)
    opt_d = property(lambda self: self.gan.opt_d)
    sampler = property(lambda self: self.gan.sampler)
    noise_rng = property(lambda self: self.gan.noise_rng)
    kernels = property(lambda self: self.gan.kernels)
    images = property(lambda self: self.gan.images)
    fixed_noise = property(lambda self: self.gan.fixed_noise)
    epoch = property(lambda self: self.gan.sampler.epoch)

    def _total_iterations(self) -> int:
        s = self.config.schedule
        if s.iterations is not None:
            return s.iterations
        per_epoch = self.gan.sampler.batches_per_epoch
        return max(1, math.ceil(s.epochs * per_epoch / self.config.optim.d_steps))

    @property
    def global_batch(self) -> int:
        """The batch of one iteration over every process (``--batch-size`` is per process)."""
        return self.config.optim.batch_size * self.team.world

    def train_iteration(self, d: bool = True, g: bool = True, stop: int = 0) -> int:
        """``d_steps`` D updates then one G update (or only one side, for Step D / Step G).
        ``stop``: why this process was asked to stop (``distributed.STOP_*``), or 0; returns why
        any process was."""
        log = (self.step + 1) % self.config.schedule.log_every == 0 or not (d and g)
        started = time.perf_counter()
        stop = self.gan.iteration(d, g, want_norm=log, step=self.step, stop=stop)
        if g:
            self.step += 1
        self.elapsed += time.perf_counter() - started
        return stop

    # ---- the snapshots of this step -------------------------------------------------------------
    def sample_grid(self) -> snapshots.SampleGridSnapshot:
        return self.gan.sample_grid(self.step)

    def real_batch(self) -> snapshots.RealBatchSnapshot:
        return self.gan.real_batch(self.step)

    def feature_maps(self, request: ProbeRequest) -> snapshots.FeatureMapSnapshot:
        return self.gan.feature_maps(self.step, request)

    def filters(self) -> snapshots.FiltersSnapshot:
        return self.gan.filters(self.step)

    def weights(self) -> snapshots.GeneratorWeightsSnapshot:
        return self.gan.weights(self.step)

    def scalars(self) -> snapshots.ScalarSnapshot:
        now, (mark_time, mark_step) = time.perf_counter(), self._rate_mark
        rate = (self.step - mark_step) * self.global_batch / max(now - mark_time, 1e-9)
        self._rate_mark = (now, self.step)
        return self.gan.scalars(self.step, self.elapsed, rate)

    def diverged(self) -> bool:
        """A loss or a weight went beyond bounds: every further update is meaningless."""
        return self.divergence() is not None

    def divergence(self) -> str | None:
        """What went beyond bounds, in words; None while training is sane."""
        return self.gan.divergence(self._high_losses)

    # ---- the loop -------------------------------------------------------------------------------
    def run(self, max_seconds: float | None = None) -> Iterator[Snapshot]:
        """Train to the end of the schedule, yielding snapshots; stops early on command. A
        deterministic resume trains with the thread count it was made with, and only while it
        trains: the count is the whole process's (the window's other workers too)."""
        before = torch.get_num_threads()
        try:
            if self.config.runtime.tensorboard and self.run_dir is not None:
                from dcgan_studio.core.tensorboard_log import TensorBoardLog

                self.publisher.tensorboard = TensorBoardLog(self.run_dir, self.step)
            yield from self._run_with_threads(max_seconds)
        finally:
            events, self.publisher.tensorboard = self.publisher.tensorboard, None
            if events is not None:
                events.close()  # never raises: the run's lock is let go below whatever happens
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)
            if self.run_lock is not None:  # another trainer may take the run from now on
                self.run_lock.release()

    def _run_with_threads(self, max_seconds: float | None) -> Iterator[Snapshot]:
        # under torchrun each process trains with the threads torchrun gave it (OMP_NUM_THREADS)
        restore = self.threads is not None and not self.team.joined
        if restore and self.threads != torch.get_num_threads():
            if self.threads <= (os.cpu_count() or 1):
                torch.set_num_threads(self.threads)
            else:
                self.recovered.append(
                    f"this run trained with {self.threads} CPU threads and this machine has "
                    f"{os.cpu_count()}: it goes on, but not bit-identical to a straight run"
                )
        yield from self._train(max_seconds)

    def _train(self, max_seconds: float | None) -> Iterator[Snapshot]:
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self.state = "running"
        self._started_at = now()
        self.record_writer("training")
        yield self.status(f"training on {self.device} ({self.precision.reason})")
        if self.recovered:  # what a resume repaired in the run folder
            yield self.status("; ".join(self.recovered))
        if self.step == 0:
            yield from self._publish_grid()
        self._rate_mark = (time.perf_counter(), self.step)
        alone = not self.team.joined  # else a stop waits for the processes to agree on it
        while self.step < self.total_iterations or self.state == "paused":
            for command in self.commands.drain():
                yield from self._handle(command)
            if self.state == "stopping" and alone:
                break
            if self.state == "paused":
                command = self.commands.wait(timeout=0.1)
                if command is not None:
                    yield from self._handle(command)
                continue
            if self.step >= self.total_iterations:  # resumed after a failed write at the end
                break
            out_of_time = deadline is not None and time.monotonic() >= deadline
            if out_of_time and alone:
                yield from ending.finish(
                    self, "stopped", f"stopped after --max-seconds {max_seconds:g}"
                )
                return
            asked = distributed.STOP_ASKED if self.state == "stopping" else 0
            asked |= distributed.STOP_OUT_OF_TIME if out_of_time else 0
            stop = self.train_iteration(stop=asked)
            yield from self._after_iteration()
            if self.state == "failed":
                return
            if stop and not alone and self.step < self.total_iterations:
                # every process stops after this same iteration, for the same reason
                if stop & distributed.STOP_ASKED:
                    self.state = "stopping"
                    break
                yield from ending.finish(
                    self, "stopped", f"stopped after --max-seconds {max_seconds:g}"
                )
                return
        if self.state == "stopping":
            yield from ending.finish(self, "stopped", "stopped on request")
        else:
            yield from ending.finish(self, "finished", f"finished {self.step} iterations")

    def _after_iteration(self, force_log: bool = False) -> Iterator[Snapshot]:
        s = self.config.schedule
        last = self.step >= self.total_iterations
        log = force_log or last or self.step % s.log_every == 0
        sample = force_log or last or self.step % s.sample_every == 0
        checkpoint = self.step % s.checkpoint_every == 0 and not last and not force_log
        if (log or sample or checkpoint) and self.diverged():
            yield from ending.fail(self)
            return
        if log:
            yield from self._log_scalars()
            broken = self.publisher.newly_broken(self.images)
            if broken is not None:
                yield self.status(broken)
        if sample:
            yield from self._publish_grid()
        if checkpoint and self.writer.failure is None:
            try:
                self.save_checkpoint(checked=True)
            except RunDirectoryError as exc:
                self.writer.checkpoint_failed(str(exc))
        if self.probe is not None and (force_log or time.monotonic() >= self._probe_due):
            yield from self._capture_probe()
        if self.writer.failure is not None:
            yield from ending.write_failed(self)

    def status(self, message: str, problem: str = "") -> StatusSnapshot:
        checkpoint = None if self.last_checkpoint is None else str(self.last_checkpoint)
        return StatusSnapshot(self.step, self.state, message, checkpoint, problem)

    def show_this_step(self) -> Iterator[Snapshot]:
        """The scalars and the grid of the current step, where they have not gone out yet."""
        if self.publisher.logged_step != self.step and self.step > 0:
            yield from self._log_scalars()
        if self.publisher.grid_step != self.step:
            yield from self._publish_grid()

    def _log_scalars(self) -> Iterator[Snapshot]:
        scalars = self.scalars()
        high = max(scalars.loss_d, scalars.loss_g) > LOSS_LIMIT
        self._high_losses = self._high_losses + 1 if high else 0
        yield from self.publisher.scalars(self.run_dir, scalars)

    def _publish_grid(self) -> Iterator[Snapshot]:
        grid, real = self.sample_grid(), self.real_batch()
        yield from self.publisher.grid(self.run_dir, grid, real, self.weights(), self.filters())

    def _capture_probe(self) -> Iterator[Snapshot]:
        self._probe_due = time.monotonic() + self.probe_interval
        yield self.feature_maps(self.probe)

    # ---- commands -------------------------------------------------------------------------------
    def _handle(self, command: Command) -> Iterator[Snapshot]:
        kind = command.kind
        if kind == cmd.STOP:
            self.state = "stopping"
        elif kind == cmd.PAUSE and self.state == "running":
            self.state = "paused"
            yield from self.show_this_step()  # what a paused window shows is of this step
            self.record_writer("paused")
            yield self.status("paused")
        elif kind == cmd.RESUME and self.state == "paused":
            yield from self._resume()
            if self.state == "running":
                self.record_writer("training")
        elif kind in (cmd.STEP, cmd.STEP_D, cmd.STEP_G):
            yield from self._step_once(d=kind != cmd.STEP_G, g=kind != cmd.STEP_D)
        elif kind == cmd.SET_LR:
            yield from self._set_rate(command.network, float(command.value))  # type: ignore[arg-type]
        elif kind == cmd.PROBE:
            yield from self._set_probe(command.value)  # type: ignore[arg-type]

    def _resume(self) -> Iterator[Snapshot]:
        self.writer.retry()  # what could not be written (space freed since, one hopes)
        if self.writer.failure is not None:
            yield from ending.write_failed(self)
            return
        self.state = "running"
        self._rate_mark = (time.perf_counter(), self.step)
        yield self.status("running")

    def _step_once(self, d: bool, g: bool) -> Iterator[Snapshot]:
        if self.step >= self.total_iterations:  # paused at the end: nothing more to step
            return
        if self.state == "running":
            self.state = "paused"
            self.record_writer("paused")
            yield self.status("paused to step")
        self.train_iteration(d, g)
        yield from self._after_iteration(force_log=True)

    def _set_rate(self, network: str, value: float) -> Iterator[Snapshot]:
        """A learning rate the config allows; the run's config then says the rate in use, so
        that a resume continues with it."""
        try:
            config = self.config.with_values({f"optim.lr_{network}": value}).validate()
        except ConfigError as exc:
            yield self.status(f"ignored learning rate {value:g}: use {exc.allowed}")
            return
        self.gan.set_rate(network, value)
        self.config = config
        if self.run_dir is not None:
            self.writer.write(
                "the run's settings",
                self.run_dir.config_path,
                lambda: self.run_dir.write_config(self.config),
            )

    def _set_probe(self, request: ProbeRequest | None) -> Iterator[Snapshot]:
        if request is not None:
            try:  # a layer this run's networks do not have is the viewer's mistake
                probes.layer_spec(self.gan.network(request.network), request.layer)
            except ValueError as exc:
                yield self.status(f"ignored feature-map request: {exc}")
                return
        self.probe = request
        if request is not None:
            yield from self._capture_probe()

    # ---- checkpoints ----------------------------------------------------------------------------
    def save_checkpoint(self, checked: bool = False) -> str | None:
        """Save G, D and the training state; never a diverged model (the last good one stays).
        ``checked``: the caller looked at ``diverged()`` since the last update (a device sync
        and a pass over every weight, not done twice)."""
        if self.run_dir is None or self._high_losses or (not checked and self.diverged()):
            return None  # nor one whose last logged losses were beyond bounds
        self.last_checkpoint = checkpointing.save(
            self.run_dir.checkpoint_path(self.step),
            self.gan.parts(),
            self.config,
            self.step,
            self.elapsed,
            self.gan.fixed_noise,
            self.last_checkpoint,
        )
        self.run_dir.prune_checkpoints(self.config.schedule.keep_checkpoints)
        if self.state in ("running", "paused"):
            self.record_writer("training" if self.state == "running" else "paused")
        return str(self.last_checkpoint)

    def record_writer(self, state: str) -> None:
        """Who trains the run and how it stands, in writer.json, for a window that follows it
        from elsewhere. Only the process that writes the run folder writes it."""
        if self.run_dir is None:
            return
        run = self.run_dir
        record = writer_record(
            self.writer_name, self.team.world, self.global_batch, state, self.step, self._started_at
        )
        self.writer.write("who writes the run", run.writer_path, lambda: run.write_writer(record))

    def _load(self, checkpoint: Checkpoint) -> None:
        parts, shape = self.gan.parts(), tuple(self.gan.fixed_noise.shape)
        restored = checkpointing.restore(parts, checkpoint, shape)
        self.step, self.elapsed = restored.step, restored.elapsed
        self.gan.fixed_noise, self.threads = restored.fixed_noise, restored.threads
        self.gan.use_settings(self.config.optim)  # the run's rates, not what the file held
        self.last_checkpoint = checkpoint.path
        self.publisher.seen(self.step)  # the run before saw them out
