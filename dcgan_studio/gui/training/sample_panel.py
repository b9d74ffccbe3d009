"""The fixed-noise sample grid, live, with the real batch beside it and a history scrubber.

One ImageItem per grid (a whole mosaic, not one item per tile), levels fixed to 0..255. D's
probability of "real" is written on each tile. The scrubber runs over every grid the run saved;
an older step is read from ``samples/step-NNNNNNN.png`` in the run folder when it is picked, so
the history costs no memory; it is read off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.grid import GridGeometry
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import RealBatchSnapshot, SampleGridSnapshot
from dcgan_studio.gui.widgets.generator_choice import generator_choice
from dcgan_studio.gui.widgets.play_button import PlayButton, scrub_row

ReadGrid = Callable[[Path, Callable[[np.ndarray | Exception], None]], None]
PADDING = 4  # between tiles; D's score bar is drawn in the strip under each tile
SAVED_PADDING = 2  # of the grids saved in the run folder (core.grid.make_grid's)
TITLES = {"fake": "G(fixed noise)", "ema": "G (EMA)(fixed noise)", "real": "real images"}
OPINION_TIP = (
    "A bar under each tile, as long as D's probability that the tile is a real image: red near "
    "0, green near 1. Early on D spots the fakes; as G improves their bars grow.<br><br>D judges "
    "the tiles as in a training step: the whole grid as one batch, each BatchNorm using that "
    "batch's own statistics. So the mean over the grid, shown in its title, reads like the "
    "D(G(z)) curve of the Losses plot, and the real batch's like D(x); they differ by how "
    "much one batch differs from another."
)


def scored_mosaic(images: np.ndarray, probabilities: np.ndarray | None) -> np.ndarray:
    """uint8 (N, H, W, C) -> an RGB mosaic; under each tile, a bar as long as D's probability
    that the tile is real, red (0) to green (1)."""
    n, h, w = images.shape[:3]
    geometry = GridGeometry(n, h, w, PADDING)
    grid = geometry.compose(images, pad_value=30)
    if grid.shape[2] == 1:
        grid = np.repeat(grid, 3, axis=2)
    if probabilities is None:
        return grid
    for index, p in enumerate(np.clip(probabilities, 0.0, 1.0)):
        left, top = geometry.origin(index)
        top += h + 1  # the bar sits in the padding under the tile
        grid[top : top + PADDING - 2, left : left + w] = (70, 70, 70)
        grid[top : top + PADDING - 2, left : left + max(1, round(p * w))] = (
            round(230 * (1 - p)),
            round(200 * p + 30),
            60,
        )
    return grid


class _GridView:
    """A view box showing one mosaic (a single ImageItem), and its title above it."""

    def __init__(self, layout: pg.GraphicsLayout, col: int, title: QLabel) -> None:
        self.box = layout.addViewBox(
            row=0, col=col, lockAspect=True, invertY=True, enableMouse=False
        )
        self.title = title  # a Qt label over the view: its length never sizes the column
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLevels((0, 255))
        self.box.addItem(self.image)
        self.shape: tuple[int, ...] | None = None

    def show_mosaic(self, mosaic: np.ndarray) -> np.ndarray:
        self.image.setImage(mosaic, autoLevels=False, levels=(0, 255))
        if self.shape != mosaic.shape:
            self.shape = mosaic.shape
            self.box.autoRange(padding=0)
        return mosaic

    def show(
        self, images: np.ndarray, probabilities: np.ndarray | None, show_scores: bool
    ) -> np.ndarray:
        return self.show_mosaic(scored_mosaic(images, probabilities if show_scores else None))

    def set_title(
        self, name: str, probabilities: np.ndarray | None = None, show_scores: bool = False
    ) -> None:
        """``name``, with D's mean score beside it while the bars show."""
        text = name
        if show_scores and probabilities is not None and len(probabilities):
            text += f" · D says real: {float(np.mean(probabilities)):.2f} on average"
        if text != self.title.text():
            self.title.setText(text)


