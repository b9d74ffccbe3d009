"""Per-layer gradient norms of G and D against the step, with a verdict on the latest reading.

One log-scale plot per network, one curve per layer that has parameters (convolutions and
BatchNorm: the history holds only those), coloured along a ramp from the network's first layer to
its last so depth reads at a glance. Curves are created the first time a layer's column appears
and fed with ``setData`` from the window's redraw timer afterwards. Below the plots, one line
names any layer whose latest norm is vanishing or exploding.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dcgan_studio.core.history import LossHistory
from dcgan_studio.core.snapshots import GRAD_PREFIX
from dcgan_studio.gui.widgets.line_plots import Placeholder, SteadyViewBox, show_light_grid
from dcgan_studio.gui.widgets.step_cursor import add_step_cursor, move_step_cursors

NETWORKS = {"g": "G", "d": "D"}
VANISHING = 1e-6  # absolute floor of a healthy norm
RELATIVE_VANISHING = 1e-3  # ... or this fraction of the network's largest layer
EXPLODING = 1e3
RECENT_ROWS = 1000  # how far back the verdict looks for the latest row with norms in it
HEALTHY_COLOUR, WARNING_COLOUR = "#2b7a3d", "#b3261e"

VERDICT_TIP = (
    "<p>Each curve is the size (L2 norm) of one layer's weight gradient at a logged step, on a "
    "log scale; colour runs from the network's first layer (dark) to its last (light).</p>"
    "<p><b>Vanishing</b> (below 1e-6, or 1000&times; smaller than the network's largest layer): "
    "the layer has all but stopped learning. In a GAN this is the classic sign of a "
    "discriminator that has become too confident: D(G(z)) near 0 saturates G's loss, so almost "
    "no gradient flows back into G. Lower D's learning rate, smooth its labels or add dropout.</p>"
    "<p><b>Exploding</b> (above 1e3, or inf / NaN): updates are far too large and training is "
    "about to diverge. Lower the learning rate; check that the images are scaled to [-1, 1].</p>"
    "<p>Healthy layers sit within a few orders of magnitude of each other.</p>"
)


def layer_colours(count: int) -> list[pg.QtGui.QColor]:
    """``count`` colours along a dark-to-light ramp (plasma, stopping short of pale yellow)."""
    cmap = pg.colormap.get("plasma")
    return [cmap.map(0.05 + 0.8 * i / max(1, count - 1), mode="qcolor") for i in range(count)]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_tick_label(log_value: float) -> str:
    """A log axis label: 1, 2 and 5 times a power of ten only (others stay blank, so the
    minor ticks of a short range do not pile up); "0.02" near 1, "10⁻⁶" or "2·10⁻⁶" far."""
    exponent = math.floor(log_value + 1e-6)
    mantissa = round(10 ** (log_value - exponent), 3)
    if mantissa not in (1.0, 2.0, 5.0):
        return ""
    if -3 < exponent < 3:
        return f"{mantissa * 10.0**exponent:g}"
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa:g}·{power}"


class LogAxis(pg.AxisItem):
    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [log_tick_label(v + math.log10(scale)) for v in values]


def verdict(latest: dict[str, float]) -> tuple[list[str], list[str]]:
    """(vanishing, exploding) layer names among ``latest`` (layer -> norm) of one network."""
    finite = [v for v in latest.values() if math.isfinite(v)]
    largest = max(finite, default=0.0)
    vanishing, exploding = [], []
    for layer, value in latest.items():
        if not math.isfinite(value) or value > EXPLODING:
            exploding.append(layer)
        elif value < VANISHING or value < RELATIVE_VANISHING * largest:
            vanishing.append(layer)
    return vanishing, exploding


class GradientPanel(QWidget):
    def __init__(self, history: LossHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        self.placeholders: dict[str, Placeholder] = {}
        self.cursors: list[pg.InfiniteLine] = []
        self.curves: dict[str, dict[str, pg.PlotDataItem]] = {n: {} for n in NETWORKS}
        for column, (network, name) in enumerate(NETWORKS.items()):  # side by side: the dock
            self._add_plot(2 * column, network, name)  # is wide and short
            self.plots[network].setLabel("bottom", "iteration")
        self.plots["d"].setXLink(self.plots["g"])
        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("gradients-verdict")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setToolTip(VERDICT_TIP)
        layout.addWidget(self.verdict_label)
        self.selected_step: int | None = None
        self._drawn: int | None = None  # the history's revision on screen
        self.refresh()

    def _add_plot(self, col: int, network: str, name: str) -> None:
        plot = self.graphics.addPlot(
            row=0, col=col, axisItems={"left": LogAxis("left")}, viewBox=SteadyViewBox()
        )
        plot.getAxis("left").setWidth(54)  # the same in both plots, so the x axes line up
        plot.setObjectName(f"gradients-{network}")
        plot.setLogMode(y=True)
        plot.setLabel("left", f"{name}: gradient norm")
        show_light_grid(plot)
        plot.setMenuEnabled(False)
        legend = pg.LegendItem(labelTextSize="8pt", verSpacing=-6, frame=False)
        self.graphics.addItem(legend, row=0, col=col + 1)
        self.graphics.ci.layout.setAlignment(legend, Qt.AlignTop | Qt.AlignLeft)
        placeholder = Placeholder(
            plot,
            f"{name}'s per-layer gradient norms appear here<br>once training logs its first step",
        )
        cursor = add_step_cursor(plot)
        self.plots[network], self.legends[network] = plot, legend
        self.placeholders[network] = placeholder
        self.cursors.append(cursor)

    # ---- redraw (called from the window's timer) --------------------------------------------
    def refresh(self) -> None:
        """Draw the history as it is now; nothing to do when it has not changed since."""
        if self._drawn == self.history.revision:
            return
        self._drawn = self.history.revision
        steps = self.history.column("step")
        problems: list[str] = []
        for network, name in NETWORKS.items():
            columns = self.history.layer_columns(network)
            if [_layer(c) for c in columns] != list(self.curves[network]):
                self._make_curves(network, columns)
            self.placeholders[network].show(not columns)
            for column in columns:
                x, y = steps, self.history.column(column)
                missing = np.isnan(y)  # rows without a reading: the line bridges them
                if missing.any():
                    x, y = x[~missing], y[~missing]
                self.curves[network][_layer(column)].setData(x, y)
            problems += self._problems(name, columns)
        self._show_verdict(problems, len(steps) > 0)

    def _make_curves(self, network: str, columns: list[str]) -> None:
        """Create curves for new layers (once each), drop those of layers gone (a cleared
        history), and colour them all along the ramp in layer order."""
        plot, legend, old = self.plots[network], self.legends[network], self.curves[network]
        layers = [_layer(c) for c in columns]
        for layer in set(old) - set(layers):
            plot.removeItem(old.pop(layer))
        legend.clear()
        curves = self.curves[network] = {}
        for layer, colour in zip(layers, layer_colours(len(layers))):
            curve = old.get(layer)
            if curve is None:
                curve = plot.plot(autoDownsampleFactor=1.0)
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
            dashed = layer.startswith("bn")  # BatchNorm: dashed, beside its convolution
            curve.setPen(
                pg.mkPen(
                    colour,
                    width=1.5 if dashed else 2,
                    style=Qt.DashLine if dashed else Qt.SolidLine,
                )
            )
            legend.addItem(curve, layer)
            curves[layer] = curve
        legend.setColumnCount(1 if len(layers) <= 8 else 2)
        # keep the legend its natural size at the top of its cell, not stretched to the plot
        legend.setMaximumSize(legend.layout.preferredSize())

    def _problems(self, name: str, columns: list[str]) -> list[str]:
        """Vanishing / exploding phrases for the latest row of one network that has norms."""
        if not columns:
            return []
        recent = np.stack([self.history.column(c)[-RECENT_ROWS:] for c in columns])
        rows = np.flatnonzero(~np.isnan(recent).all(axis=0))
        if not len(rows):
            return []
        latest = {_layer(c): float(v) for c, v in zip(columns, recent[:, rows[-1]])}
        vanishing, exploding = verdict(latest)
        phrases = [f"{name} {layer} vanishing ({latest[layer]:.1e})" for layer in vanishing]
        phrases += [f"{name} {layer} exploding ({latest[layer]:.1e})" for layer in exploding]
        return phrases

    def _show_verdict(self, problems: list[str], any_rows: bool) -> None:
        if problems:
            text, colour = "Check the gradients: " + "; ".join(problems) + ".", WARNING_COLOUR
        elif any(self.curves[n] for n in NETWORKS):
            text, colour = (
                "Gradients look healthy: no layer is vanishing or exploding.",
                HEALTHY_COLOUR,
            )
        elif any_rows:
            text, colour = "No per-layer gradient norms in this run's history.", "#888"
        else:
            text, colour = "Gradients: waiting for the first logged step.", "#888"
        self.verdict_label.setText(text)
        self.verdict_label.setStyleSheet(f"QLabel {{ color: {colour}; }}")

    def set_cursor(self, step: int | None) -> None:
        self.selected_step = step
        move_step_cursors(self.cursors, step)

    def plotted(self, network: str, layer: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) a layer's curve shows now (before log scaling), for tests and exports."""
        curve = self.curves[network][layer]
        if curve.xData is None:
            return np.array([]), np.array([])
        return curve.xData, curve.yData


def _layer(column: str) -> str:
    """ "grad.g.convT1" -> "convT1"."""
    return column[len(GRAD_PREFIX) :].split(".", 1)[1]
