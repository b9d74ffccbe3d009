"""A GAN on a 1-D distribution, small enough to step 30+ times a second on a 2-core CPU.

G is an MLP z -> x, D an MLP x -> logit. One iteration is ``d_steps`` updates of D (a real and a
fake batch, the minimax BCE loss) then one update of G with the non-saturating loss
-log D(G(z)), as in the main engine. After every iteration the trainer records both batch losses,
and, on fixed evaluation samples (so the curves do not jitter with the batches), the minimax value
V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))] and the Wasserstein-1 distance between real and fake.

The defaults (lr_d 1e-3 > lr_g 2e-4) bring G onto N(4, 1.25); on ``TwoGaussians`` a high G
learning rate (lr_g = 1e-2) shows mode collapse, G hopping between the modes, while lr_g = 3e-3
covers both (tests/core/test_gan1d.py holds both).

Everything is seeded from ``Gan1dConfig.seed`` through private ``torch.Generator``s (the global RNG
is never touched), so two trainers with the same config give the same numbers on the CPU.
``snapshot(grid)`` returns numpy copies only; it is what a viewer draws. The targets and density
estimates live in ``gan1d_targets`` and are importable from here.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dcgan_studio.core.gan1d_targets import (
    Gaussian,
    Target,
    TwoGaussians,
    Uniform,
    histogram_density,
    kde,
)
from dcgan_studio.errors import ConfigError

__all__ = [
    "NOISES",
    "Gan1dConfig",
    "Gan1dSnapshot",
    "Gan1dTrainer",
    "Gaussian",
    "Target",
    "TwoGaussians",
    "Uniform",
    "histogram_density",
    "kde",
]

NOISES = ("uniform", "normal")


# --- config --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gan1dConfig:
    target: Target = field(default_factory=Gaussian)
    noise: str = "uniform"  # z ~ U(-1, 1)^z_dim or N(0, I)
    z_dim: int = 1
    hidden: int = 32  # width of both hidden layers of G and of D
    lr_d: float = 1e-3
    lr_g: float = 2e-4  # G slower than D: the 1-D GAN settles instead of circling the target
    betas: tuple[float, float] = (0.5, 0.999)  # Adam, as in DCGAN
    d_steps: int = 1  # D updates per G update
    batch_size: int = 128
    eval_samples: int = 4000  # fixed real samples and fixed z for V, the distance and G's density
    kde_samples: int = 1000  # the first of those that the KDE uses (its cost is grid x samples)
    seed: int = 0

    # fields a running trainer can take without a reset (see Gan1dTrainer.reconfigure)
    LIVE_FIELDS = ("lr_d", "lr_g", "betas", "d_steps", "batch_size")

    def validate(self) -> Gan1dConfig:
        if not isinstance(self.target, (Gaussian, TwoGaussians, Uniform)):
            raise ConfigError("target", self.target, "Gaussian, TwoGaussians or Uniform")
        if isinstance(self.target, (Gaussian, TwoGaussians)) and not self.target.std > 0:
            raise ConfigError("target.std", self.target.std, "a positive number")
        if isinstance(self.target, Uniform) and not self.target.high > self.target.low:
            raise ConfigError(
                "target.high", self.target.high, f"a value above low = {self.target.low}"
            )
        if self.noise not in NOISES:
            raise ConfigError("noise", self.noise, " or ".join(NOISES))
        for name in ("z_dim", "hidden", "d_steps", "batch_size"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise ConfigError(name, getattr(self, name), "an integer of 1 or more")
        if not (isinstance(self.eval_samples, int) and self.eval_samples >= 100):
            raise ConfigError("eval_samples", self.eval_samples, "an integer of 100 or more")
        if not (isinstance(self.kde_samples, int) and 1 <= self.kde_samples <= self.eval_samples):
            raise ConfigError(
                "kde_samples", self.kde_samples, f"1 to eval_samples ({self.eval_samples})"
            )
        for name in ("lr_d", "lr_g"):
            if not 0 < getattr(self, name) < 1:
                raise ConfigError(name, getattr(self, name), "a number between 0 and 1, e.g. 1e-3")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ConfigError("betas", self.betas, "two numbers in [0, 1), e.g. (0.5, 0.999)")
        return self


# --- snapshot ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gan1dSnapshot:
    """What a viewer draws; every array is a read-only numpy copy. Densities are per unit x."""

    step: int  # iterations done (a Step D only or Step G only counts as one)
    x: np.ndarray  # (n,) the grid
    real_density: np.ndarray  # (n,) the target's exact pdf
    fake_hist: np.ndarray  # (n,) histogram of G(z_eval), one bin per grid point
    fake_kde: np.ndarray  # (n,) Gaussian KDE of G(z_eval) (Silverman's bandwidth)
    d_of_x: np.ndarray  # (n,) D's probability that x is real, sigmoid(D(x))
    z: np.ndarray  # (m,) z grid over the noise's range (first coordinate; others held at 0)
    g_of_z: np.ndarray  # (m,) G(z)
    loss_d: float  # of the last iteration; NaN if it did not update D
    loss_g: float  # non-saturating -log D(G(z)); NaN if the last iteration did not update G
    value: float  # V(D, G) on the fixed evaluation samples, now
    distance: float  # Wasserstein-1 between real and fake evaluation samples, now
    history_step: np.ndarray  # (k,) one entry per iteration, 1..step
    history_loss_d: np.ndarray  # (k,) NaN where the iteration did not update D
    history_loss_g: np.ndarray  # (k,) NaN where the iteration did not update G
    history_value: np.ndarray  # (k,)
    history_distance: np.ndarray  # (k,)


def _frozen(array: np.ndarray, dtype=np.float32) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


# --- networks ------------------------------------------------------------------------------------


def _mlp(n_in: int, hidden: int, generator: torch.Generator) -> nn.Sequential:
    """n_in -> hidden -> hidden -> 1 with LeakyReLU, initialised from ``generator`` only."""
    layers = [
        nn.utils.skip_init(nn.Linear, a, b)
        for a, b in ((n_in, hidden), (hidden, hidden), (hidden, 1))
    ]
    with torch.no_grad():
        for layer in layers:  # PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            bound = 1.0 / math.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    return nn.Sequential(
        layers[0],
        nn.LeakyReLU(0.2),  # (B, hidden)
        layers[1],
        nn.LeakyReLU(0.2),  # (B, hidden)
        layers[2],  # (B, 1)
    )


class _Generator(nn.Module):
    """z (B, z_dim) -> x = scale * MLP(z) (B,): G learns in the target's units but is not told
    where the target is, so it starts near x = 0 and has to travel there."""

    def __init__(self, z_dim: int, hidden: int, scale: float, generator: torch.Generator) -> None:
        super().__init__()
        self.net = _mlp(z_dim, hidden, generator)
        self.scale = scale

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.scale * self.net(z).squeeze(1)  # (B,)


class _Discriminator(nn.Module):
    """x (B,) -> logit (B,). Inputs are standardised by the target's location and scale."""

    def __init__(self, hidden: int, loc: float, scale: float, generator: torch.Generator) -> None:
        super().__init__()
        self.net = _mlp(1, hidden, generator)
        self.loc, self.scale = loc, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(((x - self.loc) / self.scale).unsqueeze(1)).squeeze(1)  # (B,)


