"""The latent space's model, Qt-free: the vector on screen and its sliders, the shelf, the
interpolation and arithmetic chosen from it, and what Save makes of them. Plain pytest."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dcgan_studio.core.latent import Directions, arithmetic, path, random_vector
from dcgan_studio.core.sampling import latent_vectors
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.latent.model import LatentSelection, ShownGenerator

NZ = 4


class Recorder:
    """Which of a model's events fired, in order, with their arguments."""

    def __init__(self, **events) -> None:
        self.calls: list[tuple] = []
        for name, event in events.items():
            event.connect(lambda *args, name=name: self.calls.append((name, *args)))

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]


def selection(step: int = 10, nz: int = NZ, source: str | None = None) -> LatentSelection:
    model = LatentSelection()
    model.set_generator(ShownGenerator(step, nz, source))
    return model


def directions(nz: int = NZ, count: int = 2) -> Directions:
    vectors = np.eye(count, nz, dtype=np.float32)  # (count, nz): z0, z1, ...
    return Directions(vectors, np.full(count, 0.25, np.float32), "relu1")


def test_the_first_g_draws_the_vector_of_the_seed_and_says_so_once():
    model = LatentSelection()
    model.use_seed(7)  # before G: remembered, nothing drawn
    assert model.current_z() is None and model.seed == 7
    seen = Recorder(generator=model.generator_changed, chosen=model.chosen)
    model.set_generator(ShownGenerator(3, NZ))
    assert seen.names() == ["generator"]  # the views redraw everything from this one event
    assert np.array_equal(model.current_z(), random_vector(7, NZ))
    assert model.current_recipe() == {"vector": "seed 7", "seed": 7}


def test_a_tile_taken_before_g_is_kept_when_g_arrives():
    model = LatentSelection()
    z = np.arange(2 * NZ, dtype=np.float32).reshape(2, NZ)
    model.set_grid_vectors(z)
    model.take_tile(1)
    model.set_generator(ShownGenerator(3, NZ))
    assert np.array_equal(model.current_z(), z[1])
    assert model.current_recipe() == {"vector": "tile 1", "tile": 1}


def test_a_missing_tile_or_a_vector_of_another_size_is_refused_in_words():
    model = selection()
    said = Recorder(refused=model.refused)
    model.take_tile(0)
    model.set_vector(np.zeros(NZ + 1), "odd", {})
    assert said.calls == [
        ("refused", "No vector for tile 0: the sample grid has not arrived yet."),
        ("refused", f"odd has {NZ + 1} numbers but this G takes {NZ}."),
    ]
    assert model.current_recipe()["vector"] == "seed 0"  # unchanged


def test_sliders_move_the_vector_and_reset_takes_it_back():
    model = selection()
    model.use_seed(1)
    base = model.current_z()
    seen = Recorder(chosen=model.chosen, moved=model.moved)
    model.set_dimension(2, 2.5)
    assert model.current_z()[2] == pytest.approx(2.5)
    assert model.current_recipe()["dimensions"] == {"z2": 2.5}
    assert np.array_equal(np.delete(model.current_z(), 2), np.delete(base, 2))
    model.reset_sliders()
    assert np.array_equal(model.current_z(), base) and "dimensions" not in model.current_recipe()
    assert seen.names() == ["moved", "chosen"]


def test_directions_add_alpha_times_each_and_another_g_forgets_them():
    model = selection()
    model.use_seed(1)
    base = model.current_z()
    assert model.search_directions() and model.search == "searching"
    model.set_directions(directions())
    assert model.search == "found" and len(model.alphas) == 2
    model.set_alpha(1, 2.0)
    assert np.allclose(model.current_z(), base + 2.0 * np.eye(2, NZ)[1])
    assert model.current_recipe()["directions"] == {"PC2": 2.0}
    assert model.current_recipe()["directions_layer"] == "relu1"
    model.set_generator(ShownGenerator(20, NZ))  # the same G, later: directions still apply
    assert model.directions is not None
    model.set_generator(ShownGenerator(20, NZ, "run/checkpoints/last.pt"))
    assert model.directions is None and model.search == "none"
    assert not model.alphas.any() and np.array_equal(model.current_z(), base)


def test_no_search_without_g_and_a_failed_one_says_so():
    model = LatentSelection()
    assert not model.search_directions()
    model = selection()
    model.search_directions()
    model.directions_not_found()
    assert model.search == "failed" and model.directions is None


def test_pinning_keeps_the_name_until_a_slider_moved_it():
    model = selection()
    model.use_seed(42)
    added = Recorder(added=model.shelf.added)
    first = model.pin()
    second = model.pin()  # the same name again is made unique
    model.set_dimension(0, 1.0)
    third = model.pin()
    assert model.shelf.names() == ["seed 42", "seed 42 (2)", "v1"]
    assert added.calls == [("added", first), ("added", second), ("added", third)]
    assert model.shelf.recipe(third)["dimensions"] == {"z0": 1.0}
    model.choose_pinned(third)
    assert np.array_equal(model.current_z(), model.shelf.vector(third))
    assert model.current_recipe()["pinned"] == "v1"


def test_rename_and_remove_keep_the_ids_and_the_choices_follow():
    model = selection()
    ids = []
    for seed in (1, 2, 3):
        model.use_seed(seed)
        ids.append(model.pin())
    through = model.interpolation.through
    assert through.add(ids[0]) and through.add(ids[1]) and through.add(ids[2])
    assert not through.add(ids[2])  # the same vector twice in a row
    changed = Recorder(shelf=model.shelf.changed, path=model.interpolation.changed)
    model.shelf.rename(ids[1], "middle")
    model.shelf.rename(ids[1], "middle")  # no change, no event
    assert through.names() == ["seed 1", "middle", "seed 3"]
    model.shelf.remove([ids[0], 999])
    assert model.shelf.ids() == ids[1:] and through.ids == ids[1:]
    assert sorted(changed.names()) == ["path", "shelf", "shelf"]  # a rename is no new path


