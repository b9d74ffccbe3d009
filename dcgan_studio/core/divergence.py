"""When a run has diverged: a loss or a weight beyond sane bounds, NaN and infinity included.

NaN is not the only sign. Losses above ``LOSS_LIMIT`` for ``LOSS_CHECKS`` logged steps in a row
mean D's logits beyond +-100, where its probabilities are exactly 0 or 1 in floating point: D
has saturated and the game is over (a single spike is allowed). A loss above ``LOSS_OVERFLOW``
is an overflow at once. Weights start at N(0, 0.02) and Adam moves each by about lr a step: a
sane run never comes near ``WEIGHT_LIMIT``, one with a huge learning rate does in a step or two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

LOSS_LIMIT = 100.0
LOSS_CHECKS = 3
LOSS_OVERFLOW = 1e6
WEIGHT_LIMIT = 1e4


def worst(running: torch.Tensor, loss: torch.Tensor) -> torch.Tensor:
    """The largest loss so far, on the device without a sync; a NaN sticks."""
    return torch.maximum(running, loss.detach().float())


def divergence(
    worst_loss: torch.Tensor, high_checks: int, networks: Mapping[str, torch.nn.Module]
) -> str | None:
    """What went beyond bounds, in words ("a weight of G reached 3e+07 ..."); None while sane.
    ``high_checks``: logged steps in a row with a loss above ``LOSS_LIMIT``."""
    value = float(worst_loss)  # a device sync: called at log, sample and checkpoint steps
    if not math.isfinite(value):
        return f"a loss became {'NaN' if math.isnan(value) else 'infinite'} (a value overflowed)"
    if value > LOSS_OVERFLOW:
        return f"a loss reached {value:.3g} (above {LOSS_OVERFLOW:g}: a value overflowed)"
    if high_checks >= LOSS_CHECKS:
        return (
            f"the losses stayed above {LOSS_LIMIT:g} for {high_checks} logged steps in a row "
            "(D's logits beyond +-100: its probabilities are exactly 0 or 1, D has saturated)"
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