def _loc_scale(target: Target) -> tuple[float, float]:
    """The centre and a quarter of the width of the target's plot range (about 2 std for a
    Gaussian): the units both networks work in, so one set of learning rates suits every target."""
    lo, hi = target.plot_range()
    return 0.5 * (lo + hi), 0.25 * (hi - lo)


# --- trainer -------------------------------------------------------------------------------------


@functools.cache
def _omp_set_num_threads() -> Callable[[int], None] | None:
    """OpenMP's ``omp_set_num_threads`` of the runtime torch loaded, which sets the calling
    thread's team size only (MKL follows it on threads where torch has not set MKL's own count).
    None where it cannot be found or does not reach torch's runtime: torch's defaults then stay."""
    try:
        setter = ctypes.CDLL(None).omp_set_num_threads
    except (OSError, AttributeError, TypeError):  # no such symbol, or no global lookup (Windows)
        return None
    setter.argtypes, setter.restype = [ctypes.c_int], None
    before = torch.get_num_threads()
    setter(1 if before != 1 else 2)
    reaches_torch = torch.get_num_threads() == (1 if before != 1 else 2)
    setter(before)
    return setter if reaches_torch else None


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run tiny ops on the calling thread only: on a 2-core CPU with a busy GUI thread, a second
    OpenMP worker makes a step several times slower, not faster. The setting is the calling
    thread's own and is restored. Not ``torch.set_num_threads``: that also stores a process-wide
    count which every thread starting its first torch op meanwhile keeps for life (a DCGAN
    trainer started then would train on one core)."""
    setter = _omp_set_num_threads()
    before = torch.get_num_threads()  # this thread's (torch initialises it on first use)
    if setter is None or before == 1:
        yield
        return
    setter(1)
    try:
        yield
    finally:
        setter(before)


class Gan1dTrainer:
    def __init__(self, config: Gan1dConfig | None = None) -> None:
        self.config = (config or Gan1dConfig()).validate()
        self.reset()

    def reset(self) -> None:
        """Fresh networks, optimizers and histories from ``config.seed``."""
        c = self.config
        init = torch.Generator().manual_seed(c.seed)
        loc, scale = _loc_scale(c.target)
        self.generator = _Generator(c.z_dim, c.hidden, scale, init)
        self.discriminator = _Discriminator(c.hidden, loc, scale, init)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=c.lr_d, betas=c.betas)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=c.lr_g, betas=c.betas)
        self._batches = torch.Generator().manual_seed(c.seed + 1)
        evals = torch.Generator().manual_seed(c.seed + 2)
        self._real_eval = c.target.sample(c.eval_samples, evals)  # (E,)
        self._real_eval_sorted = self._real_eval.sort().values
        self._z_eval = self._noise(c.eval_samples, evals)  # (E, z_dim)
        self.step_count = 0
        self._history = np.full((5, 1024), np.nan)  # step, loss_d, loss_g, value, distance
        self._value, self._distance = self._evaluate()

    def reconfigure(self, config: Gan1dConfig) -> bool:
        """Take a new config; returns True if it needed a reset (anything but LIVE_FIELDS)."""
        config.validate()
        live = {name: getattr(config, name) for name in Gan1dConfig.LIVE_FIELDS}
        needs_reset = dataclasses.replace(self.config, **live) != config
        self.config = config
        if needs_reset:
            self.reset()
            return True
        for opt, lr in ((self.opt_d, config.lr_d), (self.opt_g, config.lr_g)):
            for group in opt.param_groups:
                group["lr"], group["betas"] = lr, config.betas
        return False

    def _noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        shape = (n, self.config.z_dim)
        if self.config.noise == "uniform":
            return torch.rand(shape, generator=generator) * 2 - 1  # (n, z_dim) in [-1, 1)
        return torch.randn(shape, generator=generator)

    def step(self, d: bool = True, g: bool = True) -> None:
        """One iteration: ``d_steps`` updates of D (if d), then one update of G (if g)."""
        if not (d or g):
            raise ValueError("step(d=False, g=False) would do nothing: update D, G or both")
        with _one_thread():
            self._step(d, g)

    def _step(self, d: bool, g: bool) -> None:
        c, B = self.config, self.config.batch_size
        loss_d = loss_g = math.nan
        if d:
            for _ in range(c.d_steps):
                real = c.target.sample(B, self._batches)  # (B,)
                with torch.no_grad():
                    fake = self.generator(self._noise(B, self._batches))  # (B,)
                logits = self.discriminator(torch.cat([real, fake]))  # (2B,)
                labels = torch.cat([torch.ones(B), torch.zeros(B)])
                # mean over real + mean over fake = -V(D, G) on this batch
                loss = 2 * F.binary_cross_entropy_with_logits(logits, labels)
                self.opt_d.zero_grad(set_to_none=True)
                loss.backward()
                self.opt_d.step()
            loss_d = loss.item()
        if g:
            logits = self.discriminator(self.generator(self._noise(B, self._batches)))  # (B,)
            loss = F.binary_cross_entropy_with_logits(logits, torch.ones(B))  # -log D(G(z))
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
            self.discriminator.zero_grad(set_to_none=True)  # G's step leaves D untouched
            loss_g = loss.item()
        self.step_count += 1
        self._value, self._distance = self._evaluate()
        self._record(self.step_count, loss_d, loss_g, self._value, self._distance)

    def _record(self, *values: float) -> None:
        k = self.step_count - 1
        if k >= self._history.shape[1]:  # amortised doubling: appends stay O(1)
            grown = np.full((5, 2 * self._history.shape[1]), np.nan)
            grown[:, : self._history.shape[1]] = self._history
            self._history = grown
        self._history[:, k] = values

    @torch.no_grad()
    def _evaluate(self) -> tuple[float, float]:
        """V(D, G) and W1(real, fake) on the fixed evaluation samples."""
        fake = self.generator(self._z_eval)  # (E,)
        logits = self.discriminator(torch.cat([self._real_eval, fake]))  # (2E,)
        E = len(fake)
        # log D(x) = logsigmoid(l); log(1 - D(G(z))) = logsigmoid(-l)
        value = F.logsigmoid(logits[:E]).mean() + F.logsigmoid(-logits[E:]).mean()
        w1 = (fake.sort().values - self._real_eval_sorted).abs().mean()
        return value.item(), w1.item()

    def value(self) -> float:
        """V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))] on the fixed evaluation samples."""
        return self._value

    def distance(self) -> float:
        """Wasserstein-1 between the real and G's evaluation samples (mean |sorted difference|)."""
        return self._distance

    def default_grid(self, n: int = 200) -> np.ndarray:
        lo, hi = self.config.target.plot_range()
        return np.linspace(lo, hi, n)

    def z_range(self) -> tuple[float, float]:
        return (-1.0, 1.0) if self.config.noise == "uniform" else (-3.0, 3.0)

    def snapshot(self, grid: np.ndarray | None = None, z_points: int = 101) -> Gan1dSnapshot:
        """Everything a viewer draws, on ``grid`` (increasing x values; default_grid() if None)."""
        grid = self.default_grid() if grid is None else np.asarray(grid, dtype=np.float64)
        if grid.ndim != 1 or len(grid) < 2 or not np.all(np.diff(grid) > 0):
            raise ValueError("grid must be a 1-D array of at least 2 increasing x values")
        if not (isinstance(z_points, int) and z_points >= 2):
            raise ValueError(f"z_points = {z_points!r}: use an integer of 2 or more")
        with _one_thread():
            return self._snapshot(grid, z_points)

    @torch.no_grad()
    def _snapshot(self, grid: np.ndarray, z_points: int) -> Gan1dSnapshot:
        fake = self.generator(self._z_eval).numpy()  # (E,)
        d_of_x = torch.sigmoid(self.discriminator(torch.from_numpy(grid).float()))  # (n,)
        z = torch.zeros(z_points, self.config.z_dim)
        z[:, 0] = torch.linspace(*self.z_range(), z_points)  # (m, z_dim)
        g_of_z = self.generator(z)  # (m,)
        k = self.step_count
        last = self._history[:, k - 1] if k else np.full(5, np.nan)
        return Gan1dSnapshot(
            step=k,
            x=_frozen(grid),
            real_density=_frozen(self.config.target.density(grid)),
            fake_hist=_frozen(histogram_density(fake, grid)),
            fake_kde=_frozen(kde(fake[: self.config.kde_samples], grid)),
            d_of_x=_frozen(d_of_x.numpy()),
            z=_frozen(z[:, 0].numpy()),
            g_of_z=_frozen(g_of_z.numpy()),
            loss_d=float(last[1]),
            loss_g=float(last[2]),
            value=self._value,
            distance=self._distance,
            history_step=_frozen(self._history[0, :k], np.int64),
            history_loss_d=_frozen(self._history[1, :k]),
            history_loss_g=_frozen(self._history[2, :k]),
            history_value=_frozen(self._history[3, :k]),
            history_distance=_frozen(self._history[4, :k]),
        )
