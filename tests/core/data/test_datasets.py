"""The generated shapes and the registry of datasets."""

from __future__ import annotations

import numpy as np
import pytest

from dcgan_studio.core.data import (
    default_data_root,
    describe_datasets,
    load_dataset,
    natural_channels,
)
from dcgan_studio.core.data.shapes import generate_shapes
from dcgan_studio.errors import DatasetError
from tests.core.data.files import cfg_for


def test_shapes_are_deterministic_rgb_and_colourful():
    a, labels = generate_shapes(200, 32, seed=7)
    b, _ = generate_shapes(200, 32, seed=7)
    c, _ = generate_shapes(200, 32, seed=8)
    assert a.dtype == np.uint8 and a.shape == (200, 3, 32, 32)
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    assert set(labels.tolist()) == {0, 1, 2, 3}
    brightest = a.reshape(200, 3, -1).max(2)  # each image's shape colour, roughly
    hues = np.argmax(brightest, 1)
    assert set(hues.tolist()) == {0, 1, 2}  # red-, green- and blue-dominant shapes all occur
    assert (a[:, :, 0, 0].max(1) < 60).all()  # dark backgrounds (a corner is never in a shape)
    assert (brightest.max(1) > 150).all()  # a bright shape in every image


def test_shapes_load_at_any_size_and_in_grayscale():
    ds = load_dataset(cfg_for("shapes", size=16, channels=3))
    assert len(ds) == 10000 and ds.image_shape == (3, 16, 16)
    assert ds.class_names == ("circle", "square", "triangle", "ring")
    grey = load_dataset(cfg_for("shapes", size=16, channels=1))
    assert grey.image_shape == (1, 16, 16) and grey.images.float().std() > 10


def test_registry_lists_every_dataset_and_refuses_unknown_names():
    assert list(describe_datasets()) == [
        "digits",
        "shapes",
        "mnist",
        "fashion-mnist",
        "cifar10",
        "svhn",
        "celeba",
    ]
    assert default_data_root().name == "datasets"
    assert [natural_channels(n) for n in describe_datasets()] == [1, 3, 1, 1, 3, 3, 3]
    assert natural_channels("folder:/x") is None
    with pytest.raises(
        DatasetError,
        match="unknown dataset 'imagenet': use one of digits, "
        "shapes, .* or folder:PATH for a folder of your own images",
    ):
        load_dataset(cfg_for("imagenet"))


def test_the_data_package_is_built_bottom_up_without_a_circle():
    """The base at the bottom, the loaders on it, the registry on them: a module imports only
    the modules listed before it (the package's __init__ re-exports and is imported by none)."""
    from tests.test_layers import MODULES

    order = ["stream", "base", "decode", "readers", "builtin", "shapes", "folder"]
    order += ["torchvision_sets"]
    order = [f"dcgan_studio.core.data.{name}" for name in [*order, "sampler", "registry"]]
    package = [m for m in MODULES if m.startswith("dcgan_studio.core.data.")]
    assert sorted(package) == sorted(order), "a module of the data package is not placed"
    for rank, module in enumerate(order):
        inside = {i.rsplit(".", 1)[0] if i not in MODULES else i for i in MODULES[module]}
        inside = {i for i in inside if i.startswith("dcgan_studio.core.data")}
        assert inside <= set(order[:rank]), f"{module} imports {sorted(inside - set(order[:rank]))}"