def test_a_g_of_another_nz_empties_the_shelf_and_draws_again():
    model = selection()
    model.pin()
    model.set_generator(ShownGenerator(10, NZ + 2))
    assert len(model.shelf) == 0
    assert np.array_equal(model.current_z(), random_vector(0, NZ + 2))


def test_the_interpolation_is_the_core_path_through_the_chosen_vectors():
    model = selection()
    a = model.pin()
    model.use_seed(9)
    b = model.pin()
    interpolation = model.interpolation
    interpolation.through.add(a)
    assert interpolation.path_z() is None  # one stop is no path
    interpolation.through.add(b)
    seen = Recorder(changed=interpolation.changed)
    interpolation.set_frames(5)
    interpolation.set_method("linear")
    interpolation.set_method("linear")
    assert seen.names() == ["changed", "changed"]
    vectors = [model.shelf.vector(a), model.shelf.vector(b)]
    assert np.array_equal(interpolation.path_z(), path(vectors, 5, "linear"))
    assert interpolation.recipe() == {
        "method": "linear",
        "frames": 5,
        "vectors": ["seed 0", "seed 9"],
    }
    with pytest.raises(ValueError, match="method"):
        interpolation.set_method("cubic")


def test_arithmetic_is_the_mean_expression_and_its_result_can_be_used():
    model = selection()
    said = Recorder(refused=model.refused)
    model.use_arithmetic_result()
    assert said.calls == [("refused", "Fill slots A, B and C with pinned vectors first.")]
    ids = []
    for seed in (1, 2, 3, 4):
        model.use_seed(seed)
        ids.append(model.pin())
    slots = model.arithmetic.slots
    for slot, uids in (("A", ids[:2]), ("B", ids[2:3]), ("C", ids[3:])):
        for uid in uids:
            slots[slot].add(uid)
    vec = model.shelf.vector
    expected = arithmetic([vec(ids[0]), vec(ids[1])], [vec(ids[2])], [vec(ids[3])])
    assert np.array_equal(model.arithmetic.result_z()[0], expected)
    assert model.arithmetic.operand_means().shape == (3, NZ)
    assert model.arithmetic.expression() == "(seed 1 + seed 2) − (seed 3) + (seed 4)"
    model.use_arithmetic_result()
    assert np.array_equal(model.current_z(), expected)
    assert model.current_recipe() == {
        "vector": "A − B + C",
        "arithmetic": {"A": ["seed 1", "seed 2"], "B": ["seed 3"], "C": ["seed 4"]},
    }


def test_what_save_makes_of_each_kind():
    model = LatentSelection()
    with pytest.raises(StudioError, match="no generator yet"):
        model.creation("image")
    model = selection()
    model.use_seed(3)
    model.save_scale, model.save_count, model.seed = 4, 5, 11
    image = model.creation("image")
    assert image.z.shape == (1, NZ) and image.scale == 4
    assert image.recipe == {"vector": "seed 3", "seed": 3}
    grid = model.creation("grid")  # an empty shelf: N random vectors from the seed
    assert np.array_equal(grid.z, latent_vectors(5, NZ, 11)[:, :, 0, 0].numpy())
    assert grid.columns == 3 and grid.recipe == {"seed": 11, "n": 5}
    samples = model.creation("samples")
    assert np.array_equal(samples.z, grid.z) and samples.recipe == grid.recipe
    with pytest.raises(StudioError, match="pin two vectors"):
        model.creation("strip")
    a = model.pin()
    model.set_dimension(0, 2.0)
    b = model.pin()
    grid = model.creation("grid")
    assert grid.recipe == {"vectors": ["seed 3", "v1"]} and grid.columns == 2
    model.interpolation.through.add(a)
    model.interpolation.through.add(b)
    strip, animation = model.creation("strip"), model.creation("animation")
    assert strip.columns == 10 and animation.columns is None
    assert animation.frame_ms == model.interpolation.frame_ms
    with pytest.raises(ValueError, match="kind must be one of"):
        model.creation("poster")


def test_the_model_loads_no_qt():
    code = (
        "import sys, dcgan_studio.gui.latent.model\n"
        "print(sorted(m for m in ('PySide6', 'shiboken6', 'pyqtgraph') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_each_image_on_screen_names_the_vectors_it_shows():
    model = LatentSelection()
    assert model.vectors_for("main") is None  # nothing chosen yet: nothing to render
    model.set_generator(ShownGenerator(1, NZ))
    first = model.pin()
    model.use_seed(5)
    second = model.pin()
    assert model.image_keys() == [
        "main",
        f"thumb:{first}",
        f"thumb:{second}",
        "strip",
        "operands",
        "arithmetic",
    ]
    assert np.array_equal(model.vectors_for("main"), model.current_z()[None])
    assert np.array_equal(model.vectors_for(f"thumb:{first}"), model.shelf.vector(first)[None])
    assert model.vectors_for("strip") is None and model.vectors_for("arithmetic") is None
    model.interpolation.through.add(first)
    model.interpolation.through.add(second)
    assert model.vectors_for("strip").shape == (model.interpolation.frames, NZ)
    model.shelf.remove([first])
    assert model.vectors_for(f"thumb:{first}") is None and model.vectors_for("strip") is None
