"""The latent space's view: the image of the vector on screen, the seed, the shelf, the tabs of
sliders, interpolation and arithmetic, and the Save row.

A view of ``LatentSelection``: the person's input changes the model, the model's events redraw
the labels and sliders, and ``show_rendered`` puts G's images where they belong. What needs G
(principal directions, saving) goes through the callbacks the space gives.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.gui.latent.model import LatentSelection
from dcgan_studio.gui.latent.paths import ArithmeticPanel, InterpolationPanel
from dcgan_studio.gui.latent.saving import Save, SaveBar
from dcgan_studio.gui.latent.shelf import Shelf
from dcgan_studio.gui.latent.sliders import DimensionsPanel, DirectionsPanel
from dcgan_studio.gui.widgets.compact import shrinkable
from dcgan_studio.gui.widgets.generator_choice import generator_choice
from dcgan_studio.gui.widgets.image_view import ImageView

PLACEHOLDER = "Start training, or open a checkpoint, to explore G's latent space."
Z_TIP = (
    "z is the latent vector G draws an image from: nz numbers, each drawn from a standard "
    "normal distribution in training. Every point of this space is an image; nearby points "
    "are similar images."
)
SEED_TIP = (
    "A seed names a z: the same seed always gives the same vector (as `dcgan-studio sample "
    "--seed`). Type one, press Enter."
)
PIN_TIP = (
    "Pin to the shelf: keep the current vector, to interpolate between, do arithmetic with, "
    "or save as a grid."
)


class LatentExplorer(QWidget):
    nearest_asked = Signal(object)  # the image on screen: find the real images nearest to it

    def __init__(
        self,
        model: LatentSelection,
        find_directions: Callable[[], None],
        save: Save,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_top(), 2)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        self.status.setStyleSheet("color: #d9534f;")
        layout.addWidget(self.status)
        self.shelf = Shelf(model.shelf, model.choose_pinned)
        layout.addWidget(self.shelf)
        self.tabs = QTabWidget()
        self.dimensions_panel = DimensionsPanel(model)
        self.directions_panel = DirectionsPanel(model, find_directions)
        self.interpolation = InterpolationPanel(model.interpolation, model.shelf)
        self.arithmetic = ArithmeticPanel(
            model.arithmetic, model.shelf, model.use_arithmetic_result
        )
        for tab, title in (
            (self.dimensions_panel, "Sliders"),
            (self.directions_panel, "Directions"),
            (self.interpolation, "Interpolate"),
            (self.arithmetic, "Arithmetic"),
        ):
            self.tabs.addTab(tab, title)
        layout.addWidget(self.tabs, 5)
        self.save_bar = SaveBar(model, model.shelf, save)
        layout.addWidget(self.save_bar)
        # the sliders and buttons used most, named here: callers need not know the panels
        dimensions, directions = self.dimensions_panel, self.directions_panel
        self.dimension_sliders, self.reset_button = dimensions.sliders, dimensions.reset_button
        self.direction_sliders, self.find_button = directions.sliders, directions.find_button
        self.busy, self.directions_label = directions.busy, directions.label
        model.generator_changed.connect(self._on_model_generator_changed)
        model.source_changed.connect(self._show_source)
        model.chosen.connect(self._on_model_chosen)
        model.moved.connect(self._show_vector)
        self._set_ready(False)

    def _build_top(self) -> QHBoxLayout:
        """The image (or, before G, what to do) beside the labels and the buttons."""
        top = QHBoxLayout()
        self.stack = QStackedWidget()
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.main_view = ImageView()
        self.main_view.setToolTip(Z_TIP)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.main_view)
        # small enough that image, shelf, tabs and Save fit a laptop's dock (360 x 650 px)
        self.stack.setMinimumSize(140, 140)
        self.stack.setMaximumHeight(240)  # the tabs below need the room more
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        top.addWidget(self.stack, 3)
        top.addLayout(self._build_side(), 2)
        return top

    def _build_side(self) -> QVBoxLayout:
        side = QVBoxLayout()
        self.vector_label = QLabel("no vector yet")
        self.vector_label.setWordWrap(True)
        self.vector_label.setToolTip(Z_TIP)
        self.source_label = QLabel("")
        self.source_label.setWordWrap(True)
        self.latency_label = QLabel("")
        self.latency_label.setToolTip("Time from the request to G's image, on the render thread.")
        for widget in (self.vector_label, self.source_label, self.latency_label):
            side.addWidget(widget)
        side.addStretch(1)
        self.generator_box = generator_choice(self.model.set_ema, "Draw with")
        side.addWidget(self.generator_box)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip(SEED_TIP)
        self.seed_spin.editingFinished.connect(self._on_seed_entered)
        self.use_button = QPushButton("Use")
        self.use_button.clicked.connect(self._on_seed_entered)
        seed_row = QHBoxLayout()
        seed_row.addWidget(QLabel("Seed"))
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.use_button)
        side.addLayout(seed_row)
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("Draw a new seed and the z it gives (shown in Seed).")
        self.random_button.clicked.connect(self.model.random_vector)
        self.pin_button = QPushButton("Pin")
        self.pin_button.setToolTip(PIN_TIP)
        self.pin_button.clicked.connect(self.model.pin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.random_button)
        buttons.addWidget(self.pin_button)
        side.addLayout(buttons)
        self.nearest_button = QPushButton("Nearest real")
        self.nearest_button.setToolTip(
            "The training images nearest to this one, in features and in pixels (the Quality "
            "tab): does G copy its data?"
        )
        self.nearest_button.clicked.connect(self._on_nearest_clicked)
        side.addWidget(self.nearest_button)
        for button in (self.random_button, self.use_button, self.pin_button, self.nearest_button):
            shrinkable(button)
        return side

    # ---- from the space -----------------------------------------------------------------------
    def show_rendered(self, key: str, images: np.ndarray, seconds: float) -> None:
        """G's images for ``key`` (uint8 (N, H, W, C)), ``seconds`` after they were asked for."""
        if key == "main":
            self.main_view.show_image(images[0])
            self.latency_label.setText(f"rendered in {1000 * seconds:.0f} ms")
        elif key == "strip":
            self.interpolation.show_frames(images)
        elif key == "operands":
            self.arithmetic.show_operands(images)
        elif key == "arithmetic":
            self.arithmetic.show_result(images[0])
        elif key.startswith("thumb:"):
            self.shelf.set_thumbnail(int(key.split(":", 1)[1]), images[0])

    def show_problem(self, text: str) -> None:
        """One line in red under the image, until G arrives."""
        self.status.setText(text)
        self.status.setVisible(True)

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def stop(self) -> None:
        """The animation stops (the window is closing)."""
        self.interpolation.stop()

    # ---- from the model -----------------------------------------------------------------------
    def _on_model_generator_changed(self) -> None:
        self.status.setVisible(False)
        self._set_ready(True)
        self._show_source()
        self._on_model_chosen()

    def _on_model_chosen(self) -> None:
        self.seed_spin.setValue(self.model.seed)
        self._show_vector()

    def _show_vector(self) -> None:
        """The header names the vector on screen: the chosen one, and what moved it since."""
        z = self.model.current_z()
        if z is None:
            return
        recipe = self.model.current_recipe()
        moved = list(recipe.get("directions", {}))
        if "dimensions" in recipe:
            count = len(recipe["dimensions"])
            moved.insert(0, f"{count} slider" + "s" * (count > 1))
        text = f"<b>{self.model.base_name}</b>"
        if moved:
            text += f", moved by {', '.join(moved)}"
        self.vector_label.setText(f"{text}  (|z| = {np.linalg.norm(z):.2f})")

    def _show_source(self) -> None:
        generator = self.model.generator
        if generator is None:
            return
        if generator.source:
            where = f"checkpoint {Path(generator.source).name}"
        else:
            where = "live training" if self.model.training else "as training left it"
        name = "G (EMA)" if generator.ema else "G"
        self.source_label.setText(f"{name} at step {generator.step}\n({where})")

    def _on_seed_entered(self) -> None:
        self.model.use_seed(self.seed_spin.value())

    def _on_nearest_clicked(self) -> None:
        if self.main_view.shown is not None:
            self.nearest_asked.emit(self.main_view.shown)

    def _set_ready(self, ready: bool) -> None:
        self.stack.setCurrentWidget(self.main_view if ready else self.placeholder)
        for widget in (
            self.generator_box,
            self.random_button,
            self.seed_spin,
            self.use_button,
            self.pin_button,
            self.nearest_button,
            self.tabs,
            self.save_bar,
        ):
            widget.setEnabled(ready)
