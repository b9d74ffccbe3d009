"""The Trainer: one DCGAN iteration at a time, snapshots out, commands in.

An iteration is ``d_steps`` updates of D (a real batch and a fake batch each, minimax loss with
one-sided label smoothing) then one update of G (the non-saturating loss), as in the guides. Between
iterations the trainer drains its ``CommandQueue``; it decides its own cadence for scalars (a
``.item()`` is a device sync), sample grids and checkpoints. ``run()`` is a generator of snapshots:
the command line prints them, the window's worker thread forwards them.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from types import MappingProxyType

import torch
import torch.nn.functional as F

from dcgan_studio.config import RunConfig
from dcgan_studio.core import checkpointing, cpu_conv, probes
from dcgan_studio.core import commands as cmd
from dcgan_studio.core.alerts import NON_FINITE, Alert, AlertMonitor
from dcgan_studio.core.commands import Command, CommandQueue
from dcgan_studio.core.data import (
    BatchSampler,
    ImageDataset,
    load_dataset,
    skipped_line,
    to_tanh_range,
)
from dcgan_studio.core.devices import resolve_device, resolve_precision
from dcgan_studio.core.divergence import LOSS_LIMIT, divergence, worst
from dcgan_studio.core.export import save_grid_png
from dcgan_studio.core.models import Discriminator, Generator, as_in_training
from dcgan_studio.core.run_writer import RunWriter
from dcgan_studio.core.runs import Checkpoint, RunDirectory, save_checkpoint_folder
from dcgan_studio.core.sampling import fixed_inputs
from dcgan_studio.core.snapshots import (
    AlertSnapshot,
    FeatureMapSnapshot,
    FiltersSnapshot,
    GeneratorWeightsSnapshot,
    ProbeRequest,
    RealBatchSnapshot,
    SampleGridSnapshot,
    ScalarSnapshot,
    Snapshot,
    StatusSnapshot,
    frozen_array,
    to_uint8_images,
)
from dcgan_studio.errors import RunDirectoryError

# seconds between live feature-map captures: each is drawn on the GUI thread, which shares the
# interpreter with training, so fewer captures cost training less (docs/benchmarks.md)
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
        self.device = resolve_device(config.runtime.device)
        if self.device.type == "cuda":  # fixed shapes: cuDNN times its kernels once, then reuses
            torch.backends.cudnn.benchmark = True
        self.precision = resolve_precision(config.runtime.precision, self.device)
        self.dataset = dataset if dataset is not None else load_dataset(config)
        m, o, s = config.model, config.optim, config.schedule

        torch.manual_seed(s.seed)
        self.generator = Generator(m).to(self.device)
        self.discriminator = Discriminator(m).to(self.device)
        fmt = torch.channels_last if self.precision.channels_last else torch.contiguous_format
        self._memory_format = fmt
        self.generator.to(memory_format=fmt)
        self.discriminator.to(memory_format=fmt)
        # which of cpu_conv's ways each shape takes: recorded in every checkpoint and taken again
        # on resume; a deterministic run chooses by a fixed rule instead of timing
        self.kernels = cpu_conv.KernelChoices(deterministic=config.runtime.deterministic)
        if self.device.type == "cpu":  # oneDNN's slow kernels swapped for faster, timed per shape
            cpu_conv.use_fast_convolutions(self.generator, self.kernels)
            cpu_conv.use_fast_convolutions(self.discriminator, self.kernels)
        self.opt_g = _adam(self.generator, o.lr_g, (o.beta1, o.beta2), self.device)
        self.opt_d = _adam(self.discriminator, o.lr_d, (o.beta1, o.beta2), self.device)

        self.sampler = BatchSampler(len(self.dataset), o.batch_size, s.seed)
        images = self.dataset.images  # uint8 (N, C, S, S): on the device, or read from files
        self.images = images.to(self.device) if isinstance(images, torch.Tensor) else images
        self.noise_rng = torch.Generator(self.device).manual_seed(s.seed)
        fixed_noise, fixed_real = fixed_inputs(config, len(self.dataset))
        self.fixed_noise = fixed_noise.to(self.device)  # (N, nz, 1, 1), the same for every grid
        self.fixed_real = fixed_real.to(self.device)  # indices of the real images beside it
        self.fixed_real_images = self._real_uint8(self.fixed_real)  # (M, C, S, S), read once

        self.step = 0  # G updates done
        self.elapsed = 0.0  # seconds spent training, over all sessions of the run
        self.total_iterations = self._total_iterations()
        self.state = "idle"
        # the largest loss since the last good check, on the device (NaN sticks): read only at
        # a log, sample or checkpoint step, where a sync happens anyway
        self._worst_loss = torch.zeros((), device=self.device)
        self.alerts = AlertMonitor()  # the signs of failing training, the same in every viewer
        self.alerts.fit_to_run(self.total_iterations)
        self._last: dict[str, torch.Tensor] = {}  # latest scalars, still on the device
        self._grad_norms = {"d": math.nan, "g": math.nan}
        self._layer_norms: dict[str, float] = {}  # "g.convT1" -> norm, read with the totals
        self.probe: ProbeRequest | None = None  # what the feature-map viewer wants to see
        self.probe_interval = PROBE_INTERVAL
        self._probe_due = 0.0  # time.monotonic() of the next live capture
        self._rate_mark = (time.perf_counter(), 0)  # (time, step) of the last img/s reading
        self.last_checkpoint = None
        self._logged_step = self._grid_step = -1  # the last step whose scalars / grid went out
        self._broken_reported = 0  # streamed files found broken while training, reported so far
        self._alerts_showing: tuple[str, ...] = ()  # the kinds of alert last said to be active
        self.writer = RunWriter()  # the run's files; a failed write pauses or stops the run
        self._high_losses = 0  # logged steps in a row with a loss above divergence.LOSS_LIMIT
        self.pause_on_write_error = False  # the window pauses; the command line stops
        self.recovered: list[str] = []  # what a resume repaired in the run folder, a line each
        self.threads: int | None = None  # the CPU threads a deterministic resume must train with
        self.run_lock = None  # runs.RunLock, held from start_run / resume_run to the end of run()
        if resume_from is not None:
            self._load(resume_from)

    # ---- set-up ---------------------------------------------------------------------------------
    def _total_iterations(self) -> int:
        s = self.config.schedule
        if s.iterations is not None:
            return s.iterations
        per_epoch = self.sampler.batches_per_epoch
        return max(1, math.ceil(s.epochs * per_epoch / self.config.optim.d_steps))

    @property
    def epoch(self) -> int:
        return self.sampler.epoch

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = self.precision.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    # ---- one step -------------------------------------------------------------------------------
    def _noise(self, batch: int) -> torch.Tensor:
        z = torch.randn(
            batch, self.config.model.nz, 1, 1, device=self.device, generator=self.noise_rng
        )
        return z  # (B, nz, 1, 1)

    def _real_uint8(self, indices: torch.Tensor) -> torch.Tensor:
        if isinstance(self.images, torch.Tensor):
            return self.images[self._on_device(indices)]
        return self.images[indices].to(self.device, non_blocking=True)  # decoded by threads

    def _on_device(self, indices: torch.Tensor) -> torch.Tensor:
        """The sampler's CPU indices on the training device. A plain copy from pageable memory to
        a GPU waits for every kernel queued before it (a device sync every step); from pinned
        memory it is queued like a kernel, and torch keeps the pinned block until it is done."""
        if self.device.type != "cuda" or indices.device.type == "cuda":
            return indices.to(self.device)
        return indices.pin_memory().to(self.device, non_blocking=True)

    def _real_batch(self) -> torch.Tensor:
        indices = self.sampler.next_indices()
        if not isinstance(self.images, torch.Tensor):  # files: decode the next batch meanwhile
            self.images.prefetch(self.sampler.peek_indices())
        real = to_tanh_range(self._real_uint8(indices))  # (B, C, S, S) in [-1, 1]
        return real.contiguous(memory_format=self._memory_format)

    def _d_step(self, want_norm: bool) -> torch.Tensor:
        """One D update; returns the fake batch, still attached to G's graph."""
        o = self.config.optim
        real = self._real_batch()
        with self._autocast():
            fake = self.generator(self._noise(real.shape[0]))  # (B, C, S, S)
            logits_real = self.discriminator(real).float()  # (B,)
            logits_fake = self.discriminator(fake.detach()).float()
        real_target = torch.full_like(logits_real, 1.0 - o.label_smoothing)
        loss_d = F.binary_cross_entropy_with_logits(
            logits_real, real_target
        ) + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        if want_norm:
            self._read_grad_norms("d", self.discriminator)
        self.opt_d.step()
        loss_d = loss_d.detach()
        self._worst_loss = worst(self._worst_loss, loss_d)
        self._last.update(
            loss_d=loss_d,
            d_x=torch.sigmoid(logits_real.detach()).mean(),
            d_g_z1=torch.sigmoid(logits_fake.detach()).mean(),
        )
        return fake

    def _g_step(self, fake: torch.Tensor | None, want_norm: bool) -> None:
        if fake is None:
            fake = self._forward_g(self._noise(self.config.optim.batch_size))
        self.discriminator.requires_grad_(False)  # G's step needs no gradients of D's weights
        try:
            with self._autocast():
                logits = self.discriminator(fake).float()
            loss_g = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
        finally:
            self.discriminator.requires_grad_(True)
        if want_norm:
            self._read_grad_norms("g", self.generator)
        self.opt_g.step()
        loss_g = loss_g.detach()
        self._worst_loss = worst(self._worst_loss, loss_g)
        self._last.update(loss_g=loss_g, d_g_z2=torch.sigmoid(logits.detach()).mean())

    def _read_grad_norms(self, network: str, module: torch.nn.Module) -> None:
        self._grad_norms[network], layers = probes.gradient_norms(module, network)
        self._layer_norms.update(layers)

    def _forward_g(self, z: torch.Tensor) -> torch.Tensor:
        with self._autocast():
            return self.generator(z)

    def train_iteration(self, d: bool = True, g: bool = True) -> None:
        """``d_steps`` D updates then one G update (or only one side, for Step D / Step G)."""
        log = (self.step + 1) % self.config.schedule.log_every == 0 or not (d and g)
        started = time.perf_counter()
        self.generator.train()
        self.discriminator.train()
        fake = None
        if d:
            for _ in range(self.config.optim.d_steps):
                fake = self._d_step(want_norm=log)
            if self.config.optim.d_steps > 1:
                fake = None  # G steps on fresh noise, as D has moved on several times
        if g:
            self._g_step(fake, want_norm=log)
            self.step += 1
        self.elapsed += time.perf_counter() - started

    # ---- looking (no_grad, eval) ----------------------------------------------------------------
    @torch.no_grad()
    def render(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) in eval mode, without touching BatchNorm's running statistics."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            return self._forward_g(z.to(self.device)).float()
        finally:
            self.generator.train(was_training)

    @torch.no_grad()
    def judge(self, images: torch.Tensor) -> torch.Tensor:
        """D's probability of "real" for images in [-1, 1], as in a training step (the batch's
        own BatchNorm statistics, nothing stored, no dropout), so that the grid's scores agree
        with the D(x) and D(G(z)) curves: (B,)."""
        x = images.to(self.device).contiguous(memory_format=self._memory_format)
        with as_in_training(self.discriminator), self._autocast():
            return torch.sigmoid(self.discriminator(x).float())

    def sample_grid(self) -> SampleGridSnapshot:
        fake = self.render(self.fixed_noise)
        return SampleGridSnapshot(
            self.step,
            to_uint8_images(fake),
            frozen_array(self.judge(fake)),
            frozen_array(self.fixed_noise[:, :, 0, 0]),
        )

    def real_batch(self) -> RealBatchSnapshot:
        real = to_tanh_range(self.fixed_real_images)
        return RealBatchSnapshot(self.step, to_uint8_images(real), frozen_array(self.judge(real)))

    def feature_maps(self, request: ProbeRequest) -> FeatureMapSnapshot:
        """One layer's output for one fixed sample, in eval mode under no_grad."""
        real = to_tanh_range(self.fixed_real_images)
        return probes.feature_maps(
            self.step,
            request,
            self.generator,
            self.discriminator,
            self.fixed_noise,
            real,
            self._autocast,
            self._memory_format,
        )

    def filters(self) -> FiltersSnapshot:
        return probes.filters(self.step, self.generator, self.discriminator)

    def weights(self) -> GeneratorWeightsSnapshot:
        return GeneratorWeightsSnapshot.of(
            self.step, self.config.to_dict()["model"], self.generator
        )

    def scalars(self) -> ScalarSnapshot:
        now, (mark_time, mark_step) = time.perf_counter(), self._rate_mark
        rate = (self.step - mark_step) * self.config.optim.batch_size / max(now - mark_time, 1e-9)
        self._rate_mark = (now, self.step)
        values = {k: float(v) for k, v in self._last.items()}  # the device sync of the cadence
        return ScalarSnapshot(
            step=self.step,
            epoch=self.sampler.epoch,
            epoch_progress=self.sampler.epoch_progress,
            loss_d=values.get("loss_d", math.nan),
            loss_g=values.get("loss_g", math.nan),
            d_x=values.get("d_x", math.nan),
            d_g_z1=values.get("d_g_z1", math.nan),
            d_g_z2=values.get("d_g_z2", math.nan),
            grad_norm_d=self._grad_norms["d"],
            grad_norm_g=self._grad_norms["g"],
            lr_d=self.opt_d.param_groups[0]["lr"],
            lr_g=self.opt_g.param_groups[0]["lr"],
            images_per_second=rate,
            elapsed_seconds=self.elapsed,
            layer_grad_norms=MappingProxyType(dict(self._layer_norms)),
        )

    def diverged(self) -> bool:
        """A loss or a weight went beyond bounds (core.divergence): every further update is
        meaningless."""
        return self.divergence() is not None

    def divergence(self) -> str | None:
        """What went beyond bounds, in words; None while training is sane."""
        return divergence(
            self._worst_loss, self._high_losses, {"G": self.generator, "D": self.discriminator}
        )

    # ---- the loop -------------------------------------------------------------------------------
    def run(self, max_seconds: float | None = None) -> Iterator[Snapshot]:
        """Train to the end of the schedule, yielding snapshots; stops early on command. A
        deterministic resume trains with the thread count it was made with, and only while it
        trains: the count is the whole process's (the window's other workers too)."""
        before = torch.get_num_threads()
        try:
            yield from self._run_with_threads(max_seconds)
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)
            if self.run_lock is not None:  # another trainer may take the run from now on
                self.run_lock.release()

    def _run_with_threads(self, max_seconds: float | None) -> Iterator[Snapshot]:
        if self.threads is not None and self.threads != torch.get_num_threads():
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
        yield StatusSnapshot(
            self.step,
            "running",
            f"training on {self.device} ({self.precision.reason})",
            self._checkpoint_str(),
        )
        if self.recovered:  # what a resume repaired in the run folder
            yield StatusSnapshot(
                self.step, "running", "; ".join(self.recovered), self._checkpoint_str()
            )
        if self.step == 0:
            yield from self._publish_grid()
        self._rate_mark = (time.perf_counter(), self.step)
        while self.step < self.total_iterations or self.state == "paused":
            for command in self.commands.drain():
                yield from self._handle(command)
            if self.state == "stopping":
                break
            if self.state == "paused":
                command = self.commands.wait(timeout=0.1)
                if command is not None:
                    yield from self._handle(command)
                continue
            if self.step >= self.total_iterations:  # resumed after a failed write at the end
                break
            if deadline is not None and time.monotonic() >= deadline:
                yield from self._finish("stopped", f"stopped after --max-seconds {max_seconds:g}")
                return
            self.train_iteration()
            yield from self._after_iteration()
            if self.state == "failed":
                return
        if self.state == "stopping":
            yield from self._finish("stopped", "stopped on request")
        else:
            yield from self._finish("finished", f"finished {self.step} iterations")

    def _after_iteration(self, force_log: bool = False) -> Iterator[Snapshot]:
        s = self.config.schedule
        last = self.step >= self.total_iterations
        log = force_log or last or self.step % s.log_every == 0
        sample = force_log or last or self.step % s.sample_every == 0
        checkpoint = self.step % s.checkpoint_every == 0 and not last and not force_log
        if (log or sample or checkpoint) and self.diverged():
            yield from self._fail()
            return
        if log:
            yield from self._log_scalars()
            yield from self._report_broken_files()
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
            yield from self._write_failed()

    def _write_failed(self) -> Iterator[Snapshot]:
        """A write failed: one checkpoint is tried so that nothing trained is lost, then the run
        pauses (the window: free space, then Resume) or stops (the command line)."""
        failure = self.writer.take()
        problem = failure.message
        if failure.checkpoint:
            kept = ""  # its message says which checkpoint is intact
        else:
            try:
                path = self.save_checkpoint()  # rare: a failure may come between checks
                kept = f"; every iteration is kept in the checkpoint {path}" if path else ""
            except RunDirectoryError as exc:
                kept = f"; {exc}"
        fix = "Free space on the disk or fix the run folder's permissions"
        if self.pause_on_write_error:
            self.state = "paused"
            yield StatusSnapshot(
                self.step,
                "paused",
                f"paused: {problem}{kept}. {fix}, then Resume",
                self._checkpoint_str(),
                problem="write",
            )
        else:
            self.state = "failed"
            yield StatusSnapshot(
                self.step,
                "failed",
                f"{problem}{kept}. {fix}, then continue the run (--resume {self.run_dir.root})",
                self._checkpoint_str(),
                problem="write",
            )

    def _report_broken_files(self) -> Iterator[Snapshot]:
        """Files of a streamed dataset that failed while training: said once, as they appear."""
        failed = getattr(self.images, "failed", None)
        if not failed or sum(map(len, failed.values())) == self._broken_reported:
            return
        self._broken_reported = sum(map(len, failed.values()))
        lines = "; ".join(skipped_line(reason, paths) for reason, paths in failed.items())
        yield StatusSnapshot(
            self.step,
            self.state,
            f"{self._broken_reported} image file(s) "
            f"could not be read while training and another image took each "
            f"place ({lines}): replace or remove them",
            self._checkpoint_str(),
        )

    def _capture_probe(self) -> Iterator[Snapshot]:
        self._probe_due = time.monotonic() + self.probe_interval
        yield self.feature_maps(self.probe)

    def _show_this_step(self) -> Iterator[Snapshot]:
        """The scalars and the grid of the current step, where they have not gone out yet."""
        if self._logged_step != self.step and self.step > 0:
            yield from self._log_scalars()
        if self._grid_step != self.step:
            yield from self._publish_grid()

    def _log_scalars(self) -> Iterator[Snapshot]:
        scalars = self.scalars()
        if self.run_dir is not None:
            self.writer.write(
                "the metrics line",
                self.run_dir.metrics_path,
                lambda: self.run_dir.append_metrics(scalars.to_dict()),
            )
        self._logged_step = self.step
        high = max(scalars.loss_d, scalars.loss_g) > LOSS_LIMIT
        self._high_losses = self._high_losses + 1 if high else 0
        yield scalars
        yield from self._alerts_raised(self.alerts.observe_scalars(scalars))

    def _publish_grid(self) -> Iterator[Snapshot]:
        self._grid_step = self.step
        grid = self.sample_grid()
        if self.run_dir is not None:
            path = self.run_dir.sample_path(self.step)
            self.writer.write("the sample grid", path, lambda: save_grid_png(grid.images, path))
        yield grid
        real = self.real_batch()
        yield real
        yield self.weights()
        yield self.filters()
        if not self.alerts.has_real_reference:  # the same fixed batch every time
            self.alerts.observe_real_diversity(real.images)
        yield from self._alerts_raised(self.alerts.observe_samples(grid))

    def _alerts_raised(self, raised: list[Alert]) -> Iterator[Snapshot]:
        """Each alert once, as it rises, with the kinds still showing (one may have cleared).
        The last checkpoint before an alert is recorded, so that pruning never deletes it."""
        active = tuple(sorted(self.alerts.active))
        if not raised and active == self._alerts_showing:
            return
        self._alerts_showing = active
        for alert in raised:
            yield AlertSnapshot(self.step, alert, active, self._record_alert(alert))
        if not raised:
            yield AlertSnapshot(self.step, None, active)

    def _record_alert(self, alert: Alert) -> int | None:
        """Record ``alert`` in the run with the newest checkpoint from before its sign began
        or, where pruning took that already, from before it rose (pruning keeps it from now
        on); returns that checkpoint's step."""
        if self.run_dir is None:
            return None
        steps = self.run_dir.checkpoint_steps()
        before = [s for s in steps if s < alert.began] or [s for s in steps if s <= alert.step]
        kept = before[-1] if before else None
        self.writer.write(
            "the alert", self.run_dir.alerts_path, lambda: self.run_dir.record_alert(alert, kept)
        )
        return kept

    def _handle(self, command: Command) -> Iterator[Snapshot]:
        if command.kind == cmd.STOP:
            self.state = "stopping"
        elif command.kind == cmd.PAUSE and self.state == "running":
            self.state = "paused"
            yield from self._show_this_step()  # what a paused window shows is of this step
            yield StatusSnapshot(self.step, "paused", "paused", self._checkpoint_str())
        elif command.kind == cmd.RESUME and self.state == "paused":
            self.writer.retry()  # what could not be written (space freed since, one hopes)
            if self.writer.failure is not None:
                yield from self._write_failed()
                return
            self.state = "running"
            self._rate_mark = (time.perf_counter(), self.step)
            yield StatusSnapshot(self.step, "running", "running", self._checkpoint_str())
        elif command.kind in (cmd.STEP, cmd.STEP_D, cmd.STEP_G):
            if self.step >= self.total_iterations:  # paused at the end: nothing more to step
                return
            if self.state == "running":
                self.state = "paused"
                yield StatusSnapshot(self.step, "paused", "paused to step", self._checkpoint_str())
            self.train_iteration(d=command.kind != cmd.STEP_G, g=command.kind != cmd.STEP_D)
            yield from self._after_iteration(force_log=True)
        elif command.kind == cmd.SET_LR:
            value = float(command.value)  # type: ignore[arg-type]
            if not 0.0 < value <= 1.0:
                yield StatusSnapshot(
                    self.step,
                    self.state,
                    f"ignored learning rate {value:g}: use a number in (0, 1]",
                    self._checkpoint_str(),
                )
                return
            optimizer = self.opt_g if command.network == "g" else self.opt_d
            for group in optimizer.param_groups:
                group["lr"] = value
            # the run's config says the rate now in use, so that a resume continues with it
            self.config = self.config.with_values({f"optim.lr_{command.network}": value})
            if self.run_dir is not None:
                self.writer.write(
                    "the run's settings",
                    self.run_dir.config_path,
                    lambda: self.run_dir.write_config(self.config),
                )
        elif command.kind == cmd.PROBE:
            request = command.value
            if request is not None:
                try:  # a layer this run's networks do not have is the viewer's mistake
                    probes.layer_spec(
                        self.generator if request.network == "g" else self.discriminator,
                        request.layer,
                    )
                except ValueError as exc:
                    yield StatusSnapshot(
                        self.step,
                        self.state,
                        f"ignored feature-map request: {exc}",
                        self._checkpoint_str(),
                    )
                    return
            self.probe = request
            if request is not None:
                yield from self._capture_probe()

    def _finish(self, state: str, message: str) -> Iterator[Snapshot]:
        if self.diverged():
            yield from self._fail()
            return
        # a stop between logged steps: the scalars, the grid and the checkpoint all of this step
        yield from self._show_this_step()
        if self.writer.failure is not None:  # ends the run, with a checkpoint tried first
            self.pause_on_write_error = False
            yield from self._write_failed()
            return
        try:
            path = self.save_checkpoint(checked=True) if self.run_dir is not None else None
        except RunDirectoryError as exc:
            self.writer.checkpoint_failed(str(exc))
            self.pause_on_write_error = False
            yield from self._write_failed()
            return
        if path is not None:
            message += f"; checkpoint saved to {path}"
        self.state = state
        yield StatusSnapshot(self.step, state, message, self._checkpoint_str())

    def _fail(self) -> Iterator[Snapshot]:
        self.state = "failed"
        what = self.divergence() or "a value went out of bounds"
        kept = (
            f"the last good checkpoint is kept at {self.last_checkpoint}"
            if self.last_checkpoint
            else "no checkpoint had been saved yet"
        )
        message = (
            f"training diverged by iteration {self.step}: {what}; {kept}. "
            "Try lower learning rates (--lr-g, --lr-d) or --precision fp32"
        )
        self._record_alert(
            Alert(
                NON_FINITE,
                self.step,
                "Training diverged",
                message,
                "Try: lower learning rates, or fp32 precision",
                "error",
            )
        )
        yield StatusSnapshot(
            self.step, "failed", message, self._checkpoint_str(), problem="diverged"
        )

    def _checkpoint_str(self) -> str | None:
        return None if self.last_checkpoint is None else str(self.last_checkpoint)

    # ---- checkpoints ----------------------------------------------------------------------------
    def _parts(self) -> checkpointing.TrainingParts:
        c = self.config
        return checkpointing.TrainingParts(
            c.model, self.generator, self.discriminator, self.opt_g, self.opt_d, self.sampler,
            self.noise_rng, self.kernels, self.device, c.schedule.seed, c.runtime.deterministic,
        )  # fmt: skip

    def training_state(self) -> dict:
        return checkpointing.training_state(self._parts(), self.step, self.elapsed,
                                            self.fixed_noise)  # fmt: skip

    def save_checkpoint(self, checked: bool = False) -> str | None:
        """Save G, D and the training state; never a diverged model (the last good one stays).
        ``checked``: the caller looked at ``diverged()`` since the last update (a device sync
        and a pass over every weight, not done twice)."""
        if self.run_dir is None or self._high_losses or (not checked and self.diverged()):
            return None  # nor one whose last logged losses were beyond bounds
        target = self.run_dir.checkpoint_path(self.step)
        try:
            path = save_checkpoint_folder(
                target,
                self.step,
                self.config,
                self.generator.state_dict(),
                self.discriminator.state_dict(),
                self.training_state(),
            )
        except OSError as exc:
            kept = (
                f"the previous checkpoint {self.last_checkpoint} is intact"
                if self.last_checkpoint
                else "no earlier checkpoint exists"
            )
            raise RunDirectoryError(
                f"could not save the checkpoint {target} ({exc.strerror or exc}): free space or "
                f"fix the folder's permissions; {kept}"
            ) from exc
        self.last_checkpoint = path
        self.run_dir.prune_checkpoints(self.config.schedule.keep_checkpoints)
        return str(path)

    def _load(self, checkpoint: Checkpoint) -> None:
        restored = checkpointing.restore(self._parts(), checkpoint, tuple(self.fixed_noise.shape))
        self.step, self.elapsed = restored.step, restored.elapsed
        self.fixed_noise, self.threads = restored.fixed_noise, restored.threads
        o = self.config.optim
        for optimizer, lr in ((self.opt_g, o.lr_g), (self.opt_d, o.lr_d)):
            for group in optimizer.param_groups:  # the run's settings, not what the file held
                group["lr"], group["betas"] = lr, (o.beta1, o.beta2)
        self.last_checkpoint = checkpoint.path
        self._logged_step = self._grid_step = self.step  # the run before saw them out


def _adam(
    net: torch.nn.Module, lr: float, betas: tuple[float, float], device: torch.device
) -> torch.optim.Adam:
    """Adam with the fused kernel where torch has one for the device (CPU and CUDA: one pass
    over all weights, 3-4x faster than foreach on a 2-core CPU); foreach, then plain, otherwise."""
    for kind in ("fused", "foreach"):
        if device.type == "mps" and kind == "fused":
            continue
        try:
            return torch.optim.Adam(net.parameters(), lr, betas, **{kind: True})
        except (RuntimeError, TypeError, ValueError):  # no such kernel in this torch / device
            continue
    return torch.optim.Adam(net.parameters(), lr, betas)
