"""What the latent space shows, Qt-free: the chosen vector and the sliders that move it, the
shelf of pinned vectors, the interpolation and the arithmetic between them, and what Save makes.

Vectors are float32 (nz,) arrays. The views change the model from the person's input and
subscribe to its events; ``LatentSpace`` renders with G whatever an event says has changed. A
request the model cannot follow (a tile the grid does not have yet) is said through ``refused``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_studio.config import RunConfig
from dcgan_studio.core.grid import square_columns
from dcgan_studio.core.latent import Directions, random_vector
from dcgan_studio.core.recipes import KINDS, Creation
from dcgan_studio.core.sampling import latent_vectors
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.events import Event
from dcgan_studio.gui.latent.pinned import Arithmetic, Interpolation, PinnedVectors

DIRECTIONS = 10  # principal directions to find, a slider each
DIRECTION_SAMPLES = 2000  # random z that G draws to find them
UNTOUCHED = {"vector", "seed", "tile", "pinned"}  # a recipe of these keeps its vector's name
SEARCH_STATES = ("none", "searching", "found", "failed")  # of the principal directions


@dataclass(frozen=True)
class ShownGenerator:
    """The copy of G the space renders with: its training step, nz, and the checkpoint it was
    read from (None: weights that training published)."""

    step: int
    nz: int
    source: str | None = None
    ema: bool = False  # G (EMA)'s weights, not G's


def random_batch(n: int, nz: int, seed: int) -> np.ndarray:
    """(n, nz): the z that ``sample --seed seed --n n`` draws."""
    return latent_vectors(n, nz, seed)[:, :, 0, 0].numpy().copy()


class LatentSelection:
    """The vector on screen and everything chosen around it (see the module's description)."""

    def __init__(self) -> None:
        self.generator: ShownGenerator | None = None
        self.ema = False  # draw with G (EMA) where the weights have one
        self.training = True  # weights from training are live until the session ends
        self.run_root: Path | None = None  # where live weights are kept when something is saved
        self.config: RunConfig | None = None
        self.grid_vectors: np.ndarray | None = None  # (N, nz) of the sample grid's tiles
        self.seed = 0
        self.base: np.ndarray | None = None  # (nz,) the chosen vector
        self.base_name = ""
        self.base_recipe: dict[str, Any] = {}
        self.edited: np.ndarray | None = None  # (nz,) the chosen vector as the sliders moved it
        self.directions: Directions | None = None
        self.search = "none"  # for the directions: one of SEARCH_STATES
        self.alphas = np.zeros(DIRECTIONS, np.float32)  # how far along each direction
        self.shelf = PinnedVectors()
        self.interpolation = Interpolation(self.shelf)
        self.arithmetic = Arithmetic(self.shelf)
        self.save_scale = 8  # every pixel of G becomes a scale x scale block
        self.save_count = 16  # random vectors in a grid with an empty shelf, or in samples
        self.generator_changed = Event()  # another G: its sliders, its source; render it all
        self.source_changed = Event()  # G's weights became live, or as training left them
        self.chosen = Event()  # a vector was chosen or the sliders reset: all sliders follow
        self.moved = Event()  # a slider moved the vector on screen
        self.directions_changed = Event()  # found, cleared, searched for, or not found
        self.refused = Event()  # (text) a request that could not be followed, for a person
        self.ema_changed = Event()  # G or G (EMA) was chosen: the space fetches that one

    # ---- the run and G ------------------------------------------------------------------------
    def set_run(self, run_root: Path | None, config: RunConfig | None) -> None:
        self.run_root = Path(run_root) if run_root is not None else None
        self.config = config

    def set_training(self, training: bool) -> None:
        self.training = training
        self.source_changed.emit()

    def set_ema(self, ema: bool) -> None:
        """Draw with G (EMA) (True) or G."""
        if ema != self.ema:
            self.ema = ema
            self.ema_changed.emit()

    def set_grid_vectors(self, z: np.ndarray | None) -> None:
        self.grid_vectors = None if z is None else np.asarray(z, np.float32).reshape(len(z), -1)

    def set_generator(self, generator: ShownGenerator) -> None:
        """Render with another G from now on: the directions of another G do not apply, the
        shelf of another nz is emptied, and a vector that does not fit is drawn from the seed."""
        previous, self.generator = self.generator, generator
        if previous is None or (previous.nz, previous.source, previous.ema) != (
            generator.nz,
            generator.source,
            generator.ema,
        ):
            self.directions, self.search = None, "none"
            self.alphas = np.zeros(DIRECTIONS, np.float32)
            self.directions_changed.emit()
        if previous is not None and previous.nz != generator.nz and len(self.shelf):
            self.shelf.clear()
        if self.base is None or len(self.base) != generator.nz:
            z = random_vector(self.seed, generator.nz)
            self._choose(z, f"seed {self.seed}", {"seed": self.seed})
        self.generator_changed.emit()

    # ---- choosing the vector ------------------------------------------------------------------
    def random_vector(self) -> None:
        self.use_seed(int(np.random.default_rng().integers(0, 2**31 - 1)))

    def use_seed(self, seed: int) -> None:
        self.seed = seed
        if self.generator is not None:
            z = random_vector(seed, self.generator.nz)
            self.set_vector(z, f"seed {seed}", {"seed": seed})

    def take_tile(self, index: int) -> None:
        if self.grid_vectors is None or not 0 <= index < len(self.grid_vectors):
            self.refused.emit(f"No vector for tile {index}: the sample grid has not arrived yet.")
            return
        self.set_vector(self.grid_vectors[index], f"tile {index}", {"tile": index})

    def choose_pinned(self, uid: int) -> None:
        name = self.shelf.name(uid)
        self.set_vector(self.shelf.vector(uid), name, {**self.shelf.recipe(uid), "pinned": name})

    def use_arithmetic_result(self) -> None:
        z = self.arithmetic.result_z()
        if z is None:
            self.refused.emit("Fill slots A, B and C with pinned vectors first.")
            return
        self.set_vector(z[0], "A − B + C", self.arithmetic.recipe())

    def set_vector(self, z: np.ndarray, name: str, recipe: dict[str, Any]) -> None:
        z = np.array(z, np.float32).reshape(-1)
        if self.generator is not None and len(z) != self.generator.nz:
            self.refused.emit(f"{name} has {len(z)} numbers but this G takes {self.generator.nz}.")
            return
        self._choose(z, name, recipe)
        self.chosen.emit()

    def _choose(self, z: np.ndarray, name: str, recipe: dict[str, Any]) -> None:
        self.base, self.base_name, self.base_recipe = z, name, dict(recipe)
        self.edited = z.copy()
        self.alphas[:] = 0.0

    # ---- the sliders --------------------------------------------------------------------------
    def set_dimension(self, index: int, value: float) -> None:
        if self.edited is not None:
            self.edited[index] = value
            self.moved.emit()

    def set_alpha(self, index: int, value: float) -> None:
        self.alphas[index] = value
        self.moved.emit()

    def reset_sliders(self) -> None:
        """Back to the chosen vector: every number of z, and every direction."""
        if self.base is not None:
            self.edited = self.base.copy()
            self.reset_directions()

    def reset_directions(self) -> None:
        self.alphas[:] = 0.0
        self.chosen.emit()

    def search_directions(self) -> bool:
        """The search for G's principal directions begins; False when there is no G."""
        if self.generator is None:
            return False
        self.search = "searching"
        self.directions_changed.emit()
        return True

    def set_directions(self, directions: Directions) -> None:
        self.directions, self.search = directions, "found"
        self.alphas = np.zeros(len(directions.vectors), np.float32)
        self.directions_changed.emit()
        self.chosen.emit()

    def directions_not_found(self) -> None:
        self.search = "failed"
        self.directions_changed.emit()

    # ---- the vector on screen -----------------------------------------------------------------
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

    def image_keys(self) -> list[str]:
        """Every image of G on screen: the vector, the thumbnails, the strip, the arithmetic."""
        thumbs = [f"thumb:{uid}" for uid in self.shelf.ids()]
        return ["main", *thumbs, "strip", "operands", "arithmetic"]

    def vectors_for(self, key: str) -> np.ndarray | None:
        """(N, nz) the vectors the image ``key`` shows, or None while it shows nothing."""
        if key == "main":
            z = self.current_z()
            return None if z is None else z[None]
        if key == "strip":
            return self.interpolation.path_z()
        if key == "operands":
            return self.arithmetic.operand_means()
        if key == "arithmetic":
            return self.arithmetic.result_z()
        uid = int(key.removeprefix("thumb:"))
        return self.shelf.vector(uid)[None] if uid in self.shelf else None

    def pin(self) -> int | None:
        """Keep the vector on screen on the shelf, under its own name while no slider moved it;
        its id, or None when there is no vector yet."""
        z = self.current_z()
        if z is None:
            return None
        recipe = self.current_recipe()
        untouched = set(recipe) <= UNTOUCHED
        name = self.base_name if untouched and self.base_name else self.shelf.default_name()
        return self.shelf.pin(name, z, recipe)

    # ---- saving -------------------------------------------------------------------------------
    def creation(self, kind: str) -> Creation:
        """What Save writes for ``kind`` (image | grid | strip | animation | samples), from the
        state now; a ``StudioError`` says what is missing."""
        if self.generator is None:
            raise StudioError("there is no generator yet: start training or open a checkpoint")
        scale, n, seed = self.save_scale, self.save_count, self.seed
        if kind == "image":
            z = self.current_z()
            if z is None:
                raise StudioError("there is no current vector yet: press Random first")
            return Creation("image", z[None], scale, recipe=self.current_recipe())
        if kind == "grid":
            if len(self.shelf):
                z = np.stack([self.shelf.vector(uid) for uid in self.shelf.ids()])
                recipe: dict[str, Any] = {"vectors": self.shelf.names()}
            else:
                z, recipe = random_batch(n, self.generator.nz, seed), {"seed": seed, "n": n}
            return Creation("grid", z, scale, columns=square_columns(len(z)), recipe=recipe)
        if kind in ("strip", "animation"):
            return self._path_creation(kind, scale)
        if kind == "samples":
            z = random_batch(n, self.generator.nz, seed)
            return Creation("samples", z, scale, recipe={"seed": seed, "n": n})
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")

    def _path_creation(self, kind: str, scale: int) -> Creation:
        z = self.interpolation.path_z()
        if z is None:
            raise StudioError(
                "there is no interpolation yet: pin two vectors and add them under Interpolate"
            )
        return Creation(
            kind,
            z,
            scale,
            columns=len(z) if kind == "strip" else None,
            frame_ms=self.interpolation.frame_ms,
            recipe=self.interpolation.recipe(),
        )
