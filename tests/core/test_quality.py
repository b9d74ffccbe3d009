"""Sample-quality scores (core/quality): KID and the Frechet distance in a feature space that
needs no download, the digits G draws, the nearest real images, and `dcgan-studio score`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dcgan_studio.config import RunConfig
from dcgan_studio.core.alerts import MODE_COLLAPSE, class_collapse
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.data import fit_images, load_digits_raw
from dcgan_studio.core.launch import resume_run, start_run
from dcgan_studio.core.quality.digits import split_indices
from dcgan_studio.core.quality.features import choose_feature_space, feature_space
from dcgan_studio.core.quality.nearest import NearestIndex
from dcgan_studio.core.quality.scorer import QualityScorer, reference_images
from dcgan_studio.core.quality.scores import QualityScore, frechet_distance, kid
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.sampling import load_generator
from dcgan_studio.errors import StudioError
from tests.conftest import tiny_config
from tests.test_cli import cli, one_error_line

DIGITS = RunConfig().with_values({"data.dataset": "digits"})


def _some_training_digits(n: int = 1000) -> np.ndarray:
    """``n`` of the classifier's training digits, drawn at random (the file is sorted by class)."""
    train, _ = split_indices()
    return _digits_at(np.random.default_rng(1).choice(train, n, replace=False))


def _digits_at(indices: np.ndarray, config: RunConfig = DIGITS) -> np.ndarray:
    """Bundled digits, as the run sees them: uint8 (N, S, S, C) at its size."""
    images, _ = load_digits_raw()
    t = torch.from_numpy(images[indices][:, None])
    size, channels = config.model.image_size, config.model.channels
    return fit_images(t, size, channels).permute(0, 2, 3, 1).numpy()


@pytest.fixture(scope="module")
def scorer() -> QualityScorer:
    return QualityScorer(DIGITS, n=1000)


@pytest.fixture(scope="module")
def half_trained(tmp_path_factory):
    """A run of the defaults on the built-in digits, 300 iterations: digits half formed."""
    root = tmp_path_factory.mktemp("quality") / "run"
    config = DIGITS.with_values(
        {
            "schedule.iterations": 300,
            "schedule.checkpoint_every": 150,
            "schedule.sample_every": 150,
            "runtime.device": "cpu",
        }
    ).validate()
    for _ in start_run(config, root, CommandQueue()).run():
        pass
    return root


def test_real_digits_against_held_out_real_score_zero_within_three_std(scorer):
    real = scorer.score_images(_some_training_digits(), step=0)
    assert abs(real.kid) < 3 * real.kid_std, real
    assert real.coverage == 10 and real.confident > 0.8


def test_noise_a_repeated_digit_and_a_half_trained_g_are_ordered(scorer, half_trained):
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (1000, 32, 32, 1), dtype=np.uint8)
    repeated = np.repeat(_digits_at(split_indices()[0][:1]), 1000, axis=0)
    g = load_generator(open_checkpoint(half_trained), torch.device("cpu"))
    scores = {
        "real": scorer.score_images(_some_training_digits(), 0),
        "g": scorer.score_generator(g, 300),
        "repeated": scorer.score_images(repeated, 0),
        "noise": scorer.score_images(noise, 0),
    }
    for score in ("kid", "fd"):  # real < a half-trained G < either kind of garbage
        real, g = getattr(scores["real"], score), getattr(scores["g"], score)
        worst = min(getattr(scores["repeated"], score), getattr(scores["noise"], score))
        assert real < g < worst, (score, scores)
    assert scores["g"].kid > 3 * scores["g"].kid_std  # far from real, and measurably so
    assert scores["g"].kid > 10 * abs(scores["real"].kid)


class _Collapsed(torch.nn.Module):
    """A G collapsed onto one image: every z gives the same digit (plus a little noise)."""

    def __init__(self, digit: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("digit", torch.from_numpy(digit).permute(2, 0, 1).float() / 127.5 - 1)
        self.weight = torch.nn.Parameter(torch.zeros(1))  # a parameter: generate() asks its device

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        wobble = 0.02 * z[:, :1]  # (B, 1, 1, 1): each z a hair apart
        return (self.digit[None] + wobble).clamp(-1, 1)


def test_a_g_that_draws_one_digit_shows_one_class_and_raises_the_collapse_alert(scorer):
    _, labels = load_digits_raw()
    three = _digits_at(np.flatnonzero(labels == 3)[:1])[0]
    score = scorer.score_generator(_Collapsed(three), step=50)
    assert score.coverage == 1 and score.classes[3] == sum(score.classes) > 900, score
    alert = class_collapse(score)
    assert alert is not None and alert.kind == MODE_COLLAPSE and "class 3" in alert.message
    every = scorer.score_images(_some_training_digits(), step=60)
    assert every.coverage == 10 and class_collapse(every) is None


def test_kid_and_fd_agree_with_their_definitions_on_gaussians():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 8))
    b = rng.normal(size=(2000, 8))
    shifted = b + 1.0
    same_mean, same_std = kid(a, b, subset_size=500)
    far_mean, _ = kid(a, shifted, subset_size=500)
    assert abs(same_mean) < 3 * same_std and far_mean > 100 * same_std
    # FD of N(0, I) and N(1, I) in 8 dimensions: |mu_a - mu_b|^2 = 8, the covariances cancel
    assert frechet_distance(a, shifted) == pytest.approx(8.0, abs=0.5)
    assert frechet_distance(a, b) < 0.1


