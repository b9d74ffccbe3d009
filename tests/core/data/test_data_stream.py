"""Datasets too big for the memory limit: read from their files batch by batch, the next batch
decoded while the current one trains, with the same pixels and the same training as in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dcgan_studio.cli import main
from dcgan_studio.core.data import BatchSampler, load_dataset
from dcgan_studio.core.data.folder import scan_folder
from dcgan_studio.core.data.stream import StreamedImages, memory_budget
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.snapshots import StatusSnapshot
from dcgan_studio.errors import ConfigError, DatasetError
from tests.conftest import tiny_config
from tests.core.data.files import write_bad_files

SIZE = 64  # 100 RGB images of 64x64 decode to 1.2 MB: over a 1 MB limit


def photo_folder(folder: Path, n: int = 100) -> list[Path]:
    """``n`` RGB PNGs of 80x60 with smooth gradients and a random square, like small photos."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:60, 0:80]
    paths = []
    for i in range(n):
        image = np.stack([xx * 3, yy * 4, np.full_like(xx, i * 2)], -1).astype(np.uint8)
        y, x = rng.integers(0, 40, 2)
        image[y : y + 20, x : x + 20] = rng.integers(0, 256, 3)
        paths.append(folder / f"photo-{i:03d}.png")
        Image.fromarray(image).save(paths[-1])
    return paths


def folder_config(folder: Path, limit: int | None, **values):
    return tiny_config(
        **{
            "data.dataset": f"folder:{folder}",
            "model.image_size": SIZE,
            "model.channels": 3,
            "data.memory_limit_mb": limit,
            **values,
        }
    )


def test_a_folder_over_the_memory_limit_is_streamed_with_the_same_pixels(tmp_path):
    photo_folder(tmp_path)
    bad = write_bad_files(tmp_path)  # reason -> file name
    memory = scan_folder(tmp_path, SIZE, 3)
    streamed = scan_folder(tmp_path, SIZE, 3, memory_limit_mb=1)
    assert isinstance(memory.images, torch.Tensor)
    assert isinstance(streamed.images, StreamedImages)
    assert memory.count == 101 and {r: [p.name for p in f] for r, f in memory.skipped.items()} == {
        reason: [name] for reason, name in bad.items()
    }
    # the scan of a streamed folder reads headers: all but the truncated body are found there;
    # the truncated file is found when it is decoded (see the test of a file broken in training)
    assert streamed.skipped == {r: f for r, f in memory.skipped.items() if r != "truncated"}
    assert streamed.images.shape == (102, 3, SIZE, SIZE)
    good = [streamed.files.index(f) for f in memory.files]
    assert torch.equal(streamed.images[torch.tensor(good)], memory.images)  # every pixel
    summary = streamed.to_dataset().summary()
    assert summary.storage.startswith("read from disk batch by batch by ")
    assert "more than the memory limit allows" in summary.storage
    assert memory.to_dataset().summary().storage.startswith("decoded in memory, ")


def test_streamed_training_equals_training_in_memory(tmp_path):
    photo_folder(tmp_path / "photos")
    losses, weights = [], []
    for limit in (None, 1):
        cfg = folder_config(tmp_path / "photos", limit, **{"schedule.iterations": 3})
        trainer = Trainer(cfg)
        assert trainer.dataset.streamed == (limit == 1)
        losses.append([(s.loss_d, s.loss_g) for s in trainer.run() if hasattr(s, "loss_d")])
        weights.append([p.detach().clone() for p in trainer.generator.parameters()])
    assert len(losses[0]) == 3 and losses[0] == losses[1]
    assert all(torch.equal(a, b) for a, b in zip(*weights))


def test_the_next_batch_is_decoded_while_the_current_one_trains(tmp_path):
    photo_folder(tmp_path / "photos")
    trainer = Trainer(folder_config(tmp_path / "photos", 1, **{"optim.batch_size": 8}))
    images = trainer.images
    assert images.reads == 4  # the fixed real images beside the grid, read once
    trainer.train_iteration()
    assert images.reads == 4 + 8 + 8  # this batch, and the next one started
    coming = set(trainer.sampler.peek_indices().tolist())
    assert coming == set(images._ahead)
    trainer.train_iteration()
    assert images.reads == 4 + 8 + 8 + 8  # the batch was waiting: only the next one is new


