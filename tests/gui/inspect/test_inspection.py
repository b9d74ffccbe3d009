"""Looking inside G and D in the real window: live feature maps, tile clicks, filters, gradients,
past steps from checkpoints, and the architecture following the settings."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from dcgan_studio.core.architecture import generator_plan
from dcgan_studio.core.snapshots import ProbeRequest
from dcgan_studio.gui.training.sample_panel import PADDING
from tests.gui.test_main_window import _start, _stop


def _showing(panel, request: ProbeRequest, after_step: int = -1) -> bool:
    snap = panel.snapshot
    return snap is not None and snap.request == request and snap.step > after_step


def _choose_layer(panel, network: str, layer: str) -> None:
    panel.network_box.setCurrentIndex(panel.network_box.findData(network))
    panel.layer_box.setCurrentIndex(panel.layer_box.findData(layer))


def test_feature_maps_follow_training_and_any_layer_can_be_chosen(qtbot, make_window):
    window = make_window(iterations=100_000)
    panel, target = window.inspector.feature_maps, window.inspector.model
    _start(qtbot, window)
    first = target.request
    assert first == ProbeRequest("g", "relu2", "fake", 0)  # G's last hidden layer at 16x16
    qtbot.waitUntil(lambda: _showing(panel, first), timeout=30_000)
    step = panel.snapshot.step
    qtbot.waitUntil(lambda: _showing(panel, first, after_step=step), timeout=30_000)  # live
    assert panel.snapshot.activations.shape == (8, 8, 8)  # ngf 8 at 8x8

    for network, spec in [("d", s) for s in target.plans["d"].layers] + [
        ("g", s) for s in target.plans["g"].layers
    ]:
        _choose_layer(panel, network, spec.name)
        request = target.request
        assert (request.network, request.layer) == (network, spec.name)
        qtbot.waitUntil(lambda r=request: _showing(panel, r), timeout=30_000)
        assert panel.snapshot.activations.shape == spec.out_shape
        assert panel.snapshot.layer_kind == spec.kind
        assert "<b>" in panel.info.text()  # the layer type explained where it is shown
    _stop(qtbot, window)


def test_clicking_a_grid_tile_shows_inside_g_and_d_for_that_sample(qtbot, make_window):
    window = make_window(iterations=100_000)
    panel, samples = window.inspector.feature_maps, window.sample_panel
    target = window.inspector.model
    _start(qtbot, window)
    qtbot.waitUntil(lambda: samples.live_grid is not None, timeout=30_000)
    samples.real_box.setChecked(True)
    qtbot.wait(50)

    def click_tile(view, index: int, count: int) -> None:
        cols = int(np.ceil(np.sqrt(count)))
        size = (view.shape[1] - PADDING) // cols - PADDING
        row, col = divmod(index, cols)
        centre = QPointF(
            PADDING + col * (size + PADDING) + size / 2, PADDING + row * (size + PADDING) + size / 2
        )
        pos = samples.graphics.mapFromScene(view.box.mapViewToScene(centre))
        qtbot.mouseClick(samples.graphics.viewport(), Qt.LeftButton, pos=pos)

    click_tile(samples.fake_view, 10, len(samples.live_grid.images))
    qtbot.waitUntil(lambda: target.request.index == 10, timeout=5_000)
    assert target.request == ProbeRequest("g", "relu2", "fake", 10)
    qtbot.waitUntil(lambda: _showing(panel, target.request), timeout=30_000)
    assert panel.snapshot.image.shape == samples.live_grid.images[10].shape

    click_tile(samples.real_view, 5, len(samples.real.images))
    qtbot.waitUntil(lambda: target.request.source == "real", timeout=5_000)
    assert target.request.network == "d" and target.request.index == 5  # only D sees real
    qtbot.waitUntil(lambda: _showing(panel, target.request), timeout=30_000)
    np.testing.assert_array_equal(panel.snapshot.image, samples.real.images[5])
    _stop(qtbot, window)


def test_hidden_feature_maps_cost_nothing_and_come_back(qtbot, make_window):
    window = make_window(iterations=100_000)
    panel, target = window.inspector.feature_maps, window.inspector.model
    _start(qtbot, window)
    qtbot.waitUntil(lambda: _showing(panel, target.request), timeout=30_000)
    window.docks["features"].close()
    qtbot.waitUntil(lambda: not target.visible, timeout=5_000)
    # a capture already on its way may still land: the engine reads the command at the start of
    # its next iteration, which can be a slow one (cpu_conv times its ways at the first steps)
    hidden_at = len(window.run.history)
    qtbot.waitUntil(lambda: len(window.run.history) >= hidden_at + 2, timeout=30_000)
    qtbot.wait(100)  # the window's timer draws what came with those steps
    frozen = panel.snapshot.step
    start = len(window.run.history)
    qtbot.waitUntil(
        lambda: len(window.run.history) >= start + 3, timeout=30_000
    )  # training goes on
    assert panel.snapshot.step == frozen  # but no more captures
    window.docks["features"].show()
    window.docks["features"].raise_()  # its tab comes to the front again
    qtbot.waitUntil(lambda: panel.snapshot.step > frozen, timeout=30_000)
    _stop(qtbot, window)


def test_filters_and_gradients_are_live(qtbot, make_window):
    window = make_window(iterations=120)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    filters, gradients = window.inspector.filters, window.inspector.gradients
    d_mosaic = filters.mosaic("d")
    assert d_mosaic.shape[:2] == (3 * (4 + 1) + 1, 3 * (4 + 1) + 1)  # 8 kernels of 4x4, 3 cols
    assert filters.step_label.text() == "iteration 120"
    window.docks["gradients"].raise_()
    gradients.refresh()
    layers = window.run.history.layer_columns("g")
    assert layers == [
        f"grad.g.{s.name}"
        for s in generator_plan(window.controls.config().model).layers
        if s.params
    ]
    x, y = gradients.plotted("g", "convT1")
    finite = np.isfinite(window.run.history.column("grad.g.convT1"))
    np.testing.assert_array_equal(y, window.run.history.column("grad.g.convT1")[finite])
    np.testing.assert_array_equal(x, window.run.history.column("step")[finite])


def test_a_past_step_shows_its_checkpoints_feature_maps(qtbot, make_window):
    window = make_window(iterations=60)
    panel, samples = window.inspector.feature_maps, window.sample_panel
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert window.run.run_dir.checkpoint_steps() == [60]
    _choose_layer(panel, "d", "lrelu1")
    qtbot.waitUntil(
        lambda: _showing(panel, window.inspector.model.request) and bool(panel.snapshot.checkpoint),
        timeout=30_000,
    )  # no training: the newest checkpoint answers
    assert panel.snapshot.step == 60
    assert "from checkpoint step-0000060" in panel.header.text()
    samples.slider.setValue(0)  # the person scrubs back to iteration 0
    qtbot.waitUntil(
        lambda: "nearest saved checkpoint, step 60" in window.frame.statusBar().currentMessage(),
        timeout=30_000,
    )
    assert window.inspector.model.picked_step == 0


def test_the_architecture_follows_the_settings_before_a_run(qtbot, make_window):
    window = make_window()
    architecture = window.inspector.architecture
    table = architecture.table("g")
    out_column = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index(
        "Out"
    )
    plans = window.inspector.model.plans
    last = len(plans["g"].layers) - 1
    assert table.item(last, out_column).text() == "1×16×16"
    editors = window.controls.editors
    editors["model.image_size"].setCurrentIndex(editors["model.image_size"].findData(64))
    plans = window.inspector.model.plans
    assert table.item(len(plans["g"].layers) - 1, out_column).text() == "1×64×64"
    assert plans["g"].out_shape == (1, 64, 64)
    editors["model.ngf"].setValue(12)
    assert "12×32×32" in architecture.summary("g")


def test_the_window_opens_straight_into_the_latent_explorer_on_a_checkpoint(
    qtbot, make_window, tmp_path
):
    from dcgan_studio.cli import build_parser
    from dcgan_studio.core.engine import Trainer
    from dcgan_studio.core.runs import RunDirectory
    from tests.conftest import tiny_config

    cfg = tiny_config()
    list(Trainer(cfg, RunDirectory.create(tmp_path / "saved", cfg)).run())
    assert (
        build_parser().parse_args(["--checkpoint", str(tmp_path / "saved")]).checkpoint
        == tmp_path / "saved"
    )
    window = make_window()
    explorer = window.latent
    window.explore_checkpoint(tmp_path / "saved")  # what `dcgan-studio --checkpoint` does
    qtbot.waitUntil(
        lambda: explorer.jobs.renderer is not None and explorer.view.main_view.shown is not None,
        timeout=20_000,
    )
    assert window.docks["latent"].isVisible() and not window.session.running
    assert explorer.jobs.renderer.step == 6
    before = explorer.view.main_view.shown.copy()
    explorer.view.dimension_sliders.sliders[0].setValue(
        explorer.view.dimension_sliders.sliders[0].maximum()
    )
    qtbot.waitUntil(
        lambda: not np.array_equal(explorer.view.main_view.shown, before), timeout=10_000
    )


def test_the_explorer_follows_training_and_takes_a_clicked_tile(qtbot, make_window):
    window = make_window(iterations=100_000)
    explorer, samples = window.latent, window.sample_panel
    window.docks["latent"].raise_()
    _start(qtbot, window)
    qtbot.waitUntil(lambda: explorer.jobs.renderer is not None, timeout=30_000)  # G from training
    qtbot.waitUntil(lambda: samples.live_grid is not None, timeout=30_000)
    samples.tile_clicked.emit("fake", 7)  # as a click on tile 7 does (tested above)
    np.testing.assert_array_equal(explorer.model.current_z(), samples.live_grid.z[7])
    assert window.docks["latent"].isVisible()  # the explorer stays in front
    qtbot.waitUntil(lambda: explorer.view.main_view.shown is not None, timeout=10_000)
    _stop(qtbot, window)


def test_a_folder_chosen_in_the_data_panel_is_previewed_and_trained_on(
    qtbot, make_window, tmp_path
):
    from PIL import Image

    folder = tmp_path / "mine"
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True)
        for i in range(20):
            Image.new("L", (20, 24), 10 * i).save(folder / label / f"{i}.png")
    (folder / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    window = make_window(iterations=20)
    controls, data = window.controls, window.data
    box = controls.editors["data.dataset"]
    box.setCurrentIndex(box.findData("shapes"))  # a colour set picks 3 channels
    assert controls.editors["model.channels"].currentData() == 3
    assert data.model.name == "shapes"
    data.model.choose_folder(folder)  # what Folder… does with the picked folder
    assert box.currentData() == f"folder:{folder.resolve()}"
    window.docks["data"].raise_()
    qtbot.mouseClick(data.panel.preview_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: data.summary is not None, timeout=30_000)
    assert data.summary.count == 40 and data.summary.skipped_count == 1
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    config = window.run.run_dir.read_config()
    assert config.data.dataset == f"folder:{folder.resolve()}" and config.model.channels == 3
    assert window.run.run_dir.latest_checkpoint() is not None
