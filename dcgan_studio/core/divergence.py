"""When a run has diverged: a loss or a weight beyond sane bounds, NaN and infinity included.

NaN is not the only sign. A BCE loss above ``LOSS_LIMIT`` means D's logits beyond +-100, where
the sigmoid's gradient underflows to 0: no signal reaches G any more, and it never comes back.
Weights start at N(0, 0.02) and Adam moves each by about lr a step: a sane run never comes near
``WEIGHT_LIMIT``, while one with a huge learning rate gets there in a step or two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

LOSS_LIMIT = 100.0
WEIGHT_LIMIT = 1e4


def worst(running: torch.Tensor, loss: torch.Tensor) -> torch.Tensor:
    """The largest loss so far, on the device without a sync; a NaN sticks."""
    return torch.maximum(running, loss.detach().float())


def divergence(worst_loss: torch.Tensor, networks: Mapping[str, torch.nn.Module]) -> str | None:
    """What went beyond bounds, in words ("a loss reached 828 (...)"); None while sane."""
    value = float(worst_loss)  # a device sync: called at log, sample and checkpoint steps
    if not math.isfinite(value):
        return f"a loss became {'NaN' if math.isnan(value) else 'infinite'} (a value overflowed)"
    if value > LOSS_LIMIT:
        return (
            f"a loss reached {value:.3g} (above {LOSS_LIMIT:g}: D's outputs are so "
            "saturated that no gradient reaches G)"
        )
    for name, net in networks.items():
        largest = float(
            torch.stack(
                torch._foreach_norm([p.detach() for p in net.parameters()], float("inf"))
            ).max()
        )
        if not math.isfinite(largest):
            return f"a weight of {name} became NaN or infinite"
        if largest > WEIGHT_LIMIT:
            return f"a weight of {name} reached {largest:.3g} (above {WEIGHT_LIMIT:g})"
    return None
