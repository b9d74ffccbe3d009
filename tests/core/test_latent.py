"""The latent space: interpolation, arithmetic, principal directions, and saved creations that
their sidecars make again bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dcgan_studio.cli import main as cli_main
from dcgan_studio.core import recipes
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.latent import (
    LatentRenderer,
    arithmetic,
    lerp,
    path,
    random_vector,
    slerp,
)
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.sampling import generate, latent_vectors, load_generator
from dcgan_studio.errors import StudioError
from tests.conftest import tiny_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("latent") / "run"
    cfg = tiny_config()
    list(Trainer(cfg, RunDirectory.create(root, cfg)).run())
    return root


def test_slerp_ends_at_its_vectors_and_moves_the_norm_linearly():
    a, b = random_vector(1, 100), 2.0 * random_vector(2, 100)
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-5)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-5)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    for t in (0.25, 0.5, 0.8):
        assert np.linalg.norm(slerp(a, b, t)) == pytest.approx((1 - t) * na + t * nb, rel=1e-5)
    # two random z of the same length: slerp stays on their sphere, the line dips inside it
    c = random_vector(3, 100) * (na / np.linalg.norm(random_vector(3, 100)))
    assert np.linalg.norm(slerp(a, c, 0.5)) == pytest.approx(na, rel=1e-5)
    assert np.linalg.norm(lerp(a, c, 0.5)) < 0.8 * na
    np.testing.assert_allclose(slerp(a, 3 * a, 0.5), 2 * a, rtol=1e-5)  # parallel: the line


def test_a_path_runs_through_every_vector_with_the_frames_asked_for():
    vectors = [random_vector(s, 16) for s in (1, 2, 3)]
    frames = path(vectors, 9, "spherical")
    assert frames.shape == (9, 16) and frames.dtype == np.float32
    for index, vector in ((0, vectors[0]), (4, vectors[1]), (8, vectors[2])):
        np.testing.assert_allclose(frames[index], vector, atol=1e-5)
    np.testing.assert_allclose(
        path(vectors[:2], 3, "linear")[1], (vectors[0] + vectors[1]) / 2, atol=1e-6
    )
    with pytest.raises(ValueError, match="two or more vectors"):
        path(vectors[:1], 5)


def test_arithmetic_averages_each_slot_as_the_paper_does():
    a = [random_vector(s, 8) for s in (1, 2, 3)]
    b, c = [random_vector(4, 8)], [random_vector(5, 8), random_vector(6, 8)]
    expected = np.mean(a, axis=0) - b[0] + np.mean(c, axis=0)
    np.testing.assert_allclose(arithmetic(a, b, c), expected, atol=1e-6)
    with pytest.raises(ValueError, match="slot of the arithmetic is empty"):
        arithmetic(a, [], c)


def test_the_renderer_draws_what_sample_draws_and_leaves_training_alone(run):
    checkpoint = open_checkpoint(run)
    renderer = LatentRenderer.from_checkpoint(checkpoint)
    z = latent_vectors(5, checkpoint.config.model.nz, 7)
    expected = generate(load_generator(checkpoint, torch.device("cpu")), z)
    np.testing.assert_array_equal(renderer.render(z[:, :, 0, 0].numpy()), expected)
    one = renderer.render(z[2, :, 0, 0].numpy())
    assert one.shape == (1, 16, 16, 1)
    np.testing.assert_array_equal(one[0], expected[2])


def test_principal_directions_are_unit_vectors_ordered_by_variance(run):
    renderer = LatentRenderer.from_checkpoint(open_checkpoint(run))
    directions = renderer.principal_directions(count=5, samples=400)
    assert directions.vectors.shape == (5, 16)
    np.testing.assert_allclose(np.linalg.norm(directions.vectors, axis=1), 1.0, atol=1e-5)
    assert np.all(np.diff(directions.explained) <= 1e-6)
    assert directions.explained[0] > 0 and directions.explained.sum() <= 1.0
    # moving z along the first direction moves the images; the renderer is deterministic
    z = random_vector(0, 16)
    moved = renderer.render(z + 3 * directions.vectors[0])
    assert not np.array_equal(moved, renderer.render(z))
    again = renderer.principal_directions(count=5, samples=400)
    np.testing.assert_allclose(again.vectors, directions.vectors, atol=1e-5)


@pytest.mark.parametrize(
    "kind,suffix", [("image", ".png"), ("grid", ".png"), ("strip", ".png"), ("animation", ".gif")]
)
def test_each_saved_kind_is_made_again_bit_for_bit_from_its_sidecar(run, tmp_path, kind, suffix):
    checkpoint = open_checkpoint(run)
    renderer = LatentRenderer.from_checkpoint(checkpoint)
    vectors = [random_vector(s, 16) for s in (1, 2, 3)]
    z = vectors[:1] if kind == "image" else path(vectors, 7)
    creation = recipes.Creation(
        kind, np.asarray(z), scale=3, columns=4, recipe={"vectors": ["v1", "v2", "v3"]}
    )
    [saved] = recipes.save_creation(
        renderer, creation, tmp_path / f"made{suffix}", str(checkpoint.path), checkpoint.config
    )
    sidecar = json.loads(saved.with_suffix(".json").read_text())
    assert sidecar["kind"] == kind and sidecar["step"] == checkpoint.step
    assert len(sidecar["z"]) == len(z) and sidecar["recipe"]["vectors"] == ["v1", "v2", "v3"]
    assert (
        cli_main(
            [
                "sample",
                "--from-sidecar",
                str(saved.with_suffix(".json")),
                "--out",
                str(tmp_path / f"again{suffix}"),
            ]
        )
        == 0
    )
    assert (tmp_path / f"again{suffix}").read_bytes() == saved.read_bytes()


def test_samples_go_to_a_folder_each_with_a_sidecar_of_its_own(run, tmp_path):
    checkpoint = open_checkpoint(run)
    renderer = LatentRenderer.from_checkpoint(checkpoint)
    z = latent_vectors(4, 16, 11)[:, :, 0, 0].numpy()
    files = recipes.save_creation(
        renderer,
        recipes.Creation("samples", z, recipe={"seed": 11}),
        tmp_path / "samples",
        str(checkpoint.path),
    )
    assert [f.name for f in files] == [f"sample-0000{i}.png" for i in range(4)]
    out, data = recipes.reproduce(files[2].with_suffix(".json"), tmp_path / "third.png")
    assert data["kind"] == "image" and out.read_bytes() == files[2].read_bytes()


def test_weights_a_live_renderer_used_are_kept_so_its_files_reproduce(run, tmp_path):
    from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot

    cfg = tiny_config()
    trainer = Trainer(cfg)
    trainer.train_iteration()
    live = LatentRenderer.from_weights(
        GeneratorWeightsSnapshot.of(trainer.step, cfg.to_dict()["model"], trainer.generator)
    )
    folder = recipes.persist_weights(live, cfg, tmp_path / "live-run")
    assert folder == tmp_path / "live-run" / "explorer" / "step-0000001"
    [saved] = recipes.save_creation(
        live,
        recipes.Creation("image", random_vector(5, 16)[None]),
        tmp_path / "live.png",
        str(folder),
        cfg,
    )
    out, _ = recipes.reproduce(saved.with_suffix(".json"), tmp_path / "live-again.png")
    assert out.read_bytes() == saved.read_bytes()


def test_a_bad_sidecar_is_named_with_what_to_do(run, tmp_path, capsys):
    not_json = tmp_path / "x.json"
    not_json.write_text("{ nope")
    grid_sidecar = tmp_path / "grid.json"
    grid_sidecar.write_text(json.dumps({"kind": "sample-grid", "step": 3}))
    with pytest.raises(StudioError, match="is not a JSON sidecar"):
        recipes.read_sidecar(not_json)
    with pytest.raises(StudioError, match="not a sidecar of the latent explorer"):
        recipes.read_sidecar(grid_sidecar)
    checkpoint = open_checkpoint(run)
    renderer = LatentRenderer.from_checkpoint(checkpoint)
    [saved] = recipes.save_creation(
        renderer,
        recipes.Creation("image", random_vector(1, 16)[None]),
        tmp_path / "one.png",
        str(checkpoint.path),
    )
    with pytest.raises(StudioError, match=r"makes a \.png file; name the output …\.png"):
        recipes.reproduce(saved.with_suffix(".json"), tmp_path / "one.gif")
    data = json.loads(saved.with_suffix(".json").read_text())
    data["weights"] = str(tmp_path / "gone")
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(data))
    assert cli_main(["sample", "--from-sidecar", str(moved), "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gone does not exist" in err[0] and "Traceback" not in err[0]
