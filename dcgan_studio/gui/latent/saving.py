"""Saving what the latent explorer shows: an image, a grid, a strip, a GIF, or a folder of samples.

Each is a ``recipes.Creation`` rendered and written on the render thread (it uses the explorer's
renderer), with a JSON sidecar beside every file from which ``dcgan-studio sample --from-sidecar``
makes it again. Weights that came from live training are first kept in ``RUN/explorer/`` so the
sidecar has a file to point at.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from dcgan_studio.core.recipes import Creation, persist_weights, save_creation
from dcgan_studio.core.sampling import latent_vectors
from dcgan_studio.errors import StudioError

if TYPE_CHECKING:
    from dcgan_studio.gui.latent.explorer import LatentExplorer

KINDS = {  # kind: (button, tooltip, file filter)
    "image": (
        "Image…",
        "The current image as a PNG, every pixel enlarged to a Scale × Scale block.",
        "PNG image (*.png)",
    ),
    "grid": (
        "Grid…",
        "The shelf's vectors as one grid PNG; with none pinned, N random vectors from the seed.",
        "PNG image (*.png)",
    ),
    "strip": ("Strip…", "The interpolation strip as one PNG row.", "PNG image (*.png)"),
    "animation": ("GIF…", "The interpolation as a looping GIF.", "GIF animation (*.gif)"),
    "samples": ("Samples…", "N random vectors from the seed, one PNG each, into a folder.", ""),
}


class SaveBar(QWidget):
    saved = Signal(list)  # the files written

    def __init__(self, explorer: LatentExplorer) -> None:
        super().__init__(explorer)
        self.explorer = explorer
        layout = QGridLayout(self)  # two rows: one would hold the dock 600 px wide
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Save"), 0, 0)
        self.scale = QSpinBox()
        self.scale.setRange(1, 16)
        self.scale.setValue(8)
        self.scale.setPrefix("×")
        self.scale.setToolTip(
            "Scale: each of G's pixels becomes a Scale × Scale block (nearest-neighbour, no blur)."
        )
        self.count = QSpinBox()
        self.count.setRange(1, 1024)
        self.count.setValue(16)
        self.count.setPrefix("N ")
        self.count.setToolTip(
            "How many random vectors (from the seed) a grid with an empty "
            "shelf, or a samples folder, holds."
        )
        layout.addWidget(self.scale, 0, 1)
        layout.addWidget(self.count, 0, 2)
        self.buttons: dict[str, QPushButton] = {}
        for index, (kind, (text, tip, _filter)) in enumerate(KINDS.items()):
            button = QPushButton(text)
            button.setToolTip(
                tip + " A .json sidecar beside it lets `dcgan-studio sample "
                "--from-sidecar` make it again, exactly."
            )
            button.clicked.connect(lambda _=False, k=kind: self.ask_and_save(k))
            layout.addWidget(button, 1 + index // 3, index % 3)
            self.buttons[kind] = button

    def update_labels(self) -> None:
        pinned = len(self.explorer.shelf.pinned)
        self.buttons["grid"].setToolTip(
            f"The shelf's {pinned} vectors as one grid PNG." if pinned else KINDS["grid"][1]
        )

    # ---- what is saved ------------------------------------------------------------------------
    def creation(self, kind: str) -> Creation:
        e, scale, n = self.explorer, self.scale.value(), self.count.value()
        seed = e.seed_spin.value()
        if kind == "image":
            z = e.current_z()
            if z is None:
                raise StudioError("there is no current vector yet: press Random first")
            return Creation("image", z[None], scale, recipe=e.current_recipe())
        if kind == "grid":
            if e.shelf.pinned:
                z = latent_stack([e.shelf.vector(uid) for uid in e.shelf.ids()])
                recipe = {"vectors": e.shelf.names()}
            else:
                z, recipe = random_batch(n, e.renderer.nz, seed), {"seed": seed, "n": n}
            return Creation(
                "grid", z, scale, columns=max(1, math.ceil(math.sqrt(len(z)))), recipe=recipe
            )
        if kind in ("strip", "animation"):
            z = e.interpolation.path_z()
            if z is None:
                raise StudioError(
                    "there is no interpolation yet: pin two vectors and add them under Interpolate"
                )
            return Creation(
                kind,
                z,
                scale,
                columns=len(z) if kind == "strip" else None,
                frame_ms=e.interpolation.timer.interval(),
                recipe=e.interpolation.recipe(),
            )
        if kind == "samples":
            return Creation(
                "samples",
                random_batch(n, e.renderer.nz, seed),
                scale,
                recipe={"seed": seed, "n": n},
            )
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")

    # ---- saving -------------------------------------------------------------------------------
    def ask_and_save(self, kind: str) -> None:
        start = str(self.explorer.run_root or Path.home())
        if kind == "samples":
            out = QFileDialog.getExistingDirectory(self, "Save samples into a folder", start)
        else:
            name = self.explorer.base_name.replace(" ", "-") if kind == "image" else kind
            out, _ = QFileDialog.getSaveFileName(
                self, f"Save {kind}", str(Path(start) / f"{name}"), KINDS[kind][2]
            )
        if out:
            self.save(kind, Path(out), interactive=True)

    def save(self, kind: str, out: Path, interactive: bool = False) -> None:
        """Render and write ``kind`` to ``out`` on the render thread; the outcome is reported
        through the explorer's ``message`` (and ``saved`` with the files)."""
        e = self.explorer
        renderer = e.renderer
        try:
            if renderer is None:
                raise StudioError("there is no generator yet: start training or open a checkpoint")
            creation = self.creation(kind)
        except (StudioError, ValueError) as exc:
            self._failed(kind, exc, interactive)
            return
        config = renderer.run_config or e.config
        run_root, out = e.run_root, Path(out)

        def work():
            try:
                weights = renderer.source
                if weights is None:
                    if run_root is None or config is None:
                        raise StudioError(
                            "these weights come from training but no run folder "
                            "is known to keep them in"
                        )
                    weights = str(persist_weights(renderer, config, run_root))
                return save_creation(renderer, creation, out, weights, config)
            except (StudioError, OSError, ValueError) as exc:
                return exc

        def done(result) -> None:
            if isinstance(result, Exception):
                self._failed(kind, result, interactive)
                return
            if kind == "samples":
                text = f"Saved {len(result)} samples in {out}, each with its .json sidecar"
            else:
                text = f"Saved {result[0]} and its sidecar {result[0].with_suffix('.json').name}"
            e.message.emit(text)
            self.saved.emit(result)

        e.service.run(work, done)

    def _failed(self, kind: str, error: Exception, interactive: bool) -> None:
        text = f"Could not save the {kind}: {error}"
        self.explorer._report(text)
        if interactive:
            QMessageBox.warning(self, "Could not save", text)


def random_batch(n: int, nz: int, seed: int) -> np.ndarray:
    """(n, nz): the z that ``sample --seed seed --n n`` draws."""
    return latent_vectors(n, nz, seed)[:, :, 0, 0].numpy().copy()


def latent_stack(vectors: list[np.ndarray]) -> np.ndarray:
    return np.stack(vectors).astype(np.float32)
