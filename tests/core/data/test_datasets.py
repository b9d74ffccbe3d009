"""Datasets in their real on-disk formats, written here: torchvision's layouts, image folders with
every mode and every kind of bad file, and the generated shapes. Nothing is downloaded."""

from __future__ import annotations

import gzip
import pickle
import struct
import urllib.error
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, features

from dcgan_studio.cli import main
from dcgan_studio.core.data import (
    default_data_root,
    describe_datasets,
    load_dataset,
    natural_channels,
)
from dcgan_studio.core.data import torchvision_sets as data_torchvision
from dcgan_studio.core.data.folder import (
    ALPHA_BACKGROUND,
    NoImagesError,
    ScanCancelled,
    scan_folder,
)
from dcgan_studio.core.data.shapes import generate_shapes
from dcgan_studio.errors import DatasetError
from tests.conftest import tiny_config


def cfg_for(
    dataset: str, root: Path | None = None, size: int = 16, channels: int = 1, batch: int = 2
):
    values = {
        "data.dataset": dataset,
        "model.image_size": size,
        "model.channels": channels,
        "optim.batch_size": batch,
    }
    if root is not None:
        values["data.data_root"] = str(root)
    return tiny_config(**values)


# ---- torchvision layouts ----------------------------------------------------------------------
def write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(f"{path}.gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def write_mnist(root: Path, folder: str, n: int = 6, gz: bool = False) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    write_idx(root / folder / "raw" / "train-images-idx3-ubyte", images, gz)
    write_idx(root / folder / "raw" / "train-labels-idx1-ubyte", labels, gz)
    return images, labels


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_files_plain_and_gzipped_load_exactly(tmp_path, name, folder, gz):
    images, labels = write_mnist(tmp_path, folder, gz=gz)
    ds = load_dataset(cfg_for(name, tmp_path, size=28))
    assert torch.equal(ds.images[:, 0], torch.from_numpy(images))
    assert ds.labels.tolist() == labels.tolist() and len(ds.class_names) == 10
    rgb = load_dataset(cfg_for(name, tmp_path, size=16, channels=3))
    assert rgb.image_shape == (3, 16, 16)
    assert torch.equal(rgb.images[:, 0], rgb.images[:, 2])  # grey stays grey in RGB
    assert rgb.summary().source.endswith(f"train-images-idx3-ubyte{'.gz' if gz else ''}")


def test_missing_mnist_names_the_full_paths_the_source_and_the_data_root(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset(cfg_for("mnist", tmp_path))
    raw = tmp_path / "MNIST" / "raw"
    assert str(err.value) == (
        f"MNIST is not in {tmp_path}: put {raw}/train-images-idx3-ubyte.gz and "
        f"{raw}/train-labels-idx1-ubyte.gz (or the same files unpacked, without .gz) there, "
        "from https://ossci-datasets.s3.amazonaws.com/mnist/; or choose the folder that holds "
        "them with --data-root or the window's folder picker"
    )


def test_damaged_idx_files_are_named_with_the_fix(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5]) + bytes(5))  # a labels file's magic
    with pytest.raises(
        DatasetError,
        match=r"is not an IDX file of 3-D unsigned bytes \(it starts "
        r"with 00000801, expected 00000803\); download it again from https://",
    ):
        load_dataset(cfg_for("mnist", tmp_path))
    images.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 28, 28) + bytes(100))
    with pytest.raises(
        DatasetError,
        match="is truncated: its header promises 10x28x28 bytes but 100 follow; download it again",
    ):
        load_dataset(cfg_for("mnist", tmp_path))
    images.unlink()
    Path(f"{images}.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(
        DatasetError,
        match=r"train-images-idx3-ubyte.gz cannot be read \(.*\): "
        "it is damaged or not what its name says; download it again",
    ):
        load_dataset(cfg_for("mnist", tmp_path))


