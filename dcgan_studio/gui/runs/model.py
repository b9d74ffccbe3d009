"""The Runs workspace's state, Qt-free: the library's runs and filter, and the runs being
compared (their curves, saved grids and one step under the scrubber)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dcgan_studio.core.library import RunSummary, comparable_scores, differing_settings
from dcgan_studio.gui.events import Event
from dcgan_studio.gui.fields import setting_name

# Okabe and Ito's colours, told apart by people with colour-blindness; a run each, in order
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
MOST = len(COLOURS)  # runs compared at once
# the curves of the metrics lines that Compare overlays: column -> title
CURVES = {"loss_d": "Loss of D", "loss_g": "Loss of G", "d_x": "D(x)", "d_g_z1": "D(G(z))"}


@dataclass(frozen=True)
class RunSeries:
    """One run as Compare draws it: its metrics as columns, its scores, its saved grids."""

    summary: RunSummary
    columns: dict[str, np.ndarray]  # "step" and each of CURVES, float64, one per logged step
    kid_steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    grid_steps: tuple[int, ...] = ()

    @property
    def path(self) -> Path:
        return self.summary.path


def series_from_records(
    summary: RunSummary, metrics: list[dict], scores: list[dict], grid_steps: list[int]
) -> RunSeries:
    """A run's files as Compare's columns (a line without a value leaves a gap, NaN)."""
    columns = {
        name: np.array([r.get(name, np.nan) for r in metrics], dtype=np.float64)
        for name in ("step", *CURVES)
    }
    scored = comparable_scores(scores)  # one generator and feature space: one curve
    return RunSeries(
        summary,
        columns,
        np.array([r["step"] for r in scored], dtype=np.float64),
        np.array([r["kid"] for r in scored], dtype=np.float64),
        tuple(grid_steps),
    )


def nearest_step(steps: tuple[int, ...], wanted: int) -> int | None:
    """The saved step nearest ``wanted`` (the earlier of two as near); None for no steps."""
    if not steps:
        return None
    i = bisect.bisect_left(steps, wanted)
    candidates = steps[max(0, i - 1) : i + 1]
    return min(candidates, key=lambda s: (abs(s - wanted), s))


class LibraryModel:
    """The runs found in the library's folders, and the text that filters them."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.summaries: list[RunSummary] = []
        self.filter_text = ""
        self.changed = Event()  # () the runs or the filter changed

    def set_summaries(self, summaries: list[RunSummary]) -> None:
        self.summaries = list(summaries)
        self.changed.emit()

    def set_filter(self, text: str) -> None:
        if text != self.filter_text:
            self.filter_text = text
            self.changed.emit()

    def add_folder(self, folder: Path) -> bool:
        """False when it is listed already."""
        folder = Path(folder)
        if any(f.resolve() == folder.resolve() for f in self.folders):
            return False
        self.folders.append(folder)
        return True

    def visible(self) -> list[RunSummary]:
        """The runs whose name, label, dataset, folder or changed settings contain every word
        of the filter (case ignored)."""
        words = self.filter_text.lower().split()
        return [s for s in self.summaries if all(w in _haystack(s) for w in words)]

    def find(self, path: Path) -> RunSummary | None:
        """The run at ``path`` (as listed, or resolved), without asking the file system."""
        path = Path(path)
        return next((s for s in self.summaries if path in (s.path, s.key)), None)


def _haystack(s: RunSummary) -> str:
    parts = [s.name, s.label, s.dataset, str(s.path), *s.changed]
    if s.parent is not None:
        parts += ["branch", s.parent.name]
    if s.live:
        parts.append("live")
    return " ".join(parts).lower()


class CompareModel:
    """The runs compared, a colour each, and the step the scrubber is on."""

    def __init__(self) -> None:
        self.runs: list[RunSeries] = []
        self.step = 0
        self.runs_changed = Event()  # ()
        self.step_changed = Event()  # (step)

    def set_runs(self, runs: list[RunSeries]) -> None:
        """The runs to compare, at most ``MOST`` (a colour each)."""
        self.runs = list(runs)[:MOST]
        # the newest step every run saved a grid at, else the newest any run did
        common = set.intersection(*(set(r.grid_steps) for r in self.runs)) if self.runs else set()
        steps = self.steps()
        if common:
            self.step = max(common)
        elif steps:
            self.step = steps[-1]
        self.runs_changed.emit()

    def colour(self, index: int) -> str:
        return COLOURS[index % len(COLOURS)]

    def steps(self) -> list[int]:
        """Every step at which some run saved a grid: where the scrubber stops."""
        return sorted({s for run in self.runs for s in run.grid_steps})

    def set_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.step_changed.emit(step)

    def grid_step(self, run: RunSeries) -> int | None:
        """The run's saved grid at the scrubber's step, or its nearest."""
        return nearest_step(run.grid_steps, self.step)

    def differing(self) -> list[str]:
        configs = [r.summary.config for r in self.runs if r.summary.config is not None]
        return differing_settings(configs) if len(configs) > 1 else []

    def legend(self) -> list[tuple[str, str]]:
        """(colour, text) a run each: its name, the settings where the runs differ, and for a
        branch its parent and step."""
        differing = [n for n in self.differing() if n != "schedule.iterations"]
        lines = []
        for i, run in enumerate(self.runs):
            s = run.summary
            settings = ", ".join(
                f"{setting_name(name)} {s.config.value(name):g}"
                if isinstance(s.config.value(name), float)
                else f"{setting_name(name)} {s.config.value(name)}"
                for name in differing
                if s.config is not None
            )
            text = s.title + (f": {settings}" if settings else "")
            if s.parent is not None:
                text += f" (branch of {s.parent.name} at {s.parent_step:,})"
            lines.append((self.colour(i), text))
        return lines

    def noise_note(self) -> str:
        """Whether the same tile means the same z in every run's grid."""
        keys = {
            (r.summary.config.model.nz, r.summary.config.schedule.seed)
            for r in self.runs
            if r.summary.config is not None
        }
        if len(self.runs) < 2:
            return ""
        if len(keys) == 1:
            return "Same fixed noise in every run: the same tile is the same z."
        return "The runs' seeds or latent sizes differ: the same tile is not the same z."
