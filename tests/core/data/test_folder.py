"""``folder:PATH``: the user's own images in every mode and format, bad files skipped and reported
by reason, class folders as labels, progress and cancel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, features

from dcgan_studio.core.data import load_dataset
from dcgan_studio.core.data.decode import ALPHA_BACKGROUND
from dcgan_studio.core.data.folder import NoImagesError, ScanCancelled, scan_folder
from dcgan_studio.errors import DatasetError
from tests.core.data.files import cfg_for, every_mode_folder, save, write_bad_files


def test_every_mode_and_format_becomes_rgb_with_the_right_colour(tmp_path):
    files = every_mode_folder(tmp_path)
    assert Image.open(files["I;16"][0]).mode == "I;16" and Image.open(files["I"][0]).mode == "I"
    assert Image.open(files["GIF"][0]).n_frames == 2
    scan = scan_folder(tmp_path, 16, 3)
    assert scan.count == len(files) and scan.skipped == {} and scan.labels is None
    for name, (path, colour) in files.items():
        image = scan.images[scan.files.index(path)]
        assert image.shape == (3, 16, 16)
        centre = image[:, 4:12, 4:12].float().mean((1, 2))
        assert (centre - torch.tensor(colour)).abs().max() <= 2, (name, centre.tolist())
    assert ALPHA_BACKGROUND == 0  # transparent pixels are composited on black, as above


def test_every_mode_becomes_grayscale_with_luma(tmp_path):
    files = every_mode_folder(tmp_path)
    scan = scan_folder(tmp_path, 16, 1)
    assert scan.images.shape == (len(files), 1, 16, 16)
    rgb = scan.images[scan.files.index(files["RGB"][0])]
    assert rgb.min() == rgb.max() == 124  # 0.299 * 200 + 0.587 * 100 + 0.114 * 50
    sixteen = scan.images[scan.files.index(files["I;16"][0])]
    assert sixteen.min() == sixteen.max() == 200  # scaled by 257, not clipped to 255


def test_bad_files_are_skipped_by_reason_and_the_good_one_loads(tmp_path):
    reasons = write_bad_files(tmp_path)
    save(Image.new("L", (8, 8), 5), tmp_path / "sub" / "also-good.gif")
    scan = scan_folder(tmp_path, 16, 3)
    assert scan.count == 2 and scan.files_seen == 7
    assert {r: [p.name for p in paths] for r, paths in scan.skipped.items()} == {
        r: [name] for r, name in sorted(reasons.items())
    }
    assert scan.report() == (
        "7 files seen, 2 used, 5 skipped (1 empty (0 bytes): zero.png; "
        "1 not an image: notes.jpg; 1 not an image type (by name): "
        "readme.txt; 1 too large (decompression bomb): bomb.png; "
        "1 truncated: cut.png)"
    )
    ds = load_dataset(cfg_for(f"folder:{tmp_path}", channels=3))
    summary = ds.summary()
    assert (summary.count, summary.image_size, summary.channels) == (2, 16, 3)
    assert summary.source == str(tmp_path.resolve()) and summary.skipped_count == 5
    assert summary.skipped_lines()[-1] == "1 truncated: cut.png"
    assert ds.preview(64).shape == (2, 3, 16, 16)


def test_a_folder_of_only_bad_files_refuses_with_the_report(tmp_path):
    write_bad_files(tmp_path)
    (tmp_path / "good.png").unlink()
    with pytest.raises(NoImagesError) as err:
        load_dataset(cfg_for(f"folder:{tmp_path}"))
    assert str(err.value).startswith(
        f"no usable image in {tmp_path.resolve()}: 5 files seen, 0 used, 5 skipped "
        "(1 empty (0 bytes): zero.png; 1 not an image: notes.jpg;"
    )
    assert str(err.value).endswith(
        "; put jpg, jpeg, png, webp, bmp, gif or tif images there "
        "(re-save damaged ones), or choose another folder"
    )
    assert err.value.scan.files_seen == 5


def test_damaged_copies_of_every_format_never_stop_the_scan(tmp_path):
    rng = np.random.default_rng(3)
    picture = Image.fromarray(rng.integers(0, 256, (24, 20, 3), dtype=np.uint8))
    formats = {"png": {}, "jpg": {"quality": 90}, "gif": {}, "bmp": {}, "tif": {}}
    if features.check("webp"):
        formats["webp"] = {}
    made = 0
    for suffix, options in formats.items():
        whole = save(picture, tmp_path / f"whole.{suffix}", **options).read_bytes()
        for k, cut in enumerate(np.linspace(8, len(whole) - 1, 6).astype(int)):
            (tmp_path / f"cut{k}.{suffix}").write_bytes(whole[:cut])
            noisy = bytearray(whole)
            noisy[cut // 2 : cut // 2 + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
            (tmp_path / f"noisy{k}.{suffix}").write_bytes(bytes(noisy))
            made += 2
    scan = scan_folder(tmp_path, 16, 3)
    assert scan.files_seen == made + len(formats)
    assert scan.count + scan.skipped_count == scan.files_seen
    assert {p.name for p in scan.files} >= {f"whole.{s}" for s in formats}
    assert set(scan.skipped) <= {"truncated", "unreadable", "not an image"}


def test_missing_empty_and_file_paths_are_refused_with_the_fix(tmp_path):
    with pytest.raises(
        DatasetError,
        match=r"the image folder .*nowhere does not exist: check the "
        r"path after folder: \(--dataset folder:PATH\)",
    ):
        load_dataset(cfg_for(f"folder:{tmp_path / 'nowhere'}"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        DatasetError,
        match=r"the image folder .*empty has no files: put jpg, .* "
        "images in it, directly or in one sub-folder per class",
    ):
        load_dataset(cfg_for(f"folder:{tmp_path / 'empty'}"))
    save(Image.new("L", (4, 4)), tmp_path / "one.png")
    with pytest.raises(
        DatasetError,
        match=r"one.png is a file, not a folder: use --dataset "
        "folder:PATH with the folder that holds the images",
    ):
        load_dataset(cfg_for(f"folder:{tmp_path / 'one.png'}"))
    with pytest.raises(DatasetError, match="folder: needs the path of a folder of images"):
        load_dataset(cfg_for("folder:"))


def test_class_folders_become_sorted_labels_and_a_flat_folder_has_none(tmp_path):
    nested = tmp_path / "nested"
    for cls, colour, n in (("zebra", 250, 2), ("apple", 10, 3)):
        for i in range(n):
            save(Image.new("L", (20, 20), colour), nested / cls / "deeper" / f"{i}.png")
    scan = scan_folder(nested, 16, 1)
    assert scan.class_names == ("apple", "zebra")
    assert sorted(scan.labels.tolist()) == [0, 0, 0, 1, 1]
    for label, image in zip(scan.labels, scan.images):
        assert int(image.float().mean()) == (10 if label == 0 else 250)
    ds = scan.to_dataset()
    assert ds.class_names == ("apple", "zebra") and "2 classes" in ds.description
    flat = tmp_path / "flat"
    for i in range(3):
        save(Image.new("RGB", (10, 30), (i * 50, 0, 0)), flat / f"{i}.png")
    flat_scan = scan_folder(flat, 16, 3)
    assert flat_scan.labels is None and flat_scan.class_names == () and flat_scan.count == 3


def test_scan_reports_progress_and_can_be_cancelled(tmp_path):
    for i in range(5):
        save(Image.new("L", (8, 8), i), tmp_path / f"{i}.png")
    calls = []
    scan_folder(tmp_path, 16, 1, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    asked = []
    with pytest.raises(
        ScanCancelled,
        match=r"loading .* was stopped after 2 of 5 files: start "
        "again to load them",
    ):
        scan_folder(tmp_path, 16, 1, cancel=lambda: asked.append(1) or len(asked) >= 2)