def write_cifar(root: Path, per_batch: int = 3) -> np.ndarray:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (5 * per_batch, 3, 32, 32), dtype=np.uint8)
    for i in range(5):
        chunk = images[i * per_batch : (i + 1) * per_batch]
        entry = {
            "batch_label": f"training batch {i + 1} of 5",
            "labels": [int(x) for x in rng.integers(0, 10, per_batch)],
            "data": chunk.reshape(per_batch, 3072),
            "filenames": [f"img_{i}_{j}.png" for j in range(per_batch)],
        }
        (folder / f"data_batch_{i + 1}").write_bytes(pickle.dumps(entry, protocol=2))
    meta = {
        "label_names": [
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ],
        "num_vis": 3072,
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return images


def test_cifar10_pickled_batches_load_exactly_and_to_grayscale(tmp_path):
    images = write_cifar(tmp_path)
    ds = load_dataset(cfg_for("cifar10", tmp_path, size=32, channels=3))
    assert torch.equal(ds.images, torch.from_numpy(images))
    assert len(ds.labels) == 15 and ds.class_names[0] == "airplane"
    grey = load_dataset(cfg_for("cifar10", tmp_path, size=16, channels=1))
    assert grey.image_shape == (1, 16, 16)


class _Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_cifar10_missing_batches_and_planted_code_are_refused(tmp_path):
    with pytest.raises(
        DatasetError,
        match=r"CIFAR-10 is not in .*expected .*cifar-10-batches-py/"
        r"data_batch_1 \.\.\. .*data_batch_5\): download cifar-10-python.tar.gz "
        r"from https://www.cs.toronto.edu/.* and unpack it in .*--data-root",
    ):
        load_dataset(cfg_for("cifar10", tmp_path, channels=3))
    write_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_4").unlink()
    with pytest.raises(DatasetError, match=r"missing .*data_batch_4\)"):
        load_dataset(cfg_for("cifar10", tmp_path, channels=3))
    marker = tmp_path / "code-ran"
    payload = pickle.dumps({"data": _Planted(marker)}, protocol=2)
    (tmp_path / "cifar-10-batches-py" / "data_batch_4").write_bytes(payload)
    with pytest.raises(
        DatasetError,
        match=r"data_batch_4 cannot be read as a CIFAR-10 batch "
        r"\(io.open is not allowed\); download cifar-10-python.tar.gz again",
    ):
        load_dataset(cfg_for("cifar10", tmp_path, channels=3))
    assert not marker.exists()


def test_svhn_matlab_file_loads_exactly_with_zero_as_label_0(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(4)
    x = rng.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)  # SVHN's (H, W, C, N) layout
    y = np.array([[10], [1], [2], [9], [10]], dtype=np.uint8)  # 10 is SVHN's label for 0
    savemat(str(tmp_path / "train_32x32.mat"), {"X": x, "y": y})
    ds = load_dataset(cfg_for("svhn", tmp_path, size=32, channels=3))
    assert torch.equal(ds.images, torch.from_numpy(x.transpose(3, 2, 0, 1).copy()))
    assert ds.labels.tolist() == [0, 1, 2, 9, 0]
    assert ds.summary().source == str(tmp_path / "train_32x32.mat")
    savemat(str(tmp_path / "train_32x32.mat"), {"X": x.astype(np.float64), "y": y})
    with pytest.raises(
        DatasetError,
        match=r"holds float64 \(32, 32, 3, 5\), not SVHN's .* "
        "download it again",
    ):
        load_dataset(cfg_for("svhn", tmp_path, size=32, channels=3))
    (tmp_path / "train_32x32.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    with pytest.raises(
        DatasetError,
        match=r"cannot be read as SVHN's MATLAB file .* download it "
        "again from http://ufldl.stanford.edu",
    ):
        load_dataset(cfg_for("svhn", tmp_path, size=32, channels=3))


def test_svhn_missing_file_and_missing_scipy_are_explained(tmp_path, monkeypatch):
    with pytest.raises(
        DatasetError,
        match=r"SVHN is not in .*: put train_32x32.mat from "
        r"http://ufldl.stanford.edu/housenumbers/train_32x32.mat at "
        rf"{tmp_path}/train_32x32.mat.*--data-root",
    ):
        load_dataset(cfg_for("svhn", tmp_path, channels=3))
    (tmp_path / "train_32x32.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    monkeypatch.setitem(__import__("sys").modules, "scipy.io", None)  # as if SciPy were missing
    with pytest.raises(
        DatasetError, match="needs SciPy, which is not installed: pip install scipy"
    ):
        load_dataset(cfg_for("svhn", tmp_path, channels=3))


def test_celeba_faces_are_centre_cropped_and_bad_files_reported(tmp_path):
    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    for i in range(3):  # 178x218 like the aligned faces: blue outside the centre 108, red inside
        face = np.zeros((218, 178, 3), np.uint8)
        face[..., 2] = 255
        face[55:163, 35:143] = (255, 0, 0)
        Image.fromarray(face).save(folder / f"{i + 1:06d}.jpg", quality=95)
    (folder / "000004.jpg").write_bytes((folder / "000001.jpg").read_bytes()[:500])
    seen = []
    ds = load_dataset(cfg_for("celeba", tmp_path, channels=3))
    assert len(ds) == 3 and ds.image_shape == (3, 16, 16)
    red = ds.images[:, :, 2:-2, 2:-2].float().mean((0, 2, 3))
    assert red[0] > 230 and red[2] < 25  # the crop keeps the face, not the background
    assert dict(ds.skipped) == {"truncated": (str(folder / "000004.jpg"),)}
    assert ds.summary().files_seen == 4
    from dcgan_studio.core.data.torchvision_sets import load_torchvision

    load_torchvision("celeba", cfg_for("celeba", tmp_path), progress=lambda d, t: seen.append(d))
    assert seen[0] == 0 and seen[-1] == 4
    with pytest.raises(
        DatasetError,
        match=r"CelebA is not in .*: unpack img_align_celeba.zip "
        r".* so that .*celeba/img_align_celeba/000001.jpg",
    ):
        load_dataset(cfg_for("celeba", tmp_path / "nothing"))


def test_download_offline_fails_with_a_clear_message_and_leaves_no_file(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data_torchvision.urllib.request, "urlopen", offline)
    with pytest.raises(
        DatasetError,
        match=r"could not download https://ossci-datasets.*"
        r"train-images-idx3-ubyte.gz \(.*name resolution\): check the internet "
        r"connection, or download it by hand and put it at .*MNIST/raw/",
    ):
        data_torchvision.download_dataset("mnist", tmp_path, progress=lambda d, t: None)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    with pytest.raises(DatasetError, match="CelebA cannot be downloaded automatically"):
        data_torchvision.download_dataset("celeba", tmp_path)


def test_cli_missing_dataset_is_one_line_and_exit_2(tmp_path, capsys):
    code = main(
        [
            "train",
            "--dataset",
            "fashion-mnist",
            "--data-root",
            str(tmp_path),
            "--run-dir",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err.startswith(
        f"dcgan-studio: error: Fashion-MNIST is not in {tmp_path}: put "
        f"{tmp_path}/FashionMNIST/raw/train-images-idx3-ubyte.gz"
    )


# ---- image folders -----------------------------------------------------------------------------
def save(img: Image.Image, path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kwargs)
    return path


def every_mode_folder(folder: Path) -> dict[str, tuple[Path, tuple[int, int, int]]]:
    """name -> (file, the RGB colour its centre must have after loading)."""
    s = (24, 18)  # not square: the crop is exercised too
    palette = Image.new("P", s, 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    transparent = Image.new("P", s, 0)
    transparent.putpalette([250, 250, 250, 10, 200, 30] + [0] * 762)
    gif_frames = [Image.new("RGB", s, (255, 0, 0)), Image.new("RGB", s, (0, 0, 255))]
    files = {
        "1": (save(Image.new("1", s, 1), folder / "one.png"), (255, 255, 255)),
        "L": (save(Image.new("L", s, 77), folder / "grey.png"), (77, 77, 77)),
        "P": (save(palette, folder / "palette.png"), (10, 200, 30)),
        "P+transparency": (save(transparent, folder / "clear.png", transparency=0), (0, 0, 0)),
        "LA": (save(Image.new("LA", s, (180, 128)), folder / "grey-alpha.png"), (90, 90, 90)),
        "RGB": (save(Image.new("RGB", s, (200, 100, 50)), folder / "rgb.bmp"), (200, 100, 50)),
        "RGBA": (save(Image.new("RGBA", s, (200, 100, 50, 0)), folder / "rgba.png"), (0, 0, 0)),
        "I;16": (
            save(Image.fromarray(np.full(s[::-1], 200 * 257, np.uint16)), folder / "sixteen.png"),
            (200, 200, 200),
        ),
        "I": (
            save(Image.fromarray(np.full(s[::-1], 100 * 257, np.int32)), folder / "int.tif"),
            (100, 100, 100),
        ),
        "GIF": (
            save(
                gif_frames[0],
                folder / "anim.gif",
                save_all=True,
                append_images=gif_frames[1:],
                duration=100,
            ),
            (255, 0, 0),
        ),
        "JPEG": (
            save(Image.new("RGB", s, (30, 60, 220)), folder / "photo.jpeg", quality=95),
            (30, 60, 220),
        ),
    }
    if features.check("webp"):
        files["WEBP"] = (
            save(Image.new("RGB", s, (0, 128, 255)), folder / "web.webp", lossless=True),
            (0, 128, 255),
        )
    return files


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


def write_bad_files(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    good = save(Image.new("RGB", (40, 30), (9, 99, 199)), folder / "good.png")
    (folder / "cut.png").write_bytes(good.read_bytes()[:60])
    (folder / "zero.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not a photograph\n")

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)  # 3.6 gigapixels, RGB
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(5000)))
        + chunk(b"IEND", b"")
    )
    (folder / "bomb.png").write_bytes(bomb)
    assert (folder / "bomb.png").stat().st_size < 200
    (folder / "readme.txt").write_text("my pictures")
    return {
        "truncated": "cut.png",
        "empty (0 bytes)": "zero.png",
        "not an image": "notes.jpg",
        "too large (decompression bomb)": "bomb.png",
        "not an image type (by name)": "readme.txt",
    }


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


# ---- shapes and the registry -------------------------------------------------------------------
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


def test_train_download_fetches_mnist_over_http_then_trains_on_it(tmp_path, monkeypatch, capsys):
    """The real download path against a local web server holding MNIST's .gz files."""
    import functools
    import http.server
    import threading

    from dcgan_studio import cli

    served = tmp_path / "server"
    images, _ = write_mnist(served, "files", n=40, gz=True)
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(served / "files" / "raw")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        folder, title, _, classes = data_torchvision.MNIST_LIKE["mnist"]
        monkeypatch.setitem(
            data_torchvision.MNIST_LIKE,
            "mnist",
            (folder, title, f"http://127.0.0.1:{server.server_address[1]}/", classes),
        )
        root = tmp_path / "datasets"
        code = cli.main(
            [
                "train",
                "--dataset",
                "mnist",
                "--data-root",
                str(root),
                "--download",
                "--image-size",
                "16",
                "--nz",
                "8",
                "--ngf",
                "4",
                "--ndf",
                "4",
                "--batch-size",
                "8",
                "--iterations",
                "2",
                "--run-dir",
                str(tmp_path / "run"),
                "--no-progress",
                "--device",
                "cpu",
            ]
        )
    finally:
        server.shutdown()
    assert code == 0
    for base in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        assert (root / "MNIST" / "raw" / base).read_bytes() == (
            served / "files" / "raw" / base
        ).read_bytes()
    err = capsys.readouterr().err
    assert f"mnist is in {root / 'MNIST' / 'raw'}" in err and "Data: " in err
    assert "40 images" in err
