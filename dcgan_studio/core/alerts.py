"""Signs that GAN training is failing, explained in plain words for a banner in the window.

An ``AlertMonitor`` is fed the snapshots the engine publishes and raises an ``Alert`` once when a
sign appears; the alert stays in ``active`` until the sign goes away, and can then rise again.

- ``d_wins``: D's loss stays near zero: D tells real from fake perfectly and G learns nothing.
- ``g_vanishing``: G's gradient norm stays near zero: G's weights have stopped moving.
- ``mode_collapse``: the fixed-noise samples look alike, far less varied than the real images.
- ``non_finite``: a loss became NaN or infinite: training has diverged (an error, not a warning).

Where G's samples are scored by a classifier (digit data, ``core.quality``), ``class_collapse``
judges mode collapse from the class histogram instead: a G that draws one or two digits.

Patience is counted in training steps (the snapshots' ``step``), not in snapshots, since scalars
arrive every ``log_every`` steps. With one-sided label smoothing ``s`` D's loss cannot fall below
the entropy of the smoothed target (about 0.33 for s = 0.1), so ``d_wins`` never fires: smoothing
is one of its cures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the snapshots module imports torch; alerts only reads plain fields
    from dcgan_studio.core.snapshots import SampleGridSnapshot, ScalarSnapshot

D_WINS = "d_wins"
G_VANISHING = "g_vanishing"
MODE_COLLAPSE = "mode_collapse"
NON_FINITE = "non_finite"

MAX_DIVERSITY_IMAGES = 64  # pairs grow as N^2; 64 images = 2016 pairs
WARMUP_GRIDS = 2  # without a real reference, the first trained grids are not judged


@dataclass(frozen=True)
class Alert:
    kind: str  # "d_wins" | "g_vanishing" | "mode_collapse" | "non_finite"
    step: int  # the step at which it was raised
    title: str  # a few words for the banner
    message: str  # what is seen and why it matters
    what_to_try: str  # one line, "Try: ..."
    severity: str  # "warning" | "error"
    since: int | None = None  # the step the sign was first seen (before the patience ran out)

    @property
    def began(self) -> int:
        return self.step if self.since is None else self.since


def sample_diversity(images: np.ndarray) -> float:
    """Mean pairwise L2 distance between images, per pixel, in [0, 1] (0 = all identical).

    uint8 (N, H, W, C) or (N, H, W); at most 64 images, evenly spaced, are compared. The distance
    is the root-mean-square pixel difference in [0, 1] units, so sizes and channel counts compare.
    """
    if images.ndim not in (3, 4) or len(images) < 2:
        raise ValueError(f"need at least 2 images (N, H, W[, C]), got shape {images.shape}")
    if len(images) > MAX_DIVERSITY_IMAGES:
        images = images[np.linspace(0, len(images) - 1, MAX_DIVERSITY_IMAGES).round().astype(int)]
    x = images.reshape(len(images), -1).astype(np.float64) / 255.0  # (N, D)
    sq = np.einsum("nd,nd->n", x, x)  # (N,)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0, None)  # (N, N)
    rows, cols = np.triu_indices(len(x), k=1)
    return float(np.sqrt(d2[rows, cols] / x.shape[1]).mean())


@dataclass
class _Streak:
    """The step at which a condition began to hold without a break; None while it does not."""

    since: int | None = None

    def hold(self, step: int) -> int:
        """The condition holds at ``step``: how many steps it has held for."""
        if self.since is None or step < self.since:  # a step going back (a resume) starts afresh
            self.since = step
        return step - self.since


@dataclass(frozen=True)
class _LowSign:
    """A sign that a value has stayed too low: what its alert says, and where it clears."""

    kind: str
    title: str
    message: str  # formatted with the floor, the steps it held and the value now
    what_to_try: str
    clear_factor: float  # the alert clears once the value is above this many floors


_D_LOW = _LowSign(
    D_WINS,
    "D is winning too easily",
    "D's loss has stayed below {floor:g} for {held} steps (now {now:.3g}): it tells real from "
    "generated images apart perfectly. Its sigmoid output is saturated, so the gradients it passes "
    "back to G carry almost no signal and G stops improving.",
    "Try: lower D's learning rate (halve lr_d), one-sided label smoothing (0.1), dropout in D, or "
    "fewer D steps per G step (d_steps 1).",
    2.0,
)
_G_LOW = _LowSign(
    G_VANISHING,
    "G's gradients have vanished",
    "The norm of G's gradient has stayed below {floor:g} for {held} steps (now {now:.2g}): G's "
    "weights have all but stopped changing, so its samples stop improving. It usually means D has "
    "saturated on G's images and passes back no signal.",
    "Try: lower D's learning rate or use fewer D steps so D stops saturating, add one-sided label "
    "smoothing (0.1), or raise G's learning rate (lr_g).",
    10.0,
)


class AlertMonitor:
    """Watches scalar and sample-grid snapshots and raises each alert once per episode."""

    def __init__(
        self,
        *,
        d_loss_floor: float = 0.05,
        d_loss_patience: int = 200,
        g_grad_floor: float = 1e-3,
        g_grad_patience: int = 200,
        collapse_ratio: float = 0.25,
        collapse_patience: int = 3,
    ) -> None:
        if not (d_loss_floor > 0 and g_grad_floor > 0):
            raise ValueError("d_loss_floor and g_grad_floor must be positive")
        if d_loss_patience < 0 or g_grad_patience < 0 or collapse_patience < 1:
            raise ValueError("patience must be >= 0 steps (collapse_patience >= 1 grid)")
        if not 0 < collapse_ratio < 1:
            raise ValueError(f"collapse_ratio must be in (0, 1), got {collapse_ratio}")
        self.d_loss_floor, self.d_loss_patience = d_loss_floor, d_loss_patience
        self.g_grad_floor, self.g_grad_patience = g_grad_floor, g_grad_patience
        self.collapse_ratio, self.collapse_patience = collapse_ratio, collapse_patience
        self.reset()

    def reset(self) -> None:
        """Forget everything, the real reference included: for a new run."""
        self._active: dict[str, Alert] = {}
        self._d_low = _Streak()
        self._g_low = _Streak()
        self._measured: set[str] = set()  # losses seen finite at least once
        self._grids_seen = 0  # trained grids (step > 0), for the warm-up
        self._best_diversity = 0.0
        self._collapsed_grids = 0
        self._collapse_since = 0  # the step of the first grid of the collapsed streak
        self._last_grid_step: int | None = None
        self._real_diversity: float | None = None

    @property
    def has_real_reference(self) -> bool:
        return self._real_diversity is not None

    @property
    def active(self) -> dict[str, Alert]:
        """The alerts now showing, by kind (a copy)."""
        return dict(self._active)

    # ---- feeding ------------------------------------------------------------------------------
    def observe_scalars(self, snap: ScalarSnapshot) -> list[Alert]:
        """The alerts this snapshot raised (an alert already active is not returned again)."""
        d_low = (self._d_low, snap.loss_d, self.d_loss_floor, self.d_loss_patience)
        g_low = (self._g_low, snap.grad_norm_g, self.g_grad_floor, self.g_grad_patience)
        return (
            self._check_finite(snap)
            + self._check_low(_D_LOW, *d_low, snap.step)
            + self._check_low(_G_LOW, *g_low, snap.step)
        )

    def observe_samples(self, snap: SampleGridSnapshot) -> list[Alert]:
        if snap.step <= 0 or len(snap.images) < 2:
            return []  # an untrained G says nothing about collapse
        if snap.step == self._last_grid_step:
            return []  # same G (steps count G updates), e.g. Step D while paused
        self._last_grid_step = snap.step
        diversity = sample_diversity(snap.images)
        if self._real_diversity is None:
            self._grids_seen += 1
            if self._grids_seen <= WARMUP_GRIDS:
                return []
            self._best_diversity = max(self._best_diversity, diversity)
            reference, against = self._best_diversity, "most varied grid of this run"
        else:
            reference, against = self._real_diversity, "real images"
        if diversity >= self.collapse_ratio * reference:
            self._collapsed_grids = 0
            self._active.pop(MODE_COLLAPSE, None)
            return []
        self._collapsed_grids += 1
        if self._collapsed_grids == 1:
            self._collapse_since = snap.step
        if self._collapsed_grids < self.collapse_patience:
            return []
        return self._raise(
            Alert(
                MODE_COLLAPSE,
                snap.step,
                "Samples all look alike (mode collapse)",
                f"The fixed-noise samples have varied less than {self.collapse_ratio:.0%} as "
                "much as "
                f"the {against} for {self._collapsed_grids} grids in a row (diversity "
                f"{diversity:.3f} against {reference:.3f}). G has found a few outputs that fool D "
                "and maps every z to them, so it no longer covers the variety of the data.",
                "Try: resume from a checkpoint before the samples collapsed with lower learning "
                "rates (halve lr_g and lr_d), add one-sided label smoothing (0.1) or dropout in D, "
                "or use a larger batch.",
                "warning",
                since=self._collapse_since,
            )
        )

    def observe_real_diversity(self, images: np.ndarray) -> None:
        """A real batch, uint8 (N, H, W[, C]): its diversity becomes the collapse reference."""
        self._real_diversity = sample_diversity(images)

    # ---- the checks ---------------------------------------------------------------------------
    def _check_finite(self, snap: ScalarSnapshot) -> list[Alert]:
        # NaN also stands for "not measured yet" (loss_g before G's first update): it counts only
        # for a loss that has been finite before. Infinity always counts.
        bad = []
        for name, value in (("loss_d", snap.loss_d), ("loss_g", snap.loss_g)):
            if math.isfinite(value):
                self._measured.add(name)
            elif math.isinf(value) or name in self._measured:
                bad.append(f"{name} = {value}")
        if not bad:
            self._active.pop(NON_FINITE, None)
            return []
        return self._raise(
            Alert(
                NON_FINITE,
                snap.step,
                "Training diverged",
                f"At step {snap.step} {' and '.join(bad)}: a value overflowed and the weights "
                "are now "
                "garbage, so every further update is meaningless.",
                "Try: resume from the last checkpoint with lower learning rates (halve lr_d and "
                "lr_g), fp32 instead of bf16 precision, and one-sided label smoothing (0.1).",
                "error",
            )
        )

    def _check_low(
        self, sign: _LowSign, streak: _Streak, value: float, floor: float, patience: int, step: int
    ) -> list[Alert]:
        """``sign``'s alert once ``value`` has stayed below ``floor`` for ``patience`` steps. An
        active alert clears only above ``sign.clear_factor * floor`` (hysteresis); a value that
        is not finite (not measured) neither extends nor breaks the streak."""
        if not math.isfinite(value):
            return []
        if sign.kind in self._active:
            if value > sign.clear_factor * floor:
                self._active.pop(sign.kind)
                streak.since = None
            return []
        if value >= floor:
            streak.since = None
            return []
        held = streak.hold(step)
        if held < patience:
            return []
        message = sign.message.format(floor=floor, held=held, now=value)
        alert = Alert(
            sign.kind, step, sign.title, message, sign.what_to_try, "warning", since=step - held
        )
        return self._raise(alert)

    def _raise(self, alert: Alert) -> list[Alert]:
        if alert.kind in self._active:
            return []
        self._active[alert.kind] = alert
        return [alert]

    def fit_to_run(self, iterations: int) -> None:
        """Patience of at most a tenth of the run (at least 10 steps), so a short run hears of
        a sign before it ends."""
        most = max(10, iterations // 10)
        self.d_loss_patience = min(self.d_loss_patience, most)
        self.g_grad_patience = min(self.g_grad_patience, most)


def class_collapse(score, share: float = 0.6, least_confident: float = 0.2) -> Alert | None:
    """A mode-collapse alert from a quality score's class histogram: one class holds more than
    ``share`` of the confidently classified samples, or fewer than half the classes appear.
    None where the score has no histogram, or too few samples look like any class to judge."""
    if not score.classes or score.confident is None or score.confident < least_confident:
        return None
    counts = np.asarray(score.classes)
    top = int(counts.argmax())
    biggest = counts[top] / max(1, counts.sum())
    if biggest <= share and score.coverage * 2 >= len(counts):
        return None
    return Alert(
        MODE_COLLAPSE,
        score.step,
        "G draws only a few classes (mode collapse)",
        f"Of G's samples that the classifier recognises, {biggest:.0%} are class {top}, and "
        f"{score.coverage} of {len(counts)} classes appear at all (the Quality tab shows the "
        "histogram). G has found a few outputs that fool D and maps most z to them.",
        "Try: resume from a checkpoint before the histogram narrowed with lower learning "
        "rates (halve lr_g and lr_d), add one-sided label smoothing (0.1) or dropout in D, or "
        "use a larger batch.",
        "warning",
    )
