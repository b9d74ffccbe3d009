"""The latent explorer: choose latent vectors, move along them, and watch G's image change.

G renders on its own thread (``RenderService``) with its own CPU copy of the generator, built
from the weights training publishes or from a checkpoint, never the training model. Every image
here is a request to that service, newest wins per key ("main", "strip", "operands",
"arithmetic", "thumb:<id>"), so dragging a slider never queues work or blocks the window.
Saving runs there too, through ``recipes.save_creation``, and every file gets a JSON sidecar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.config import RunConfig
from dcgan_studio.core.latent import Directions, LatentRenderer, random_vector
from dcgan_studio.core.runs import open_checkpoint
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.latent.paths import ArithmeticPanel, InterpolationPanel
from dcgan_studio.gui.latent.render import RenderService
from dcgan_studio.gui.latent.saving import SaveBar
from dcgan_studio.gui.latent.shelf import Shelf
from dcgan_studio.gui.latent.sliders import DimensionsPanel, DirectionsPanel
from dcgan_studio.gui.widgets.compact import shrinkable
from dcgan_studio.gui.widgets.image_view import ImageView

PLACEHOLDER = "Start training, or open a checkpoint, to explore G's latent space."
Z_TIP = (
    "z is the latent vector G draws an image from: nz numbers, each drawn from a standard "
    "normal distribution in training. Every point of this space is an image; nearby points "
    "are similar images."
)
DIRECTIONS = 10


def _attempt(work):
    """Run ``work`` on the render thread; a person's error comes back as the result."""

    def attempt():
        try:
            return work()
        except (StudioError, OSError, ValueError) as exc:
            return exc

    return attempt


