"""The GAN being trained: G and D with their optimizers and the data they see, built from the
run's config; one DCGAN iteration at a time, what it measured, and looks at both networks that
change nothing.

An iteration is ``d_steps`` updates of D (a real batch and a fake batch each, minimax loss with
one-sided label smoothing) then one update of G (the non-saturating loss), as in the guides. What
an iteration measures stays on the device until ``scalars`` reads it (a ``.item()`` is a device
sync); looking (``sample_grid``, ``feature_maps``...) runs under ``no_grad`` in eval mode, so
BatchNorm's running statistics and every random stream are left as they were.

Under torchrun (core.distributed) the training passes go through G and D in DDP, each process
takes its part of the global batch and noise, and the processes agree at the end of each
iteration; ``generator`` and ``discriminator`` stay the plain networks that everything else reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from types import MappingProxyType

import torch
import torch.nn.functional as F

from dcgan_studio.config import OptimConfig, RunConfig
from dcgan_studio.core import cpu_conv, distributed, probes
from dcgan_studio.core.checkpointing import TrainingParts
from dcgan_studio.core.data import BatchSampler, ImageDataset, check_batch_fits, to_tanh_range
from dcgan_studio.core.devices import Precision
from dcgan_studio.core.divergence import divergence, worst
from dcgan_studio.core.models import Discriminator, Generator, as_in_training
from dcgan_studio.core.sampling import fixed_inputs
from dcgan_studio.core.snapshots import (
    FeatureMapSnapshot,
    FiltersSnapshot,
    GeneratorWeightsSnapshot,
    ProbeRequest,
    RealBatchSnapshot,
    SampleGridSnapshot,
    ScalarSnapshot,
    frozen_array,
    to_uint8_images,
)


class Gan:
    def __init__(
        self, config: RunConfig, dataset: ImageDataset, device: torch.device, precision: Precision
    ) -> None:
        m, o, s = config.model, config.optim, config.schedule
        self.team = team = distributed.team()  # the processes of a torchrun run; else this one
        check_batch_fits(dataset, config, team.world)
        self.model, self.optim = m, o  # the rates in use live in the optimizers, not here
        self.device, self.precision = device, precision
        self.seed, self.deterministic = s.seed, config.runtime.deterministic
        torch.manual_seed(s.seed)
        self.generator = Generator(m).to(device)
        self.discriminator = Discriminator(m).to(device)
        fmt = torch.channels_last if precision.channels_last else torch.contiguous_format
        self.memory_format = fmt
        self.generator.to(memory_format=fmt)
        self.discriminator.to(memory_format=fmt)
        # G (EMA): G's weights averaged over its last updates (optim.ema_decay); never trained
        self.generator_ema = Generator(m).to(device).requires_grad_(False)
        self.generator_ema.load_state_dict(self.generator.state_dict())
        self.ema_decay = o.ema_decay
        # which of cpu_conv's ways each shape takes: recorded in every checkpoint and taken again
        # on resume; a deterministic run chooses by a fixed rule instead of timing, and so do
        # torchrun's processes, which would each time their own (rank 0's go in a checkpoint)
        self.kernels = cpu_conv.KernelChoices(deterministic=self.deterministic or team.joined)
        if device.type == "cpu":  # oneDNN's slow kernels swapped for faster ones, per shape
            cpu_conv.use_fast_convolutions(self.generator, self.kernels)
            cpu_conv.use_fast_convolutions(self.discriminator, self.kernels)
        self.opt_g = adam(self.generator, o.lr_g, (o.beta1, o.beta2), device)
        self.opt_d = adam(self.discriminator, o.lr_d, (o.beta1, o.beta2), device)
        # G and D as the training passes call them: themselves, or in DDP under torchrun
        self.trained_g = team.wrap(self.generator, device)
        self.trained_d = team.wrap(self.discriminator, device)
        self.sampler = BatchSampler(
            len(dataset), o.batch_size * team.world, s.seed, (team.rank, team.world)
        )
        images = dataset.images  # uint8 (N, C, S, S): on the device, or read from files
        self.images = images.to(device) if isinstance(images, torch.Tensor) else images
        self.noise_rng = torch.Generator(device).manual_seed(s.seed)
        fixed_noise, fixed_real = fixed_inputs(config, len(dataset))
        self.fixed_noise = fixed_noise.to(device)  # (N, nz, 1, 1), the same for every grid
        self.fixed_real_images = self._real_uint8(fixed_real.to(device))  # (M, C, S, S)
        # the largest loss since the last good check, on the device (NaN sticks): read only at
        # a log, sample or checkpoint step, where a sync happens anyway
        self.worst_loss = torch.zeros((), device=device)
        self.last: dict[str, torch.Tensor] = {}  # the latest losses and D outputs, on the device
        self.grad_norms = {"d": math.nan, "g": math.nan}
        self.layer_norms: dict[str, float] = {}  # "g.convT1" -> norm, read with the totals

    def parts(self) -> TrainingParts:
        return TrainingParts(
            self.model, self.generator, self.discriminator, self.opt_g, self.opt_d, self.sampler,
            self.noise_rng, self.kernels, self.device, self.seed, self.deterministic,
            self.generator_ema,
        )  # fmt: skip

    def network(self, name: str) -> torch.nn.Module:
        return self.generator if name == "g" else self.discriminator

    def set_rate(self, network: str, lr: float) -> None:
        optimizer = self.opt_g if network == "g" else self.opt_d
        for group in optimizer.param_groups:
            group["lr"] = lr

    def use_settings(self, optim: OptimConfig) -> None:
        """The run's rates and betas, whatever a checkpoint's optimizer state held."""
        for optimizer, lr in ((self.opt_g, optim.lr_g), (self.opt_d, optim.lr_d)):
            for group in optimizer.param_groups:
                group["lr"], group["betas"] = lr, (optim.beta1, optim.beta2)

    def autocast(self) -> contextlib.AbstractContextManager:
        dtype = self.precision.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    # ---- one iteration --------------------------------------------------------------------------
    def iteration(
        self,
        d: bool = True,
        g: bool = True,
        want_norm: bool = False,
        step: int = 0,
        stop: int = 0,
    ) -> int:
        """``d_steps`` D updates then one G update (or only one side, for Step D / Step G);
        ``want_norm``: read the gradient norms too (a device sync); ``step``: G's updates so
        far (G (EMA) averages over fewer of them at first). ``stop``: why this process was asked
        to stop (``distributed.STOP_ASKED`` and ``STOP_OUT_OF_TIME``, or 0); returns why any
        process was (under torchrun all stop at the same step)."""
        self.generator.train()
        self.discriminator.train()
        fake = None
        if d:
            for _ in range(self.optim.d_steps):
                fake = self._d_step(want_norm)
            if self.optim.d_steps > 1:
                fake = None  # G steps on fresh noise, as D has moved on several times
        if g:
            self._g_step(fake, want_norm)
        stop = self._agree(stop)  # before G (EMA) takes G's BatchNorm statistics
        if g:
            self._update_ema(step + 1)
        return stop

    def _agree(self, stop: int) -> int:
        """Under torchrun: BatchNorm's statistics and the logged values averaged over the
        processes, the worst loss of any, and whether any was asked to stop."""
        if not self.team.joined:
            return stop
        buffers = [
            b
            for net in (self.generator, self.discriminator)
            for b in net.buffers()
            if b.is_floating_point()
        ]
        keys = sorted(self.last)
        values, self.worst_loss, stop = self.team.agree(
            buffers, [self.last[k] for k in keys], self.worst_loss, stop
        )
        self.last.update(zip(keys, values, strict=True))
        return stop

    @torch.no_grad()
    def _update_ema(self, updates: int) -> None:
        """G (EMA) moves 1 - beta of the way to G: weights and BatchNorm's running statistics
        alike. Early on beta is smaller, so the average does not hold the random start."""
        beta = min(self.ema_decay, (1 + updates) / (10 + updates))
        ema, now = self.generator_ema.state_dict(), self.generator.state_dict()
        floats = [k for k, v in ema.items() if v.is_floating_point()]
        torch._foreach_lerp_([ema[k] for k in floats], [now[k].float() for k in floats], 1 - beta)
        for k, v in ema.items():
            if not v.is_floating_point():
                v.copy_(now[k])  # BatchNorm's count of batches

    def _noise(self, batch: int) -> torch.Tensor:
        """This process's part of the global batch's noise: every process draws all of it, so
        that the noise stream is the same one in each (and in a checkpoint)."""
        world, rank = self.team.world, self.team.rank
        z = torch.randn(
            batch * world, self.model.nz, 1, 1, device=self.device, generator=self.noise_rng
        )
        return z if world == 1 else z[rank * batch : (rank + 1) * batch]  # (B, nz, 1, 1)

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
        return real.contiguous(memory_format=self.memory_format)

    def _d_step(self, want_norm: bool) -> torch.Tensor:
        """One D update; returns the fake batch, still attached to G's graph."""
        real = self._real_batch()
        with self.autocast():
            fake = self.trained_g(self._noise(real.shape[0]))  # (B, C, S, S)
            logits_real = self.trained_d(real).float()  # (B,)
            logits_fake = self.trained_d(fake.detach()).float()
        real_target = torch.full_like(logits_real, 1.0 - self.optim.label_smoothing)
        loss_d = F.binary_cross_entropy_with_logits(
            logits_real, real_target
        ) + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        if want_norm:
            self._read_grad_norms("d", self.discriminator)
        self.opt_d.step()
        loss_d = loss_d.detach()
        self.worst_loss = worst(self.worst_loss, loss_d)
        self.last.update(
            loss_d=loss_d,
            d_x=torch.sigmoid(logits_real.detach()).mean(),
            d_g_z1=torch.sigmoid(logits_fake.detach()).mean(),
        )
        return fake

    def _g_step(self, fake: torch.Tensor | None, want_norm: bool) -> None:
        if fake is None:
            z = self._noise(self.optim.batch_size)
            with self.autocast():
                fake = self.trained_g(z)
        # D's plain network: no gradients of its weights, so none for DDP to gather either
        self.discriminator.requires_grad_(False)  # G's step needs no gradients of D's weights
        try:
            with self.autocast():
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
        self.worst_loss = worst(self.worst_loss, loss_g)
        self.last.update(loss_g=loss_g, d_g_z2=torch.sigmoid(logits.detach()).mean())

    def _read_grad_norms(self, network: str, module: torch.nn.Module) -> None:
        self.grad_norms[network], layers = probes.gradient_norms(module, network)
        self.layer_norms.update(layers)

    # ---- what it measured -----------------------------------------------------------------------
    def scalars(self, step: int, elapsed: float, images_per_second: float) -> ScalarSnapshot:
        values = {k: float(v) for k, v in self.last.items()}  # the device sync of the cadence
        return ScalarSnapshot(
            step=step,
            epoch=self.sampler.epoch,
            epoch_progress=self.sampler.epoch_progress,
            loss_d=values.get("loss_d", math.nan),
            loss_g=values.get("loss_g", math.nan),
            d_x=values.get("d_x", math.nan),
            d_g_z1=values.get("d_g_z1", math.nan),
            d_g_z2=values.get("d_g_z2", math.nan),
            grad_norm_d=self.grad_norms["d"],
            grad_norm_g=self.grad_norms["g"],
            lr_d=self.opt_d.param_groups[0]["lr"],
            lr_g=self.opt_g.param_groups[0]["lr"],
            images_per_second=images_per_second,
            elapsed_seconds=elapsed,
            layer_grad_norms=MappingProxyType(dict(self.layer_norms)),
        )

    def divergence(self, high_checks: int) -> str | None:
        """What went beyond bounds, in words (core.divergence); None while training is sane.
        ``high_checks``: logged steps in a row with a loss above ``divergence.LOSS_LIMIT``."""
        return divergence(
            self.worst_loss, high_checks, {"G": self.generator, "D": self.discriminator}
        )

    # ---- looking (no_grad, eval) ----------------------------------------------------------------
    def render(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) in eval mode, without touching BatchNorm's running statistics."""
        return probes.look(self.generator, z.to(self.device), self.autocast)

    @torch.no_grad()
    def judge(self, images: torch.Tensor) -> torch.Tensor:
        """D's probability of "real" for images in [-1, 1], as in a training step (the batch's
        own BatchNorm statistics, nothing stored, no dropout), so that the grid's scores agree
        with the D(x) and D(G(z)) curves: (B,)."""
        x = images.to(self.device).contiguous(memory_format=self.memory_format)
        with as_in_training(self.discriminator), self.autocast():
            return torch.sigmoid(self.discriminator(x).float())

    def sample_grid(self, step: int) -> SampleGridSnapshot:
        """G and G (EMA) on the fixed noise, each with D's opinion of its tiles."""
        fake = self.render(self.fixed_noise)
        ema = probes.look(self.generator_ema, self.fixed_noise, self.autocast)
        return SampleGridSnapshot(
            step,
            to_uint8_images(fake),
            frozen_array(self.judge(fake)),
            frozen_array(self.fixed_noise[:, :, 0, 0]),
            to_uint8_images(ema),
            frozen_array(self.judge(ema)),
        )

    def real_batch(self, step: int) -> RealBatchSnapshot:
        real = to_tanh_range(self.fixed_real_images)
        return RealBatchSnapshot(step, to_uint8_images(real), frozen_array(self.judge(real)))

    def feature_maps(self, step: int, request: ProbeRequest) -> FeatureMapSnapshot:
        """One layer's output for one fixed sample, in eval mode under no_grad."""
        real = to_tanh_range(self.fixed_real_images)
        return probes.feature_maps(
            step,
            request,
            self.generator,
            self.discriminator,
            self.fixed_noise,
            real,
            self.autocast,
            self.memory_format,
        )

    def filters(self, step: int) -> FiltersSnapshot:
        return probes.filters(step, self.generator, self.discriminator)

    def weights(self, step: int) -> GeneratorWeightsSnapshot:
        return GeneratorWeightsSnapshot.of(
            step, dataclasses.asdict(self.model), self.generator, self.generator_ema
        )


def adam(
    net: torch.nn.Module, lr: float, betas: tuple[float, float], device: torch.device
) -> torch.optim.Adam:
    """Adam with the fused kernel where torch has one for the device (CPU and CUDA: one pass over
    all weights); foreach, then plain, otherwise."""
    for kind in ("fused", "foreach"):
        if device.type == "mps" and kind == "fused":
            continue
        try:
            return torch.optim.Adam(net.parameters(), lr, betas, **{kind: True})
        except (RuntimeError, TypeError, ValueError):  # no such kernel in this torch / device
            continue
    return torch.optim.Adam(net.parameters(), lr, betas)
