"""The status bar's permanent read-outs: device, precision, step, epoch, speed, ETA, epoch bar."""

from __future__ import annotations

import math

import torch
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from dcgan_studio.core.snapshots import ScalarSnapshot

TIPS = {
    "device": "Where training runs.",
    "precision": "Number format of the maths.",
    "step": "G updates done / planned.",
    "epoch": "Passes over the real data.",
    "rate": "Iterations and images per second.",
    "eta": "Time left at this pace.",
}


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class StatusReadouts:
    """Labels added to a window's status bar, which keeps its left side for messages."""

    def __init__(self, bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for key, tip in TIPS.items():
            label = QLabel("")
            label.setObjectName(f"status-{key}")
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self.epoch_bar = QProgressBar()
        self.epoch_bar.setRange(0, 1000)
        self.epoch_bar.setMaximumWidth(140)
        self.epoch_bar.setTextVisible(False)
        self.epoch_bar.setToolTip("Progress through the current epoch.")
        bar.addPermanentWidget(self.epoch_bar)
        self.epoch_bar.setVisible(False)  # until a run says where in its epoch it is
        self.labels["device"].setText(f"device: {default_device()}")

    def show_session(self, device: str, precision: str) -> None:
        self.labels["device"].setText(f"device: {device}")
        self.labels["precision"].setText(precision.split(",")[0].replace("auto: ", "auto → "))
        self.labels["precision"].setToolTip(precision)

    def show_progress(self, snap: ScalarSnapshot, total: int, batch: int) -> None:
        labels = self.labels
        self.show_step(snap.step, total, snap.epoch, snap.epoch_progress)
        ips = snap.images_per_second
        its = ips / batch if batch else 0.0
        labels["rate"].setText(f"{its:.1f} it/s · {ips:,.0f} img/s")
        eta = f"ETA {duration((total - snap.step) / its)}" if its > 0 and total > snap.step else ""
        labels["eta"].setText(eta)

    def show_step(
        self, step: int, total: int, epoch: int | None = None, epoch_progress: float | None = None
    ) -> None:
        self.labels["step"].setText(f"step {step:,} / {total:,}")
        self.labels["epoch"].setText("" if epoch is None else f"epoch {epoch + 1}")
        self.epoch_bar.setVisible(epoch_progress is not None)
        if epoch_progress is not None:
            self.epoch_bar.setValue(int(epoch_progress * 1000))

    def show_paused(self) -> None:
        """Nothing runs: no speed and no time left to speak of."""
        self.labels["rate"].setText("paused")
        self.labels["eta"].setText("")

    def show_stopped(self, step: int | None = None, total: int | None = None) -> None:
        """The session ended (or a run was opened): where the run stands, nothing running."""
        self.labels["rate"].setText("")
        self.labels["eta"].setText("")
        if step is not None and total is not None:
            self.labels["step"].setText(f"step {step:,} / {total:,}")

    def clear(self) -> None:
        """A new run: nothing to say yet but where it would train."""
        for key in ("step", "epoch", "rate", "eta", "precision"):
            self.labels[key].setText("")
        self.epoch_bar.setVisible(False)
