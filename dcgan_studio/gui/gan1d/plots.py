"""The 1-D GAN playground's three plots: densities with D(x), G's mapping, and the history.

Colours carry meaning in all three: blue is the real data, orange is G, green is D. Every item is
created once and fed with ``setData`` from the playground's redraw timer; axis ranges are set when
a new target arrives and otherwise left to the person (zoom and pan stay put while training).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem

from dcgan_studio.core.gan1d import Gan1dConfig, Gan1dSnapshot
from dcgan_studio.core.gan1d_runner import Gan1dFrame
from dcgan_studio.core.gan1d_targets import bin_edges, centres
from dcgan_studio.gui.gan1d.text import EQUILIBRIUM
from dcgan_studio.gui.widgets.line_plots import show_light_grid

REAL, G, D = "#4c78a8", "#f28e2b", "#2ca58d"
VALUE, DISTANCE = "#8e6cc0", "#e4572e"
HISTOGRAM_MERGE = 4  # grid points per histogram bar
HISTORY = ("value", "loss_d", "loss_g", "distance")


def _faint(colour: str, alpha: int) -> pg.QtGui.QColor:
    c = pg.mkColor(colour)
    c.setAlpha(alpha)
    return c


def _nice_above(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``value``."""
    power = 10.0 ** math.floor(math.log10(max(value, 1.0)))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _backdrop() -> pg.QtGui.QColor:
    """A legend's background: the plot's own, slightly see-through, so curves stay findable."""
    c = pg.mkColor(pg.getConfigOption("background"))
    c.setAlpha(200)
    return c


def _coarse_edges(x: np.ndarray) -> np.ndarray:
    """The edges of histogram bars HISTOGRAM_MERGE grid points wide around the grid ``x``."""
    n = len(x) // HISTOGRAM_MERGE * HISTOGRAM_MERGE
    return bin_edges(x)[: n + 1 : HISTOGRAM_MERGE]  # (n / HISTOGRAM_MERGE + 1,)


def _coarser(density: np.ndarray) -> np.ndarray:
    """A histogram density on bins HISTOGRAM_MERGE times wider (the mean of equal-width bins):
    one bin per grid point holds ~20 of G's 4,000 samples, too few for a steady bar."""
    n = len(density) // HISTOGRAM_MERGE * HISTOGRAM_MERGE
    return density[:n].reshape(-1, HISTOGRAM_MERGE).mean(axis=1)


