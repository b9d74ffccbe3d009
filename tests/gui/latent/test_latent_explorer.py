"""The latent space on a real (tiny) checkpoint, with no training running: the real widgets,
driven as a person does, and G's images compared with the renderer's own."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.latent import arithmetic, path, random_vector
from dcgan_studio.core.recipes import reproduce
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot
from dcgan_studio.gui.latent.explorer import PLACEHOLDER
from dcgan_studio.gui.latent.space import LatentSpace
from tests.conftest import tiny_config


@pytest.fixture
def trained(tmp_path):
    cfg = tiny_config()
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    list(trainer.run())
    return tmp_path / "run", cfg, trainer


@pytest.fixture
def space(qtbot):
    made = LatentSpace()
    qtbot.addWidget(made.view)
    made.view.resize(650, 850)
    yield made
    made.shutdown()
    assert not [t for t in threading.enumerate() if t.name == "dcgan-render" and t.is_alive()]


@pytest.fixture
def explorer(space):
    return space.view


@pytest.fixture
def model(space):
    return space.model


def open_run(qtbot, space, run_root):
    with qtbot.waitSignal(space.jobs.renderer_changed, timeout=20000):
        space.open_checkpoint(run_root)
    qtbot.waitUntil(lambda: space.view.main_view.shown is not None, timeout=10000)


def expected_main(space):
    return space.jobs.renderer.render(space.model.current_z()[None])[0]


def wait_main(qtbot, space):
    """Until the main image shows the current vector, rendered."""
    qtbot.waitUntil(
        lambda: (
            space.view.main_view.shown is not None
            and np.array_equal(space.view.main_view.shown, expected_main(space))
        ),
        timeout=10000,
    )


def pin_seed(model, seed):
    model.use_seed(seed)
    model.pin()
    return model.shelf.ids()[-1]


def shelf_names(explorer):
    """The names on the shelf, as a person reads them."""
    items = explorer.shelf.list
    return [items.item(row).text() for row in range(items.count())]


def test_placeholder_then_explores_a_checkpoint_without_training(qtbot, space, trained):
    run_root, cfg, _ = trained
    explorer = space.view
    assert explorer.stack.currentWidget() is explorer.placeholder
    assert explorer.placeholder.text() == PLACEHOLDER
    assert not explorer.tabs.isEnabled() and not explorer.pin_button.isEnabled()
    open_run(qtbot, space, run_root)
    assert explorer.stack.currentWidget() is explorer.main_view
    assert explorer.tabs.isEnabled() and explorer.save_bar.isEnabled()
    assert "checkpoint" in explorer.source_label.text()
    assert len(explorer.dimension_sliders.sliders) == cfg.model.nz
    wait_main(qtbot, space)
    assert explorer.main_view.shown.shape[:2] == (16, 16)
    assert explorer.latency_label.text().startswith("rendered in ")


def test_random_and_typed_seed(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    explorer.seed_spin.setValue(42)
    qtbot.mouseClick(explorer.use_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(model.current_z(), random_vector(42, space.jobs.renderer.nz))
    assert "seed 42" in explorer.vector_label.text()
    wait_main(qtbot, space)
    qtbot.mouseClick(explorer.random_button, Qt.MouseButton.LeftButton)
    seed = explorer.seed_spin.value()
    assert f"seed {seed}" in explorer.vector_label.text()
    assert np.array_equal(model.current_z(), random_vector(seed, space.jobs.renderer.nz))


def test_moving_a_slider_changes_the_image(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    model.use_seed(1)
    wait_main(qtbot, space)
    before = explorer.main_view.shown.copy()
    with qtbot.waitSignal(
        space.jobs.rendered, timeout=10000, check_params_cb=lambda key, *_: key == "main"
    ):
        explorer.dimension_sliders.sliders[0].setValue(300)
    assert explorer.dimension_sliders.readouts[0].text() == "+3.00"
    assert model.current_z()[0] == pytest.approx(3.0)
    wait_main(qtbot, space)
    assert not np.array_equal(explorer.main_view.shown, before)
    qtbot.mouseClick(explorer.reset_button, Qt.MouseButton.LeftButton)
    wait_main(qtbot, space)
    assert np.array_equal(explorer.main_view.shown, before)


def test_stale_requests_are_dropped(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    wait_main(qtbot, space)
    renders = []
    space.jobs.rendered.connect(lambda key, *_: renders.append(key) if key == "main" else None)
    slider = explorer.dimension_sliders.sliders[3]
    for position in range(-250, 250, 10):  # 50 drags, as fast as the GUI thread can
        slider.setValue(position)
    last = model.current_z()
    assert last[3] == pytest.approx(2.4)
    qtbot.waitUntil(
        lambda: (
            not space.jobs.busy
            and explorer.main_view.shown is not None
            and np.array_equal(explorer.main_view.shown, space.jobs.renderer.render(last[None])[0])
        ),
        timeout=10000,
    )
    assert 1 <= len(renders) < 50
    assert space.jobs.dropped > 0


def test_pin_shelf_rename_click_and_remove(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    first = pin_seed(model, 42)
    explorer.dimension_sliders.sliders[0].setValue(-200)
    qtbot.mouseClick(explorer.pin_button, Qt.MouseButton.LeftButton)
    assert shelf_names(explorer) == ["seed 42", "v1"]
    qtbot.waitUntil(lambda: not explorer.shelf.list.item(1).icon().isNull(), timeout=10000)
    explorer.shelf.list.item(1).setText("dark")
    assert explorer.interpolation.picker.combo.itemText(1) == "dark"
    model.use_seed(7)
    item = explorer.shelf.list.item(0)
    rect = explorer.shelf.list.visualItemRect(item)
    qtbot.mouseClick(explorer.shelf.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert np.array_equal(model.current_z(), model.shelf.vector(first))
    wait_main(qtbot, space)
    explorer.shelf.list.setCurrentRow(0)
    qtbot.mouseClick(explorer.shelf.remove_button, Qt.MouseButton.LeftButton)
    assert shelf_names(explorer) == ["dark"]


def test_take_tile_uses_the_grid_vector(qtbot, space, explorer, model, trained):
    z = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32)
    space.set_grid_vectors(z)
    space.take_tile(1)  # before G arrives: kept, and shown once it does
    open_run(qtbot, space, trained[0])
    assert np.array_equal(model.current_z(), z[1])
    assert explorer.dimension_sliders.readouts[0].text() == f"{z[1, 0]:+.2f}"
    space.take_tile(2)
    assert np.array_equal(model.current_z(), z[2])
    assert "tile 2" in explorer.vector_label.text()
    wait_main(qtbot, space)
    model.pin()
    assert shelf_names(explorer) == ["tile 2"]
    with qtbot.waitSignal(space.message) as blocker:
        space.take_tile(9)
    assert "tile 9" in blocker.args[0]


def test_interpolation_strip_has_k_frames(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    a, b = pin_seed(model, 1), pin_seed(model, 2)
    renderer, panel = space.jobs.renderer, explorer.interpolation
    panel.frame_count.setValue(7)
    for uid in (a, b):  # as Add does, with each in the combo
        panel.picker.combo.setCurrentIndex(panel.picker.combo.findData(uid))
        qtbot.mouseClick(panel.picker.add_button, Qt.MouseButton.LeftButton)
    expected = renderer.render(path([model.shelf.vector(a), model.shelf.vector(b)], 7, "spherical"))
    qtbot.waitUntil(
        lambda: panel.frames is not None and np.array_equal(panel.frames, expected), timeout=10000
    )
    assert panel.strip.shown.shape[1] == 7 * 16
    panel.t_slider.setValue(3)
    assert np.array_equal(panel.frame_view.shown, expected[3])
    assert panel.t_label.text() == "t = 0.50"
    panel.method.setCurrentIndex(panel.method.findData("linear"))
    linear = renderer.render(path([model.shelf.vector(a), model.shelf.vector(b)], 7, "linear"))
    qtbot.waitUntil(lambda: np.array_equal(panel.frames, linear), timeout=10000)
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.t_slider.value() != 3, timeout=5000)
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    assert not panel.play_button.timer.isActive()


def test_arithmetic_result_renders_the_mean_expression(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    ids = [pin_seed(model, seed) for seed in (1, 2, 3, 4)]
    slots = model.arithmetic.slots
    slots["A"].add(ids[0])
    slots["A"].add(ids[1])
    slots["B"].add(ids[2])
    slots["C"].add(ids[3])
    vec = model.shelf.vector
    z = arithmetic([vec(ids[0]), vec(ids[1])], [vec(ids[2])], [vec(ids[3])])
    expected = space.jobs.renderer.render(z[None])[0]
    result = explorer.arithmetic.views["result"]
    qtbot.waitUntil(
        lambda: result.shown is not None and np.array_equal(result.shown, expected), timeout=10000
    )
    qtbot.waitUntil(lambda: explorer.arithmetic.views["C"].shown is not None, timeout=10000)
    assert "(seed 1 + seed 2) − (seed 3) + (seed 4)" in explorer.arithmetic.hint.text()
    assert explorer.arithmetic.slots["A"].summary.text() == "seed 1 + seed 2"
    qtbot.mouseClick(explorer.arithmetic.use_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(model.current_z(), z)
    assert "A − B + C" in explorer.vector_label.text()


def save_and_wait(qtbot, space, kind, out):
    with qtbot.waitSignal(space.saved, timeout=20000) as blocker:
        space.save(kind, out)
    return blocker.args[0]


def test_every_kind_saves_and_reproduces_bit_for_bit(
    qtbot, space, explorer, model, trained, tmp_path
):
    open_run(qtbot, space, trained[0])
    a, b = pin_seed(model, 1), pin_seed(model, 2)
    model.interpolation.through.add(a)
    model.interpolation.through.add(b)
    model.use_seed(42)
    explorer.dimension_sliders.sliders[5].setValue(150)
    messages = []
    space.message.connect(messages.append)
    (tmp_path / "out").mkdir()
    for kind, name in (
        ("image", "one.png"),
        ("grid", "grid.png"),
        ("strip", "strip.png"),
        ("animation", "path.gif"),
        ("samples", "samples"),
    ):
        files = save_and_wait(qtbot, space, kind, tmp_path / "out" / name)
        if kind == "samples":
            assert len(files) == explorer.save_bar.count.value()
            assert messages[-1].startswith("Saved 16 samples")
        else:
            assert files == [tmp_path / "out" / name]
            assert messages[-1] == f"Saved {files[0]} and its sidecar {name}.json".replace(
                ".png.json", ".json"
            ).replace(".gif.json", ".json")
        for file in files[:3]:
            again = tmp_path / "again" / kind / file.name
            again.parent.mkdir(parents=True, exist_ok=True)
            reproduce(file.with_suffix(".json"), again)
            assert again.read_bytes() == file.read_bytes()

    image = json.loads((tmp_path / "out" / "one.json").read_text())
    assert image["recipe"]["seed"] == 42 and image["recipe"]["dimensions"] == {"z5": 1.5}
    strip = json.loads((tmp_path / "out" / "strip.json").read_text())
    assert strip["recipe"] == {"method": "spherical", "frames": 10, "vectors": ["seed 1", "seed 2"]}
    grid = json.loads((tmp_path / "out" / "grid.json").read_text())
    assert grid["recipe"] == {"vectors": ["seed 1", "seed 2"]} and len(grid["z"]) == 2


def test_live_weights_are_kept_in_the_run_and_reproduce(
    qtbot, space, explorer, model, trained, tmp_path
):
    run_root, cfg, trainer = trained
    snapshot = GeneratorWeightsSnapshot.of(6, cfg.to_dict()["model"], trainer.generator)
    space.set_run(run_root, cfg)
    assert space.wants_weights(snapshot)
    with qtbot.waitSignal(space.jobs.renderer_changed, timeout=20000):
        space.show_weights(snapshot)
    assert "live training" in explorer.source_label.text()
    assert not space.wants_weights(snapshot)
    model.use_seed(5)
    wait_main(qtbot, space)
    files = save_and_wait(qtbot, space, "image", tmp_path / "live.png")
    sidecar = files[0].with_suffix(".json")

    weights = json.loads(sidecar.read_text())["weights"]
    assert weights.startswith(str(run_root / "explorer"))
    reproduce(sidecar, tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == files[0].read_bytes()


def test_a_bad_checkpoint_and_a_bad_save_are_one_line(qtbot, space, explorer, trained, tmp_path):
    with qtbot.waitSignal(space.message, timeout=10000) as blocker:
        space.open_checkpoint(tmp_path / "no-such-run")
    assert "does not exist" in blocker.args[0] and "\n" not in blocker.args[0]
    assert explorer.status.isVisibleTo(explorer) and "no-such-run" in explorer.status.text()
    assert explorer.stack.currentWidget() is explorer.placeholder
    open_run(qtbot, space, trained[0])
    (tmp_path / "a-file").write_text("x")
    with qtbot.waitSignal(space.message, timeout=10000) as blocker:
        space.save("image", tmp_path / "a-file" / "x.png")
    assert blocker.args[0].startswith("Could not save the image")
    with qtbot.waitSignal(space.message, timeout=10000) as blocker:
        space.save("strip", tmp_path / "strip.png")
    assert "pin two vectors" in blocker.args[0]


def test_principal_directions_become_sliders(qtbot, space, explorer, model, trained):
    open_run(qtbot, space, trained[0])
    wait_main(qtbot, space)
    qtbot.mouseClick(explorer.find_button, Qt.MouseButton.LeftButton)
    assert not explorer.busy.isHidden()
    qtbot.waitUntil(lambda: model.directions is not None, timeout=30000)
    assert explorer.busy.isHidden()
    assert len(explorer.direction_sliders.sliders) == 10
    assert "%" in explorer.direction_sliders.labels[0].text()
    before = explorer.main_view.shown.copy()
    explorer.direction_sliders.sliders[0].setValue(500)
    expected = model.current_z() - model.edited
    assert np.allclose(expected, 5 * model.directions.vectors[0], atol=1e-5)
    wait_main(qtbot, space)
    assert not np.array_equal(explorer.main_view.shown, before)
