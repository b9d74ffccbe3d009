"""The dataset choice and its preview state, without Qt: what the person chose, what the window
was told, and the preview's lifecycle with its progress from another thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from dcgan_studio.core.data import DatasetSummary, ImageDataset
from dcgan_studio.gui.data.model import (
    CANCELLED,
    FAILED,
    IDLE,
    LOADED,
    LOADING,
    PLACEHOLDER,
    DatasetChoice,
    Preview,
    describe,
)
from tests.core.data.files import cfg_for


class Heard:
    """Every event of a model, in order: (event name, args)."""

    def __init__(self, model: DatasetChoice) -> None:
        self.events: list[tuple] = []
        for name in ("choice_changed", "chosen", "state_changed", "said"):
            getattr(model, name).connect(lambda *args, name=name: self.events.append((name, args)))

    def of(self, name: str) -> list[tuple]:
        return [args for event, args in self.events if event == name]


@pytest.fixture
def model() -> DatasetChoice:
    return DatasetChoice()


def summary_of(count: int) -> DatasetSummary:
    return DatasetSummary("digits", "Ten digits", count, 16, 1, None, (), None, {})


def preview_of(count: int) -> Preview:
    images = torch.zeros((count, 1, 16, 16), dtype=torch.uint8)
    dataset = ImageDataset("digits", images, None, "Ten digits")
    return Preview(dataset, summary_of(count), np.zeros((20, 20, 3), np.uint8))


def test_a_new_choice_is_idle_on_the_built_in_digits(model):
    assert (model.name, model.data_root, model.download) == ("digits", None, False)
    assert model.state == IDLE and model.status == PLACEHOLDER and not model.busy
    assert not model.needs_root and not model.can_download and model.progress() is None


def test_the_person_s_choices_are_told_and_a_choice_from_elsewhere_is_not(model, tmp_path):
    heard = Heard(model)
    model.show("mnist", str(tmp_path))
    assert (model.name, model.data_root) == ("mnist", str(tmp_path))
    assert model.needs_root and model.can_download and heard.of("chosen") == []
    model.choose("cifar10")
    assert heard.of("chosen") == [("cifar10", str(tmp_path))]
    model.choose_data_root(None)
    assert heard.of("chosen")[-1] == ("cifar10", None)
    assert len(heard.of("choice_changed")) == 3


def test_a_chosen_folder_becomes_an_absolute_folder_dataset(model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    heard = Heard(model)
    model.choose_folder("mine")
    assert model.name == f"folder:{tmp_path / 'mine'}" and model.is_folder
    assert model.folder == str(tmp_path / "mine") and not model.needs_root
    model.choose_data_root("roots")
    assert heard.of("chosen") == [(model.name, None), (model.name, str(tmp_path / "roots"))]


def test_download_is_only_for_the_sets_that_can_be_fetched(model):
    model.set_download(True)
    assert not model.download  # digits: nothing to fetch
    model.show("svhn", None)
    model.set_download(True)
    assert model.download
    model.show("celeba", None)  # fetched by hand only
    assert not model.download


def test_a_preview_goes_from_loading_to_loaded_with_its_tiles(model):
    heard = Heard(model)
    cfg = cfg_for("digits")
    generation = model.begin(cfg)
    assert generation == model.generation == 1 and model.busy and model.state == LOADING
    assert model.status == f"Loading {describe(cfg)}…" == "Loading digits at 16 x 16 grayscale…"
    model.finish(preview_of(100))
    assert model.state == LOADED and not model.busy and model.loaded_for is cfg
    assert model.tile_count == 64 and model.summary.count == 100
    assert model.status == "Ten digits. Showing 64 of 100 images, as training will see them."
    model.begin(cfg)
    model.finish(preview_of(5))
    assert model.status == "Ten digits. Showing all 5 images, as training will see them."
    assert heard.of("state_changed") == [(LOADING,), (LOADED,), (LOADING,), (LOADED,)]
    assert heard.of("said") == []


def test_a_new_request_clears_the_preview_but_keeps_the_last_loaded_dataset(model):
    model.begin(cfg_for("digits"))
    model.finish(preview_of(10))
    loaded = model.loaded
    model.begin(cfg_for("shapes", channels=3))
    assert model.summary is None and model.mosaic is None and model.tile_count == 0
    assert model.loaded is loaded and model.requested == "shapes"


def test_progress_from_another_thread_counts_for_the_latest_request_only(model):
    first = model.begin(cfg_for("digits"))
    assert model.progress() is None  # the loader has not said yet
    worker = threading.Thread(target=model.report_progress, args=(first, 3, 10))
    worker.start()
    worker.join()
    assert model.progress() == (3, 10)
    second = model.begin(cfg_for("digits"))
    assert model.progress() is None
    model.report_progress(first, 9, 10)  # the first loader, still stopping
    assert model.progress() is None
    model.report_progress(second, 1, 4)
    assert model.progress() == (1, 4)


def test_a_failure_is_said_in_red_with_what_a_folder_held(model):
    heard = Heard(model)
    model.begin(cfg_for("folder:/x"))
    scan = object()  # what a folder with no usable image held
    model.fail("no usable image in /x: put images there", scan)
    assert model.state == FAILED and model.status_is_error and model.scan is scan
    assert heard.of("said") == [("no usable image in /x: put images there",)]
    model.begin(cfg_for("digits"))
    assert model.scan is None and not model.status_is_error


def test_settings_that_cannot_be_previewed_leave_the_preview_as_it_is(model):
    model.begin(cfg_for("digits"))
    model.finish(preview_of(10))
    model.refuse("batch_size = 20000 is not allowed")
    assert model.state == LOADED and model.summary is not None and model.status_is_error
    model.begin(cfg_for("digits"))
    model.refuse("image_size = 7 is not allowed")
    assert model.busy  # the preview under way goes on


def test_cancel_moves_the_generation_on_and_says_so_once(model):
    heard = Heard(model)
    assert not model.cancel()  # nothing to cancel
    model.begin(cfg_for("shapes", channels=3))
    assert model.cancel() and model.generation == 2 and model.state == CANCELLED
    expected = "Preview of shapes cancelled: nothing was loaded. Press Preview to start again."
    assert model.status == expected and not model.status_is_error
    assert not model.cancel() and heard.of("said") == [(expected,)]


def test_a_loader_that_stopped_itself_is_cancelled_too(model):
    model.begin(cfg_for("folder:/x"))
    model.stopped("loading /x was stopped after 2 of 5 files: start again to load them")
    assert model.state == CANCELLED and model.status.startswith("Preview cancelled: loading /x")