def test_the_scores_draw_from_their_own_generator_never_the_global_rng(scorer):
    before = torch.get_rng_state()
    first = scorer.score_images(_some_training_digits(600), 0)
    assert torch.equal(before, torch.get_rng_state())
    again = scorer.score_images(_some_training_digits(600), 0)
    assert (first.kid, first.kid_std, first.fd) == (again.kid, again.kid_std, again.fd)


def test_other_data_is_scored_in_a_space_that_says_it_is_not_comparable(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # no Inception weights here
    monkeypatch.delenv("DCGAN_STUDIO_INCEPTION_WEIGHTS", raising=False)
    assert choose_feature_space("digits") == "digits"
    assert choose_feature_space("mnist") == "digits"
    assert choose_feature_space("shapes") == "random"
    assert "not comparable with published FID" in feature_space("random").label
    config = tiny_config(**{"data.dataset": "shapes", "model.channels": 3})
    scorer = QualityScorer(config, n=200)
    real = reference_images(config, 400)
    assert real.shape == (400, 16, 16, 3) and real.dtype == np.uint8
    same = scorer.score_images(real[:200], 0)
    noise = np.random.default_rng(0).integers(0, 256, (200, 16, 16, 3), dtype=np.uint8)
    assert scorer.score_images(noise, 0).kid > 10 * max(same.kid, same.kid_std)
    assert same.classes is None and same.coverage is None


def test_a_training_image_is_its_own_nearest_neighbour_at_distance_zero():
    config = tiny_config(**{"data.dataset": "digits", "model.image_size": 32})
    index = NearestIndex.of(config)
    images, _ = load_digits_raw()
    assert len(index.images) == len(images) and not index.sampled
    found = index.query(index.images[1234])
    assert found.by_pixels.indices[0] == 1234 and found.by_pixels.distances[0] == 0.0
    assert found.by_features.indices[0] == 1234 and found.by_features.distances[0] < 1e-3
    assert len(found.by_features.indices) == 5
    assert np.all(np.diff(found.by_features.distances) >= 0)
    assert np.all(np.diff(found.by_pixels.distances) >= 0)
    assert found.by_pixels.distances[1] > 0.0


def test_a_score_survives_its_jsonl_line_and_a_resume_drops_the_lines_after_its_checkpoint(
    tmp_path,
):
    root = tmp_path / "run"
    for _ in start_run(tiny_config(), root, CommandQueue()).run():
        pass
    run = RunDirectory.open(root)
    for step in (3, 5, 6):
        run.append_quality(QualityScore(step, 100, 0.1, 0.01, 5.0, "random").record())
    with open(run.quality_path, "a") as f:
        f.write('{"step": 7, "kid": 0.1')  # a line cut short by a crash
    read = [QualityScore.from_record(r) for r in run.read_quality()]
    assert [s.step for s in read] == [3, 5, 6] and read[0].kid == 0.1
    config = tiny_config(**{"schedule.iterations": 9})
    run.checkpoints_dir.joinpath("step-0000006").rename(run.checkpoints_dir / "moved")
    resume_run(config, RunDirectory.open(root), CommandQueue(), how_to_extend="")
    assert [r["step"] for r in RunDirectory.open(root).read_quality()] == [3]


def test_score_prints_one_line_or_only_json_and_refuses_a_step_it_does_not_have(half_trained):
    line = cli("score", str(half_trained), "--n", "500")
    assert line.returncode == 0, line.stderr
    assert line.stdout.startswith("step 300: KID ") and "of 10 classes" in line.stdout
    result = cli("score", str(half_trained), "--step", "150", "--n", "500", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)  # only the object on stdout
    expected = {"kid", "kid_std", "fd", "classes", "coverage", "confident", "feature_space"}
    assert expected <= set(record) and record["step"] == 150 and len(record["classes"]) == 10
    assert record["feature_space"] == "digits" and record["kid"] > 0
    error = one_error_line(cli("score", str(half_trained), "--step", "7"))
    assert "no checkpoint of iteration 7" in error and "150, 300" in error


def test_inception_weights_on_disk_are_used_where_named_and_never_fetched(monkeypatch, tmp_path):
    from torchvision.models import inception_v3

    from dcgan_studio.core.quality import features

    weights = tmp_path / "inception.pth"  # a stand-in for torchvision's file: the same layout
    torch.save(
        inception_v3(weights=None, aux_logits=True, init_weights=False).state_dict(), weights
    )
    monkeypatch.setenv("DCGAN_STUDIO_INCEPTION_WEIGHTS", str(weights))
    features.feature_space.cache_clear()
    try:
        assert choose_feature_space("cifar10") == "inception"
        assert choose_feature_space("digits") == "digits"  # digits keep their classifier
        space = feature_space("inception")
        codes = space.encode(np.zeros((3, 32, 32, 3), np.uint8)).features
        assert codes.shape == (3, 2048) and np.isfinite(codes).all()
        weights.write_bytes(b"damaged")
        features.feature_space.cache_clear()
        with pytest.raises(StudioError, match="DCGAN_STUDIO_INCEPTION_WEIGHTS"):
            feature_space("inception")
    finally:
        features.feature_space.cache_clear()