def test_a_file_broken_during_training_is_replaced_reported_and_the_epoch_goes_on(tmp_path):
    paths = photo_folder(tmp_path / "photos", 40)
    cfg = folder_config(
        tmp_path / "photos", 1, **{"optim.batch_size": 8, "schedule.iterations": 12}
    )
    dataset = load_dataset(cfg.with_values({"model.image_size": 128}))  # 40 x 48 KB > 1 MB
    assert dataset.streamed
    paths[7].write_bytes(paths[7].read_bytes()[:100])  # truncated after the scan
    paths[8].unlink()  # and one deleted
    trainer = Trainer(cfg.with_values({"model.image_size": 128}), dataset=dataset)
    snaps = list(trainer.run())
    assert snaps[-1].state == "finished" and trainer.epoch >= 2  # every batch of 2+ epochs
    told = [s.message for s in snaps if isinstance(s, StatusSnapshot) and "could not" in s.message]
    assert told[-1] == (
        "2 image file(s) could not be read while training and another image "
        "took each place (1 truncated: photo-007.png; 1 unreadable: "
        "photo-008.png): replace or remove them"
    )
    assert len(told) <= 2  # said when each one is found, not at every log line
    skipped = dataset.summary().skipped
    assert skipped == {
        "truncated, found while training": (str(paths[7]),),
        "unreadable, found while training": (str(paths[8]),),
    }
    index = dataset.images.files.index(paths[7])
    assert torch.equal(dataset.images[index], dataset.images[index + 2])  # the next readable one


def test_every_file_gone_is_a_clear_error_not_a_crash(tmp_path):
    paths = photo_folder(tmp_path, 25)  # 25 x 48 KB decoded > 1 MB
    images = scan_folder(tmp_path, 128, 3, memory_limit_mb=1).images
    assert isinstance(images, StreamedImages)
    for path in paths:
        path.unlink()
    with pytest.raises(
        DatasetError,
        match=r"none of the 25 image files can be read any more .* "
        "check that the folder is still there",
    ):
        images[torch.tensor([0, 1])]


def test_peeking_shows_the_next_batch_across_epochs_and_after_a_resume():
    sampler = BatchSampler(20, 8, seed=3)
    for _ in range(7):  # over three epoch boundaries (2 batches per epoch)
        peeked = sampler.peek_indices().clone()
        assert torch.equal(peeked, sampler.next_indices())
    resumed = BatchSampler(20, 8, seed=99)
    resumed.load_state_dict(sampler.state_dict())
    assert torch.equal(resumed.peek_indices(), sampler.next_indices())


def test_memory_limit_is_validated_and_defaults_to_half_the_free_memory(tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"data.memory_limit_mb.*a whole number from 1"):
        tiny_config(**{"data.memory_limit_mb": 0})
    assert memory_budget(3) == 3 * 2**20 and memory_budget(None) > 2**20
    photo_folder(tmp_path / "photos", 25)  # 25 x 48 KB decoded > 1 MB
    code = main(
        [
            "train",
            "--dataset",
            f"folder:{tmp_path / 'photos'}",
            "--image-size",
            "128",
            "--channels",
            "3",
            "--ngf",
            "8",
            "--ndf",
            "8",
            "--batch-size",
            "4",
            "--iterations",
            "2",
            "--memory-limit-mb",
            "1",
            "--device",
            "cpu",
            "--run-dir",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Data: 25 images from" in err and "read from disk batch by batch" in err


def test_celeba_over_the_limit_is_streamed_with_the_same_centre_crop(tmp_path):
    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    for i in range(30):  # 178x218 like the aligned faces
        Image.fromarray(rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(
            folder / f"{i + 1:06d}.jpg", quality=90
        )
    base = {
        "data.dataset": "celeba",
        "data.data_root": str(tmp_path),
        "model.channels": 3,
        "model.image_size": 128,
    }
    memory = load_dataset(tiny_config(**base))
    streamed = load_dataset(tiny_config(**base, **{"data.memory_limit_mb": 1}))
    assert not memory.streamed and streamed.streamed
    assert torch.equal(streamed.images[torch.arange(30)], memory.images)
    assert np.array_equal(streamed.preview(8), memory.preview(8))