class LatentExplorer(QWidget):
    message = Signal(str)  # one line for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = RenderService(self)
        self.service.rendered.connect(self._on_service_rendered)
        self.service.renderer_changed.connect(self._on_service_renderer_changed)
        self.service.failed.connect(lambda text: self._report(f"Rendering failed: {text}"))
        self.renderer: LatentRenderer | None = None
        self.run_root: Path | None = None
        self.config: RunConfig | None = None
        self.grid_vectors: np.ndarray | None = None  # (N, nz) of the sample grid's tiles
        self.base: np.ndarray | None = None  # (nz,) the chosen vector
        self.base_name, self.base_recipe = "", {}
        self.edited: np.ndarray | None = None  # (nz,) the chosen vector as the sliders moved it
        self.directions: Directions | None = None
        self.alphas = np.zeros(DIRECTIONS, np.float32)
        self.latencies: list[float] = []  # seconds from request to rendered, "main" only
        self.training = True  # weights from show_weights are live until the session ends
        self._build()
        self._set_ready(False)

    # ---- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
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
        side = QVBoxLayout()
        self.vector_label = QLabel("no vector yet")
        self.vector_label.setWordWrap(True)
        self.vector_label.setToolTip(Z_TIP)
        self.latency_label = QLabel("")
        self.latency_label.setToolTip("Time from the request to G's image, on the render thread.")
        self.source_label = QLabel("")
        self.source_label.setWordWrap(True)
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("Draw a new seed and the z it gives (shown in Seed).")
        self.random_button.clicked.connect(self.random_vector)
        seed_row = QHBoxLayout()
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip(
            "A seed names a z: the same seed always gives the same "
            "vector (as `dcgan-studio sample --seed`). Type one, press "
            "Enter."
        )
        self.seed_spin.editingFinished.connect(lambda: self.use_seed(self.seed_spin.value()))
        self.use_button = QPushButton("Use")
        self.use_button.clicked.connect(lambda: self.use_seed(self.seed_spin.value()))
        seed_row.addWidget(QLabel("Seed"))
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.use_button)
        self.pin_button = QPushButton("Pin")
        self.pin_button.setToolTip(
            "Pin to the shelf: keep the current vector, to interpolate "
            "between, do arithmetic with, or save as a grid."
        )
        self.pin_button.clicked.connect(self.pin)
        for widget in (self.vector_label, self.source_label, self.latency_label):
            side.addWidget(widget)
        side.addStretch(1)
        side.addLayout(seed_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.random_button)
        buttons.addWidget(self.pin_button)
        side.addLayout(buttons)
        for button in (self.random_button, self.use_button, self.pin_button):
            shrinkable(button)
        top.addLayout(side, 2)
        layout.addLayout(top, 2)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        layout.addWidget(self.status)

        self.shelf = Shelf()
        self.shelf.chosen.connect(self._on_shelf_chosen)
        self.shelf.changed.connect(self._on_shelf_changed)
        layout.addWidget(self.shelf)

        self.tabs = QTabWidget()
        sliders, directions = DimensionsPanel(), DirectionsPanel()
        self.dimension_sliders, self.reset_button = sliders.sliders, sliders.reset_button
        self.dimension_sliders.moved.connect(self._on_dimension_moved)
        self.reset_button.clicked.connect(self.reset_sliders)
        sliders.randomise_button.clicked.connect(self.random_vector)
        self.direction_sliders, self.find_button = directions.sliders, directions.find_button
        self.busy, self.directions_label = directions.busy, directions.label
        self.direction_sliders.moved.connect(self._on_direction_moved)
        self.find_button.clicked.connect(self.find_directions)
        directions.reset_button.clicked.connect(self.reset_directions)
        self.tabs.addTab(sliders, "Sliders")
        self.tabs.addTab(directions, "Directions")
        self.interpolation = InterpolationPanel(self.shelf)
        self.interpolation.path_changed.connect(self._render_strip)
        self.tabs.addTab(self.interpolation, "Interpolate")
        self.arithmetic = ArithmeticPanel(self.shelf)
        self.arithmetic.operands_changed.connect(self._render_arithmetic)
        use_result = QPushButton("Use the result")
        use_result.setToolTip(
            "Make A − B + C the current vector: pin it, save it, or move it with the sliders."
        )
        self.arithmetic.hint_row.addWidget(use_result)
        use_result.clicked.connect(self._on_use_result_clicked)
        self.tabs.addTab(self.arithmetic, "Arithmetic")
        layout.addWidget(self.tabs, 5)
        self.save_bar = SaveBar(self)
        layout.addWidget(self.save_bar)

    # ---- public API ---------------------------------------------------------------------------
    def show_weights(self, snapshot: GeneratorWeightsSnapshot) -> None:
        """Newer weights from training: render everything on screen with them."""
        self._adopt(lambda: LatentRenderer.from_weights(snapshot), f"G at step {snapshot.step}")

    def open_checkpoint(self, path: str | Path) -> None:
        self._adopt(lambda: LatentRenderer.from_checkpoint(open_checkpoint(path)), str(path))

    def set_run(self, run_root: Path | None, config: RunConfig | None) -> None:
        self.run_root = Path(run_root) if run_root is not None else None
        self.config = config

    def set_grid_vectors(self, z: np.ndarray | None) -> None:
        self.grid_vectors = None if z is None else np.asarray(z, np.float32).reshape(len(z), -1)

    def take_tile(self, index: int) -> None:
        if self.grid_vectors is None or not 0 <= index < len(self.grid_vectors):
            self._report(f"No vector for tile {index}: the sample grid has not arrived yet.")
            return
        self.set_vector(self.grid_vectors[index], f"tile {index}", {"tile": index})

    def save(self, kind: str, out: str | Path) -> None:
        """Save ``kind`` (image | grid | strip | animation | samples) to ``out`` without a
        dialog; reported through ``message``, and ``save_bar.saved`` with the files."""
        self.save_bar.save(kind, Path(out))

    def shutdown(self) -> None:
        self.interpolation.timer.stop()
        self.service.stop()

    # ---- choosing the vector ------------------------------------------------------------------
    def nz(self) -> int | None:
        return self.renderer.nz if self.renderer is not None else None

    def random_vector(self) -> None:
        self.seed_spin.setValue(int(np.random.default_rng().integers(0, 2**31 - 1)))
        self.use_seed(self.seed_spin.value())

    def use_seed(self, seed: int) -> None:
        if self.renderer is None:
            return
        self.seed_spin.setValue(seed)
        self.set_vector(random_vector(seed, self.renderer.nz), f"seed {seed}", {"seed": seed})

    def set_vector(self, z: np.ndarray, name: str, recipe: dict[str, Any]) -> None:
        z = np.array(z, np.float32).reshape(-1)
        if self.renderer is not None and len(z) != self.renderer.nz:
            self._report(f"{name} has {len(z)} numbers but this G takes {self.renderer.nz}.")
            return
        self.base, self.base_name, self.base_recipe = z, name, dict(recipe)
        self.reset_sliders()

    def current_z(self) -> np.ndarray | None:
        """(nz,) the vector on screen: the chosen one, as moved by both sets of sliders."""
        if self.edited is None:
            return None
        z = self.edited.copy()
        if self.directions is not None:
            z += self.alphas[: len(self.directions.vectors)] @ self.directions.vectors
        return z.astype(np.float32)

    def current_recipe(self) -> dict[str, Any]:
        recipe: dict[str, Any] = {"vector": self.base_name, **self.base_recipe}
        if self.base is not None and self.edited is not None:
            moved = np.flatnonzero(self.edited != self.base)
            if len(moved):
                recipe["dimensions"] = {f"z{i}": round(float(self.edited[i]), 4) for i in moved}
        if self.directions is not None and self.alphas.any():
            recipe["directions"] = {
                f"PC{i + 1}": round(float(a), 4) for i, a in enumerate(self.alphas) if a
            }
            recipe["directions_layer"] = self.directions.layer
        return recipe

    def reset_sliders(self) -> None:
        if self.base is None:
            return
        self.edited = self.base.copy()
        self.dimension_sliders.set_values(self.edited)
        self.reset_directions()

    def reset_directions(self) -> None:
        self.alphas[:] = 0.0
        self.direction_sliders.set_values(self.alphas)
        self._render_main()

    def pin(self) -> None:
        z = self.current_z()
        if z is None:
            return
        recipe = self.current_recipe()
        untouched = set(recipe) <= {"vector", "seed", "tile", "pinned"}
        name = self.base_name if untouched and self.base_name else self.shelf.default_name()
        uid = self.shelf.add(name, z, recipe)
        self.service.request(f"thumb:{uid}", z[None])
        self.message.emit(f"Pinned {self.shelf.name(uid)} to the shelf.")

    def _on_shelf_chosen(self, uid: int) -> None:
        pinned = self.shelf.pinned[uid]
        name = self.shelf.name(uid)
        self.set_vector(pinned.z, name, {**pinned.recipe, "pinned": name})

    def _on_shelf_changed(self) -> None:
        self.save_bar.update_labels()

    def _on_use_result_clicked(self) -> None:
        z = self.arithmetic.result_z()
        if z is None:
            self._report("Fill slots A, B and C with pinned vectors first.")
            return
        self.set_vector(z[0], "A − B + C", self.arithmetic.recipe())

    # ---- sliders ------------------------------------------------------------------------------
    def _on_dimension_moved(self, index: int, value: float) -> None:
        if self.edited is not None:
            self.edited[index] = value
            self._render_main()

    def _on_direction_moved(self, index: int, value: float) -> None:
        self.alphas[index] = value
        self._render_main()

    def find_directions(self) -> None:
        renderer = self.renderer
        if renderer is None:
            return
        self.find_button.setEnabled(False)
        self.busy.setVisible(True)
        self.directions_label.setText("Sampling G 2000 times…")
        self.service.run(
            _attempt(lambda: renderer.principal_directions(DIRECTIONS)), self._on_directions_found
        )

    def _on_directions_found(self, result) -> None:
        self.find_button.setEnabled(self.renderer is not None)
        self.busy.setVisible(False)
        if isinstance(result, Exception):
            self.directions_label.setText("Not found.")
            self._report(f"Could not find directions: {result}")
            return
        self.directions = result
        self.alphas = np.zeros(len(result.vectors), np.float32)
        names = [f"PC{i + 1} · {100 * share:.1f} %" for i, share in enumerate(result.explained)]
        tips = [
            f"Adds α × direction {i + 1} to z; this component holds {100 * share:.1f} % "
            f"of the variance of {result.layer}."
            for i, share in enumerate(result.explained)
        ]
        self.direction_sliders.set_rows(names, tips)
        self.direction_sliders.set_values(self.alphas)
        step = self.renderer.step if self.renderer is not None else "?"
        self.directions_label.setText(
            f"Top {len(names)} directions of {result.layer} "
            f"(G at step {step}). Each slider adds α × direction."
        )
        self._render_main()

    # ---- rendering ----------------------------------------------------------------------------
    def _adopt(self, make, what: str) -> None:
        """Build a renderer on the render thread; on success render with it from then on."""

        def done(result) -> None:
            if isinstance(result, Exception):
                self._report(f"Could not open {what}: {result}")
            else:
                self.service.use(lambda: result)

        self.service.run(_attempt(make), done)

    def _on_service_renderer_changed(self, renderer: LatentRenderer) -> None:
        previous, self.renderer = self.renderer, renderer
        if previous is None or previous.nz != renderer.nz or previous.source != renderer.source:
            self.directions = None
            self.direction_sliders.set_rows([])
            self.directions_label.setText("Not found yet: press Find directions.")
        if previous is None or previous.nz != renderer.nz:
            if self.shelf.pinned and previous is not None:
                self.shelf.clear()
            self.dimension_sliders.set_rows([f"z{i}" for i in range(renderer.nz)])
            if self.base is None or len(self.base) != renderer.nz:
                self.base = None
                self.use_seed(self.seed_spin.value())
            else:  # a vector chosen before G arrived (a tile): show it on the new sliders
                self.dimension_sliders.set_values(self.edited)
        self._show_source()
        self.status.setVisible(False)
        self._set_ready(True)
        self.render_all()

    def set_training(self, training: bool) -> None:
        """A session started or ended: G's weights here are live, or as the run left them."""
        self.training = training
        self._show_source()

    def _show_source(self) -> None:
        renderer = self.renderer
        if renderer is None:
            return
        if renderer.source:
            where = f"checkpoint {Path(renderer.source).name}"
        else:
            where = "live training" if self.training else "as training left it"
        self.source_label.setText(f"G at step {renderer.step}\n({where})")

    def render_all(self) -> None:
        """Everything on screen again (new weights)."""
        self._render_main()
        for uid, pinned in self.shelf.pinned.items():
            self.service.request(f"thumb:{uid}", pinned.z[None])
        self._render_strip()
        self._render_arithmetic()

    def _render_main(self) -> None:
        z = self.current_z()
        self._show_vector(z)
        if z is not None and self.renderer is not None:
            self.service.request("main", z[None])

    def _show_vector(self, z: np.ndarray | None) -> None:
        """The header names the vector on screen: the chosen one, and what moved it since."""
        if z is None:
            return
        recipe = self.current_recipe()
        moved = (
            [f"{len(recipe['dimensions'])} slider" + "s" * (len(recipe["dimensions"]) > 1)]
            if "dimensions" in recipe
            else []
        )
        moved += list(recipe.get("directions", {}))
        text = f"<b>{self.base_name}</b>" + (f", moved by {', '.join(moved)}" if moved else "")
        self.vector_label.setText(f"{text}  (|z| = {np.linalg.norm(z):.2f})")

    def _render_strip(self) -> None:
        z = self.interpolation.path_z()
        if z is not None and self.renderer is not None:
            self.service.request("strip", z)

    def _render_arithmetic(self) -> None:
        means, result = self.arithmetic.operand_means(), self.arithmetic.result_z()
        if means is not None and self.renderer is not None:
            self.service.request("operands", means)
            self.service.request("arithmetic", result)

    def _on_service_rendered(self, key: str, images: np.ndarray, seconds: float) -> None:
        if key == "main":
            self.main_view.show_image(images[0])
            self.latencies.append(seconds)
            self.latency_label.setText(f"rendered in {1000 * seconds:.0f} ms")
        elif key == "strip":
            self.interpolation.show_frames(images)
        elif key == "operands":
            self.arithmetic.show_operands(images)
        elif key == "arithmetic":
            self.arithmetic.show_result(images[0])
        elif key.startswith("thumb:"):
            self.shelf.set_thumbnail(int(key.split(":", 1)[1]), images[0])

    def _set_ready(self, ready: bool) -> None:
        self.stack.setCurrentWidget(self.main_view if ready else self.placeholder)
        for widget in (
            self.random_button,
            self.seed_spin,
            self.use_button,
            self.pin_button,
            self.tabs,
            self.save_bar,
        ):
            widget.setEnabled(ready)

    def _report(self, text: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #d9534f;")
        self.status.setVisible(True)
        self.message.emit(text)