class Gan1dPlots(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.density_plot = self.addPlot(row=0, col=0, colspan=2)
        self.mapping_plot = self.addPlot(row=1, col=0)
        self.history_plot = self.addPlot(row=1, col=1)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        for plot in (self.density_plot, self.mapping_plot, self.history_plot):
            show_light_grid(plot, alpha=0.15)
            plot.setMenuEnabled(False)
            for side in ("left", "bottom", "right"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # no "(x0.001)" on plain numbers
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._build_density()
        self._build_mapping()
        self._build_history()
        # legends, like the axes (show_light_grid), redraw from a cached pixmap unless they
        # changed: without it each frame re-renders every label
        for plot in (self.density_plot, self.mapping_plot, self.history_plot):
            if plot.legend is not None:
                plot.legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._follow_history = True
        self._history_range = (0.0, 100.0, EQUILIBRIUM, 0.0)

    # ---- construction -------------------------------------------------------------------------
    def _build_density(self) -> None:
        plot = self.density_plot
        plot.setTitle("Densities and D(x)")
        plot.setLabel("bottom", "x")
        plot.setLabel("left", "density")
        plot.setLabel("right", "D(x): probability that x is real")
        legend = plot.addLegend(offset=(8, 8), labelTextSize="9pt", brush=_backdrop())
        self.curves["real"] = plot.plot(
            pen=pg.mkPen(REAL, width=2),
            fillLevel=0,
            brush=_faint(REAL, 70),
            name="real data p_data(x)",
        )
        self.curves["fake_hist"] = plot.plot(
            stepMode="center",
            fillLevel=0,
            pen=None,
            brush=_faint(G, 80),
            name="G's samples (histogram)",
        )
        self.curves["fake_kde"] = plot.plot(
            pen=pg.mkPen(G, width=2.5), name="G's density p_g(x) (KDE)"
        )
        # D(x) lives on a second view box with its own 0..1 axis on the right
        self.d_view = pg.ViewBox(enableMenu=False)
        plot.scene().addItem(self.d_view)
        plot.getAxis("right").linkToView(self.d_view)
        self.d_view.setXLink(plot)
        self.d_view.setYRange(0, 1.05, padding=0)
        self.d_view.disableAutoRange()  # an autorange pass per frame would cost a second paint
        self.d_view.setMouseEnabled(x=False, y=False)
        self.curves["d_of_x"] = pg.PlotDataItem(
            pen=pg.mkPen(D, width=2.5, style=Qt.PenStyle.DashLine)
        )
        self.d_view.addItem(self.curves["d_of_x"])
        legend.addItem(self.curves["d_of_x"], "D(x), right axis")
        half = pg.InfiniteLine(
            0.5,
            angle=0,
            pen=pg.mkPen(D, width=1, style=Qt.PenStyle.DotLine),
            label="D = 0.5: cannot tell",
            labelOpts={"position": 0.92, "color": D, "anchors": [(1, 1), (1, 1)]},
        )
        self.d_view.addItem(half)
        plot.vb.sigResized.connect(self._on_density_resized)

    def _build_mapping(self) -> None:
        plot = self.mapping_plot
        plot.setTitle("G's mapping z → x")
        plot.setLabel("bottom", "z (G's input noise)")
        plot.setLabel("left", "x = G(z)")
        self.curves["g_of_z"] = plot.plot(pen=pg.mkPen(G, width=2.5))
        self.centre_lines: list[pg.InfiniteLine] = []

    def _build_history(self) -> None:
        plot = self.history_plot
        plot.setTitle("V(D, G), losses and W1 over iterations")
        plot.setLabel("bottom", "iteration")
        plot.addLegend(offset=(-8, 8), labelTextSize="8pt", brush=_backdrop())
        for key, colour, name in (
            ("value", VALUE, "V(D, G)"),
            ("loss_d", D, "loss D"),
            ("loss_g", G, "loss G"),
            ("distance", DISTANCE, "W1 distance"),
        ):
            curve = plot.plot(
                pen=pg.mkPen(colour, width=1.5),
                name=name,
                connect="finite",
                autoDownsampleFactor=1.0,
            )
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves[key] = curve
        plot.vb.sigRangeChangedManually.connect(self._on_history_range_changed_manually)
        plot.addItem(
            pg.InfiniteLine(
                EQUILIBRIUM,
                angle=0,
                pen=pg.mkPen(VALUE, width=1, style=Qt.PenStyle.DotLine),
                label="V at equilibrium: −2 log 2",
                labelOpts={"position": 0.5, "color": VALUE, "anchors": [(0.5, 1), (0.5, 1)]},
            )
        )

    # ---- drawing ------------------------------------------------------------------------------
    def show_frame(self, frame: Gan1dFrame, histogram: bool, restarted: bool = False) -> None:
        """Draw ``frame``; ``restarted`` (a new target, or a reset) redraws the real density and
        sets the axes afresh."""
        snap = frame.snapshot
        if restarted:
            self._new_target(frame.config, snap.x, snap.z, snap.real_density)
        self.curves["fake_kde"].setData(snap.x, snap.fake_kde)
        if histogram:
            self.curves["fake_hist"].setData(_coarse_edges(snap.x), _coarser(snap.fake_hist))
        self.curves["d_of_x"].setData(snap.x, snap.d_of_x)
        self.curves["g_of_z"].setData(snap.z, snap.g_of_z)
        steps = snap.history_step
        for key in HISTORY:
            self.curves[key].setData(steps, getattr(snap, f"history_{key}"))
        if self._follow_history:
            self._fit_history(snap)

    def set_histogram_visible(self, on: bool) -> None:
        self.curves["fake_hist"].setVisible(on)

    def _new_target(
        self, config: Gan1dConfig, x: np.ndarray, z: np.ndarray, real: np.ndarray
    ) -> None:
        """A new target (or a reset): the real density, the axis ranges, the reference lines."""
        self.curves["real"].setData(x, real)
        lo, hi = float(x[0]), float(x[-1])
        # room for a G twice as peaked as the target; a taller (collapsed) peak runs off the top
        self.density_plot.setRange(
            xRange=(lo, hi), yRange=(0, 2.2 * float(real.max())), padding=0.02
        )
        self.mapping_plot.setRange(
            xRange=(float(z[0]), float(z[-1])), yRange=(lo, hi), padding=0.02
        )
        for line in self.centre_lines:
            self.mapping_plot.removeItem(line)
        self.centre_lines = [
            pg.InfiniteLine(c, angle=0, pen=pg.mkPen(REAL, width=1, style=Qt.PenStyle.DashLine))
            for c in centres(config.target)
        ]
        for line in self.centre_lines:
            self.mapping_plot.addItem(line)
        self._follow_history = True
        self._history_range = (0.0, 100.0, EQUILIBRIUM, 0.0)
        self.history_plot.setRange(
            xRange=self._history_range[:2], yRange=self._history_range[2:], padding=0
        )

    def _fit_history(self, snap: Gan1dSnapshot) -> None:
        """Grow the history's axes in steps, so they are redrawn now and then, not every frame
        (pyqtgraph's autorange would also cost a second paint per frame)."""
        x1, x2, y1, y2 = self._history_range
        last = float(snap.history_step[-1]) if len(snap.history_step) else 0.0
        if last > x2:
            x2 = _nice_above(last * 1.25)
        values = [getattr(snap, f"history_{key}") for key in HISTORY]
        finite = [v[np.isfinite(v)] for v in values]
        low = min((float(v.min()) for v in finite if len(v)), default=y1)
        high = max((float(v.max()) for v in finite if len(v)), default=y2)
        y1, y2 = min(y1, math.floor(low * 2) / 2), max(y2, math.ceil(high * 2) / 2)
        if (x1, x2, y1, y2) != self._history_range:
            self._history_range = (x1, x2, y1, y2)
            self.history_plot.setRange(xRange=(x1, x2), yRange=(y1, y2), padding=0.02)

    def _on_history_range_changed_manually(self, *_) -> None:
        self._follow_history = False  # the person zoomed or panned: leave it to them

    def _on_density_resized(self) -> None:
        self.d_view.setGeometry(self.density_plot.vb.sceneBoundingRect())
        self.d_view.linkedViewChanged(self.density_plot.vb, self.d_view.XAxis)

    def plotted(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) a curve shows now, for tests and exports."""
        x, y = self.curves[key].getData()
        return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))
