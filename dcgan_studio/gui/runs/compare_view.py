"""Compare: the chosen runs' losses, D's outputs and KID overlaid (a colour per run, a legend
with the settings in which they differ), and their saved grids side by side under one scrubber,
each at the scrubber's step or, where a run saved no grid there, its nearest (said in red).

A view of a ``CompareModel``; the grids are read by the page's jobs (``grid_wanted``)."""

from __future__ import annotations

from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from dcgan_studio.gui.runs.model import CompareModel, RunSeries
from dcgan_studio.gui.widgets.compact import text_label
from dcgan_studio.gui.widgets.image_view import ImageView
from dcgan_studio.gui.widgets.line_plots import Placeholder, SteadyViewBox, show_light_grid
from dcgan_studio.gui.widgets.step_cursor import add_step_cursor, move_step_cursors

# the plots: (title, [(column, dashed)]), in a 2 x 2 grid; "kid" is the quality score
PLOTS = (
    ("Loss of D", [("loss_d", False)]),
    ("Loss of G", [("loss_g", False)]),
    ("D(x) solid, D(G(z)) dashed", [("d_x", False), ("d_g_z1", True)]),
    ("KID (log), lower is better", [("kid", False)]),
)


class CompareView(QWidget):
    grid_wanted = Signal(int, object)  # run index, the saved grid's step

    def __init__(self, model: CompareModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.legend = text_label(rich=True)
        self.legend.setObjectName("compare-legend")
        layout.addWidget(self.legend)
        body = QHBoxLayout()
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumWidth(360)
        body.addWidget(self.graphics, 3)
        grids = QVBoxLayout()
        self.grid_box = QGridLayout()
        grids.addLayout(self.grid_box, 1)
        scrub = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("compare-scrubber")
        self.slider.setToolTip("The iteration whose saved grids are shown, in every run at once.")
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(110)
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.step_label)
        grids.addLayout(scrub)
        self.note = text_label()
        self.note.setObjectName("compare-note")
        grids.addWidget(self.note)
        body.addLayout(grids, 2)
        layout.addLayout(body, 1)
        self.plots: dict[str, pg.PlotItem] = {}
        self.cursors = []
        self.placeholders = []
        first = None
        for i, (title, _) in enumerate(PLOTS):
            plot = self.graphics.addPlot(row=i // 2, col=i % 2, viewBox=SteadyViewBox())
            plot.setTitle(title, size="9pt")
            show_light_grid(plot)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.cursors.append(add_step_cursor(plot))
            self.placeholders.append(
                Placeholder(
                    plot, "select runs in the library<br>and press Compare" if i == 0 else ""
                )
            )
            self.plots[title] = plot
        self.plots[PLOTS[3][0]].setLogMode(y=True)
        self.curves: list[pg.PlotDataItem] = []
        self.views: list[ImageView] = []
        self.titles: list[QLabel] = []
        model.runs_changed.connect(self.refresh)
        model.step_changed.connect(self._on_step_changed)
        self.refresh()

    # ---- the runs -----------------------------------------------------------------------------
    def refresh(self) -> None:
        for plot in self.plots.values():
            for curve in [c for c in plot.listDataItems()]:
                plot.removeItem(curve)
        self.curves = []
        runs = self.model.runs
        for i, run in enumerate(runs):
            for title, columns in PLOTS:
                for column, dashed in columns:
                    self._add_curve(self.plots[title], run, column, i, dashed)
        for placeholder, plot in zip(self.placeholders, self.plots.values(), strict=True):
            placeholder.show(not plot.listDataItems())
        kid = self.plots[PLOTS[3][0]]  # its x-axis follows the others: a title, not a placeholder
        kid.setTitle(
            PLOTS[3][0]
            if kid.listDataItems() or not runs
            else "KID: no scores yet (the Quality panel, or score --save)",
            size="9pt",
        )
        self._build_grids()
        self.legend.setText(self._legend_html())
        steps = self.model.steps()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(steps) - 1))
        if steps:
            self.slider.setValue(steps.index(self.model.step) if self.model.step in steps else 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(steps) > 1)
        self.slider.setVisible(bool(runs))  # nothing to scrub before a comparison
        self._on_step_changed(self.model.step)

    def _add_curve(
        self, plot: pg.PlotItem, run: RunSeries, column: str, index: int, dashed: bool
    ) -> None:
        if column == "kid":
            x, y = run.kid_steps, run.kid
            keep = y > 0  # a log axis: KID can dip below 0 by chance
            x, y = x[keep], y[keep]
        else:
            x, y = run.columns["step"], run.columns[column]
        if not len(x):
            return
        colour = self.model.colour(index)
        pen = pg.mkPen(colour, width=2 if column == "kid" else 1.5)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        curve = plot.plot(
            x,
            y,
            pen=pen,
            connect="finite",
            symbol="o" if column == "kid" else None,
            symbolSize=5,
            symbolBrush=colour,
        )
        if column != "kid":
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        curve.setZValue(len(self.model.runs) - index)  # the first run on top
        self.curves.append(curve)

    def _build_grids(self) -> None:
        while self.grid_box.count():
            widget = self.grid_box.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.views, self.titles = [], []
        runs = self.model.runs
        columns = 2 if len(runs) == 4 else min(3, max(1, len(runs)))
        for i, run in enumerate(runs):
            title = QLabel()
            title.setWordWrap(True)
            view = ImageView()
            view.setMinimumSize(120, 120)
            view.setToolTip(str(run.path))
            row, col = divmod(i, columns)
            self.grid_box.addWidget(title, 2 * row, col)
            self.grid_box.addWidget(view, 2 * row + 1, col)
            self.grid_box.setRowStretch(2 * row + 1, 1)
            self.titles.append(title)
            self.views.append(view)

    def _legend_html(self) -> str:
        lines = self.model.legend()
        if not lines:
            return (
                "<span style='color:#666'>Select two or more runs above (or a branch) and press "
                "Compare: their curves overlaid, their grids side by side.</span>"
            )
        rows = " &nbsp; ".join(
            f"<span style='color:{colour}; font-size:14pt'>&#9632;</span> {escape(text)}"
            for colour, text in lines
        )
        note = self.model.noise_note()
        return rows + (f"<br><span style='color:#666'>{escape(note)}</span>" if note else "")

    # ---- the scrubber -------------------------------------------------------------------------
    def _on_slider_moved(self, position: int) -> None:
        steps = self.model.steps()
        if 0 <= position < len(steps):
            self.model.set_step(steps[position])

    def _on_step_changed(self, step: int) -> None:
        runs = self.model.runs
        move_step_cursors(self.cursors, step if runs else None)
        self.step_label.setText(f"iteration {step:,}" if runs else "")
        steps = self.model.steps()
        if step in steps and self.slider.value() != steps.index(step):
            self.slider.blockSignals(True)
            self.slider.setValue(steps.index(step))
            self.slider.blockSignals(False)
        elsewhere = []
        for i, run in enumerate(runs):
            shown = self.model.grid_step(run)
            colour = self.model.colour(i)
            name = escape(run.summary.title)
            if shown is None:
                text = f"<span style='color:{colour}'>&#9632;</span> {name}: no saved grids"
            else:
                text = f"<span style='color:{colour}'>&#9632;</span> {name}, iteration {shown:,}"
                if shown != step:
                    text += " <span style='color:#d9534f'>(nearest saved)</span>"
                    elsewhere.append(f"{run.summary.title} at {shown:,}")
                self.grid_wanted.emit(i, shown)
            self.titles[i].setText(text)
        notes = []
        if elsewhere:
            notes.append(
                f"Not every run saved a grid at iteration {step:,}; the nearest is shown: "
                + "; ".join(elsewhere)
                + "."
            )
        self.note.setText(" ".join(notes))

    def show_grid(self, index: int, image: np.ndarray | None) -> None:
        if 0 <= index < len(self.views) and image is not None:
            self.views[index].show_image(image)