class SamplePanel(QWidget):
    step_selected = Signal(int)  # the person picked a step in the history
    tile_clicked = Signal(str, int)  # "fake" | "real", the tile's index: look inside for it

    def __init__(self, read_grid: ReadGrid, parent: QWidget | None = None) -> None:
        """``read_grid(path, on_read)``: read a saved grid off the GUI thread; ``on_read`` gets
        the (H, W, 3) mosaic, or the exception, on the GUI thread (the newest read wins)."""
        super().__init__(parent)
        self._read_grid = read_grid
        self.run_dir: RunDirectory | None = None
        self.steps: list[int] = []  # saved grid steps of the run
        self.live_grid: SampleGridSnapshot | None = None
        self.real: RealBatchSnapshot | None = None
        self.shown_grid: np.ndarray | None = None  # the mosaic on screen, uint8 (H, W, C)
        self.shown_step: int | None = None
        self.training = False  # a session runs: the newest grid is live
        self.sample_count = 0  # tiles in a grid of this run, for reading saved grids' clicks
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_options())
        layout.addLayout(self._build_views(), 1)
        layout.addLayout(self._build_scrubber())

    def _build_options(self) -> QHBoxLayout:
        options = QHBoxLayout()
        self.real_box = QCheckBox("Real batch beside")
        self.real_box.setToolTip(
            "Show a fixed batch of real training images next to G's "
            "samples, to compare them by eye."
        )
        self.real_box.toggled.connect(self._on_real_toggled)
        self.prob_box = QCheckBox("D's opinion")
        self.prob_box.setChecked(True)
        self.prob_box.setToolTip(OPINION_TIP)
        self.prob_box.toggled.connect(lambda _: self.redraw())
        self.ema = False  # the live grid of G (EMA), not of G
        self.generator_box = generator_choice(self._on_generator_chosen, "Grid of")
        options.addWidget(self.generator_box)
        options.addWidget(self.real_box)
        options.addWidget(self.prob_box)
        options.addStretch(1)
        return options

    def _build_views(self) -> QVBoxLayout:
        column = QVBoxLayout()
        titles = QHBoxLayout()
        labels = {}
        for source in ("fake", "real"):
            labels[source] = QLabel(TITLES[source])
            labels[source].setAlignment(Qt.AlignmentFlag.AlignCenter)
            labels[source].setMinimumWidth(1)  # elided by the column, never widening it
            labels[source].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            titles.addWidget(labels[source], 1)
        column.addLayout(titles)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.fake_view = _GridView(self.graphics.ci, 0, labels["fake"])
        self.real_view = _GridView(self.graphics.ci, 1, labels["real"])
        self._set_real_visible(False)
        self.graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.graphics.setToolTip("Click a tile to see inside G and D for it (Feature maps).")
        column.addWidget(self.graphics, 1)
        return column

    def _build_scrubber(self) -> QHBoxLayout:
        self.play_button = PlayButton(
            "Replay the saved grids from the start of the run.", 120, self._advance_play
        )
        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip(
            "Scrub through every grid the run saved. At the right end the "
            "grid follows training live."
        )
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.step_label = QLabel("no samples yet")
        self.step_label.setMinimumWidth(150)
        return scrub_row(self.play_button, self.slider, self.step_label)

    # ---- data in ----------------------------------------------------------------------------
    def set_run(self, run_dir: RunDirectory | None, steps: list[int] | None = None) -> None:
        self.run_dir = run_dir
        self.steps = list(steps or [])
        self.live_grid, self.real = None, None
        self.shown_grid, self.shown_step = None, None  # the last run's grid is not this one's
        self._sync_slider(follow=True)
        if self.steps:
            self._show_saved(self.steps[-1])

    def set_saved_steps(self, steps: list[int]) -> None:
        """The saved grids of a followed run as they are now: at the right end the scrubber
        moves on to the newest one and shows it; elsewhere it stays on the grid shown, or, when
        that grid is gone (a resume cut the history back), moves to the newest one before it
        and shows that."""
        if steps == self.steps:
            return
        at_end = self.is_live()
        shown = self.steps[self.slider.value()] if self.steps and not at_end else None
        self.steps = list(steps)
        self._sync_slider(follow=at_end)
        if not self.steps:
            return
        if shown is None:
            if self.is_live():
                self._show_saved(self.steps[-1])
            return
        if shown in self.steps:
            self._place_slider(self.steps.index(shown))
            return
        earlier = [index for index, step in enumerate(self.steps) if step < shown]
        index = earlier[-1] if earlier else 0
        self._place_slider(index)
        self._on_slider_moved(index)  # drawn, and said to the views that follow the scrubber

    def _place_slider(self, index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)

    def show_grid(self, grid: SampleGridSnapshot) -> None:
        """The newest grid from training; drawn while the scrubber follows live."""
        following = self.is_live()
        self.live_grid = grid
        if not self.steps or self.steps[-1] < grid.step:
            self.steps.append(grid.step)
        self._sync_slider(follow=following)
        if following:
            self._redraw_fake()

    def show_real(self, real: RealBatchSnapshot) -> None:
        """The fixed real batch, with D's opinion of it."""
        self.real = real
        self._redraw_real()

    def live_images(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The live grid's images and D's scores of them: G's, or G (EMA)'s where chosen."""
        grid = self.live_grid
        if self.ema and grid.ema_images is not None:
            return grid.ema_images, grid.ema_d_probabilities
        return grid.images, grid.d_probabilities

    @property
    def shows_ema(self) -> bool:
        """The grid on screen is G (EMA)'s (saved grids are G's)."""
        live = self.is_live() and self.live_grid is not None
        return live and self.ema and self.live_grid.ema_images is not None

    def grid_to_save(self, with_opinion: bool) -> tuple[np.ndarray, np.ndarray | None] | None:
        """(the grid on screen as an RGB mosaic, D's scores of its tiles or None): G's (or
        G (EMA)'s) images alone, or with D's bars under them. A grid read back from the run
        has no scores."""
        if self.is_live() and self.live_grid is not None:
            images, scores = self.live_images()
            return scored_mosaic(images, scores if with_opinion else None), scores
        if self.shown_grid is None or with_opinion:
            return None
        return self.shown_grid, None

    def set_training(self, training: bool) -> None:
        """A session started or ended: the newest grid is live, or the run's last."""
        self.training = training
        if self.is_live() and self.live_grid is not None:
            self.redraw()

    def is_live(self) -> bool:
        return self.slider.value() >= self.slider.maximum()

    # ---- drawing ----------------------------------------------------------------------------
    def redraw(self) -> None:
        self._redraw_fake()
        self._redraw_real()

    def _redraw_fake(self) -> None:
        if self.is_live() and self.live_grid is not None:
            show = self.prob_box.isChecked()
            images, scores = self.live_images()
            self.shown_grid = self.fake_view.show(images, scores, show)
            self.shown_step = self.live_grid.step
            self.step_label.setText(
                f"iteration {self.live_grid.step} ({'live' if self.training else 'newest'})"
            )
            title = TITLES["ema" if self.shows_ema else "fake"]
            self.fake_view.set_title(title, scores, show)

    def _on_generator_chosen(self, ema: bool) -> None:
        self.ema = ema
        self._redraw_fake()

    def _redraw_real(self) -> None:
        if self.real is not None and self.real_box.isChecked():
            show = self.prob_box.isChecked()
            self.real_view.show(self.real.images, self.real.d_probabilities, show)
            self.real_view.set_title(TITLES["real"], self.real.d_probabilities, show)

    def _show_saved(self, step: int) -> None:
        if self.live_grid is not None and step == self.live_grid.step:
            self.redraw()
            return
        if self.run_dir is None:
            return
        path = Path(self.run_dir.sample_path(step))
        self._read_grid(path, lambda result: self._on_saved_read(step, path, result))

    def _on_saved_read(self, step: int, path: Path, result: np.ndarray | Exception) -> None:
        """A saved grid read: shown unless the live grid is on screen now or the run changed.
        Reads come back in the order asked, so during Play or a drag each newer one replaces
        the last, and the one the scrubber stopped at comes last."""
        following_live = self.is_live() and self.live_grid is not None
        if following_live or self.run_dir is None or Path(self.run_dir.sample_path(step)) != path:
            return
        if isinstance(result, FileNotFoundError):
            self.step_label.setText(f"iteration {step}: {path.name} is missing")
        elif isinstance(result, Exception):  # damaged: Pillow raises OSError, SyntaxError, ...
            self.step_label.setText(f"iteration {step}: {path.name} is damaged and cannot be shown")
        else:
            self.shown_grid = self.fake_view.show_mosaic(result)
            self.shown_step = step
            self.step_label.setText(f"iteration {step} (saved)")
            self.fake_view.set_title(TITLES["fake"])  # a saved grid holds the images alone

    # ---- the scrubber -----------------------------------------------------------------------
    def select_step(self, step: int) -> None:
        """Move the scrubber to the saved grid nearest ``step`` (from a click on the plot)."""
        if not self.steps:
            return
        index = int(np.argmin(np.abs(np.asarray(self.steps) - step)))
        self.slider.setValue(index)

    def _sync_slider(self, follow: bool) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.steps) - 1))
        if follow:
            self.slider.setValue(self.slider.maximum())
        self.slider.blockSignals(False)

    def _on_slider_moved(self, index: int) -> None:
        if not self.steps:
            return
        step = self.steps[index]
        if self.is_live() and self.live_grid is not None:
            self.redraw()
        else:
            self._show_saved(step)
        self.step_selected.emit(step)

    def _on_play_toggled(self, on: bool) -> None:
        if on and self.is_live():  # replay from the start
            self.slider.setValue(0)

    def _advance_play(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
            return
        self.slider.setValue(self.slider.value() + 1)

    def _on_scene_clicked(self, event) -> None:
        for source, view in (("fake", self.fake_view), ("real", self.real_view)):
            if view.shape is None or not view.box.isVisible():
                continue
            if not view.box.sceneBoundingRect().contains(event.scenePos()):
                continue
            point = view.box.mapSceneToView(event.scenePos())
            index = self._geometry(source).tile_at(point.x(), point.y())
            if index is not None:
                self.tile_clicked.emit(source, index)
            return

    def _geometry(self, source: str) -> GridGeometry:
        """The tiles of the grid on screen: a live one is drawn here, a saved one was written
        with ``make_grid``'s padding."""
        view = self.fake_view if source == "fake" else self.real_view
        live = self.live_grid if source == "fake" else self.real
        if source == "fake" and not (self.is_live() and self.live_grid is not None):
            return GridGeometry.of_mosaic(self.sample_count, view.shape[1], SAVED_PADDING)
        count = len(live.images) if live is not None else self.sample_count
        return GridGeometry.of_mosaic(count, view.shape[1], PADDING)

    def tile_image(self, source: str, index: int) -> np.ndarray | None:
        """uint8 (S, S, C) of tile ``index`` as it is on screen: G's (or G (EMA)'s), from the
        live grid or the saved one shown, or the real batch's."""
        if source == "real":
            return None if self.real is None else self.real.images[index]
        if self.is_live() and self.live_grid is not None:
            return self.live_images()[0][index]
        if self.shown_grid is None or self.fake_view.shape is None:
            return None
        geometry = self._geometry("fake")
        x, y = geometry.origin(index)
        return self.shown_grid[y : y + geometry.height, x : x + geometry.width].copy()

    def _on_real_toggled(self, on: bool) -> None:
        self._set_real_visible(on)
        self.redraw()

    def _set_real_visible(self, on: bool) -> None:
        self.real_view.box.setVisible(on)
        self.real_view.title.setVisible(on)
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)  # side by side: the same size
        self.graphics.ci.layout.setColumnStretchFactor(1, 1 if on else 0)
        self.graphics.ci.layout.setColumnMaximumWidth(1, 1e6 if on else 0)
