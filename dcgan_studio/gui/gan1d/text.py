"""The words and numbers the 1-D GAN playground shows: the settings' names and tips, the read-outs,
and the two explanations. Plain strings (no Qt), shared by the model and the views."""

from __future__ import annotations

import dataclasses
import math

from dcgan_studio.core.gan1d import Gan1dConfig, Gan1dSnapshot

EQUILIBRIUM = -2 * math.log(2)  # V(D, G) when p_g = p_data and D(x) = 1/2 everywhere

PARAMETER_LABELS = {
    "mean": "Mean",
    "std": "Std",
    "mean1": "Mean 1",
    "mean2": "Mean 2",
    "low": "Low",
    "high": "High",
}
NOISE_LABELS = {"uniform": "Uniform U(−1, 1)", "normal": "Normal N(0, 1)"}

# a setting's name -> (label, tooltip)
TIPS = {
    "target": ("Target", "The distribution G learns to imitate: the real data."),
    "noise": (
        "Noise z",
        "What G turns into samples: z drawn uniformly from (−1, 1) or from a "
        "standard normal. Changing it starts again from the seed.",
    ),
    "lr_d": ("lr D", "D's Adam learning rate. Takes effect at once, without a reset."),
    "lr_g": (
        "lr G",
        "G's Adam learning rate. Takes effect at once. Much faster than D (e.g. "
        "0.01) makes G overshoot and, on Two Gaussians, collapse onto one mode.",
    ),
    "d_steps": (
        "D steps per G step",
        "How many times D learns before G takes one step. Takes effect at once.",
    ),
    "batch_size": ("Batch size", "Real and fake samples per update. Takes effect at once."),
    "hidden": (
        "Hidden units",
        "Width of both hidden layers of G and of D. Changing it builds new networks (a reset).",
    ),
    "seed": (
        "Seed",
        "Starting weights and noise. The same seed and settings give the same "
        "run. Changing it starts again.",
    ),
}

# a read-out's key -> (label, tooltip)
READOUTS = {
    "step": ("Iteration", "Iterations done; Step D or Step G alone counts as one."),
    "value": (
        "V(D, G)",
        "E[log D(x)] + E[log(1 − D(G(z)))] on fixed samples: what D "
        "maximises and G minimises. −2 log 2 ≈ −1.386 when D cannot tell.",
    ),
    "distance": (
        "W1 distance",
        "How far G's samples are from the real ones (the "
        "Wasserstein-1 distance, in units of x); 0 when they match.",
    ),
    "loss_d": (
        "loss D",
        "D's loss on the last real and fake batch; — when D was not "
        "updated. Near 1.39 when D cannot tell.",
    ),
    "loss_g": (
        "loss G",
        "G's loss −log D(G(z)) on the last batch; — when G was not "
        "updated. Near 0.69 when D cannot tell.",
    ),
}

EXPLANATION = (
    "<b>What you see.</b> Blue is the real data, orange is G, green is D. The filled blue curve "
    "is the target density; the orange curve is G's density, estimated from 4,000 of its "
    "samples (the pale bars count them in bins). The dashed green curve is D's opinion: the "
    "probability that a sample at x is real. "
    'G\'s samples slide towards where D says "real" (above 0.5) and away from where it says '
    '"fake". When G matches the target, D cannot tell them apart: its curve flattens at 0.5, '
    "V(D, G) settles near −2 log 2 ≈ −1.39 and W1, how far G's samples are from the real ones, "
    "falls towards 0. The lower-left plot is G itself: each noise value z goes to a sample "
    "x = G(z); where the curve is steep G spreads its samples thinly, where it is flat G piles "
    "them up."
)
COLLAPSE_HINT = (
    '<b>Mode collapse.</b> Choose the preset "Mode collapse on Two Gaussians" (lr G 0.01, '
    "seed 1) and press Play: G piles nearly all its samples onto one bump, D learns to reject "
    "it, and G hops to the other bump, again and again, never covering both. With lr G 0.003 the "
    "same seed covers both bumps."
)


def number(value: float, digits: int = 3) -> str:
    """``digits`` decimals with a true minus sign; a dash for NaN (not computed)."""
    return "—" if math.isnan(value) else f"{value:.{digits}f}".replace("-", "−")


def readout_texts(snap: Gan1dSnapshot) -> dict[str, str]:
    """What each read-out (keys of READOUTS) says for ``snap``."""
    return {
        "step": f"{snap.step:,}",
        "value": f"{number(snap.value)}   (equilibrium {number(EQUILIBRIUM)})",
        "distance": number(snap.distance),
        "loss_d": number(snap.loss_d),
        "loss_g": number(snap.loss_g),
    }


def changed_settings(before: Gan1dConfig, after: Gan1dConfig) -> list[str]:
    """The labels of the settings that differ, in the config's order."""
    return [
        TIPS[f.name][0] if f.name in TIPS else f.name
        for f in dataclasses.fields(Gan1dConfig)
        if getattr(after, f.name) != getattr(before, f.name)
    ]
