"""The bundled digit classifier: its split, its held-out accuracy measured here, the images it
takes, and a clear message when its weights are missing or damaged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dcgan_studio.core.data import builtin, load_digits_raw
from dcgan_studio.core.quality import digits
from dcgan_studio.core.quality.digits import DigitClassifier, split_indices
from dcgan_studio.errors import StudioError


def test_the_split_is_disjoint_covers_every_digit_and_is_the_same_every_time():
    train, held_out = split_indices()
    assert len(train) == 8000 and len(held_out) == 2000
    assert not set(train) & set(held_out) and len(set(train) | set(held_out)) == 10_000
    again = split_indices()
    assert np.array_equal(train, again[0]) and np.array_equal(held_out, again[1])


def test_the_shipped_classifier_is_right_on_at_least_97_percent_of_the_held_out_digits():
    images, labels = load_digits_raw()
    _, held_out = split_indices()
    probabilities = DigitClassifier.load().probabilities(images[held_out])
    accuracy = float((probabilities.argmax(1) == labels[held_out]).mean())
    assert accuracy >= 0.97, accuracy


def test_it_takes_grey_or_colour_images_of_any_size_and_gives_features_and_probabilities():
    images, labels = load_digits_raw()
    classifier = DigitClassifier.load()
    grey = images[:50]
    features, probabilities = classifier.features_and_probabilities(grey)
    assert features.shape == (50, 128) and probabilities.shape == (50, 10)
    assert np.allclose(probabilities.sum(1), 1.0)
    one_channel = classifier.probabilities(grey[..., None])
    assert np.allclose(one_channel, probabilities)
    assert np.allclose(classifier.features(grey[..., None]), features)
    colour = np.repeat(grey[..., None], 3, axis=3)  # (50, 28, 28, 3)
    padded = np.pad(colour, ((0, 0), (2, 2), (2, 2), (0, 0)))  # (50, 32, 32, 3)
    large = np.kron(colour, np.ones((1, 2, 2, 1), np.uint8))  # (50, 56, 56, 3)
    for rgb in (padded, large):
        assert rgb.dtype == np.uint8
        assert (classifier.probabilities(rgb).argmax(1) == labels[:50]).mean() > 0.9


def test_prepare_gives_32x32_grey_images_in_the_tanh_range():
    black_and_white = np.zeros((2, 28, 28), np.uint8)
    black_and_white[1] = 255
    x = digits.prepare(black_and_white)
    assert x.shape == (2, 1, 32, 32) and x.dtype == torch.float32
    assert x[0].eq(-1).all() and x[1].eq(1).all()
    assert digits.prepare(np.zeros((0, 28, 28), np.uint8)).shape == (0, 1, 32, 32)


def test_no_images_give_empty_features_and_probabilities():
    features, probabilities = DigitClassifier.load().features_and_probabilities(
        np.zeros((0, 28, 28), np.uint8)
    )
    assert features.shape == (0, 128) and probabilities.shape == (0, 10)


def test_a_missing_weights_file_names_the_file_and_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(builtin.importlib.resources, "files", lambda package: tmp_path)
    monkeypatch.setattr(builtin, "SOURCE_ROOT", tmp_path)  # neither place has the file
    digits._load.cache_clear()
    try:
        with pytest.raises(StudioError) as raised:
            DigitClassifier.load()
    finally:
        digits._load.cache_clear()
    message = str(raised.value)
    assert "resources/quality/digit_classifier.safetensors" in message
    assert "reinstall" in message


def test_a_damaged_weights_file_names_the_file_and_the_fix(monkeypatch, tmp_path):
    broken = tmp_path / "digit_classifier.safetensors"
    broken.write_bytes(b"not safetensors")
    monkeypatch.setattr(digits, "bundled_file", lambda *parts: broken)
    digits._load.cache_clear()
    try:
        with pytest.raises(
            StudioError, match="digit_classifier.safetensors cannot be read.*reinstall"
        ):
            DigitClassifier.load()
    finally:
        digits._load.cache_clear()
