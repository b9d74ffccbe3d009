"""Logged rows for tests: a ScalarSnapshot with plausible values, any of them overridden."""

from __future__ import annotations

from types import MappingProxyType

from dcgan_studio.core.snapshots import ScalarSnapshot

DEFAULTS = {
    "epoch": 0,
    "epoch_progress": 0.0,
    "loss_d": 1.5,
    "loss_g": 2.5,
    "d_x": 0.5,
    "d_g_z1": 0.5,
    "d_g_z2": 0.5,
    "grad_norm_d": 1.0,
    "grad_norm_g": 1.0,
    "lr_d": 1e-3,
    "lr_g": 1e-3,
    "images_per_second": 1.0,
    "elapsed_seconds": 1.0,
}


def scalar_row(step: int, norms: dict[str, float] | None = None, **values) -> ScalarSnapshot:
    """The row logged at ``step``; ``norms``: per-layer gradient norms ("g.convT1" -> norm)."""
    return ScalarSnapshot(
        step=step,
        **{**DEFAULTS, **values},
        layer_grad_norms=MappingProxyType(dict(norms or {})),
    )
