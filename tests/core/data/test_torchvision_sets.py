"""MNIST, Fashion-MNIST, CIFAR-10, SVHN and CelebA read from torchvision's layouts, exactly or with
a message that names the file and the fix; downloads from a local web server, checked by their
MD5 sums."""

from __future__ import annotations

import io
import pickle
import struct
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dcgan_studio.cli import main
from dcgan_studio.core.data import load_dataset
from dcgan_studio.core.data import torchvision_sets as data_torchvision
from dcgan_studio.errors import DatasetError
from tests.core.data.files import (
    cfg_for,
    md5_sums,
    refused,
    serving,
    serving_mnist,
    write_cifar,
    write_mnist,
)


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
    refused(
        r"is not an IDX file of 3-D unsigned bytes \(it starts "
        r"with 00000801, expected 00000803\); download it again from https://",
        "mnist",
        tmp_path,
    )
    images.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 28, 28) + bytes(100))
    refused(
        "is truncated: its header promises 10x28x28 bytes but 100 follow; download it again",
        "mnist",
        tmp_path,
    )
    images.unlink()
    Path(f"{images}.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    refused(
        r"train-images-idx3-ubyte.gz cannot be read \(.*\): "
        "it is damaged or not what its name says; download it again",
        "mnist",
        tmp_path,
    )


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
    refused(
        r"CIFAR-10 is not in .*expected .*cifar-10-batches-py/"
        r"data_batch_1 \.\.\. .*data_batch_5\): download cifar-10-python.tar.gz "
        r"from https://www.cs.toronto.edu/.* and unpack it in .*--data-root",
        "cifar10",
        tmp_path,
        channels=3,
    )
    write_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_4").unlink()
    refused(r"missing .*data_batch_4\)", "cifar10", tmp_path, channels=3)
    marker = tmp_path / "code-ran"
    payload = pickle.dumps({"data": _Planted(marker)}, protocol=2)
    (tmp_path / "cifar-10-batches-py" / "data_batch_4").write_bytes(payload)
    refused(
        r"data_batch_4 cannot be read as a CIFAR-10 batch "
        r"\(io.open is not allowed\); download cifar-10-python.tar.gz again",
        "cifar10",
        tmp_path,
        channels=3,
    )
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
    refused(
        r"holds float64 \(32, 32, 3, 5\), not SVHN's .* download it again",
        "svhn",
        tmp_path,
        size=32,
        channels=3,
    )
    (tmp_path / "train_32x32.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    refused(
        r"cannot be read as SVHN's MATLAB file .* download it "
        "again from http://ufldl.stanford.edu",
        "svhn",
        tmp_path,
        size=32,
        channels=3,
    )


def test_svhn_missing_file_and_missing_scipy_are_explained(tmp_path, monkeypatch):
    refused(
        r"SVHN is not in .*: put train_32x32.mat from "
        r"http://ufldl.stanford.edu/housenumbers/train_32x32.mat at "
        rf"{tmp_path}/train_32x32.mat.*--data-root",
        "svhn",
        tmp_path,
        channels=3,
    )
    (tmp_path / "train_32x32.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    monkeypatch.setitem(__import__("sys").modules, "scipy.io", None)  # as if SciPy were missing
    refused("needs SciPy, which is not installed: pip install scipy", "svhn", tmp_path, channels=3)


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


def test_train_download_fetches_mnist_over_http_then_trains_on_it(tmp_path, monkeypatch, capsys):
    """The real download path against a local web server holding MNIST's .gz files."""
    from dcgan_studio import cli

    root = tmp_path / "datasets"
    with serving_mnist(tmp_path / "server", monkeypatch, n=40) as served:
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
    assert code == 0
    for base in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        assert (root / "MNIST" / "raw" / base).read_bytes() == (served / base).read_bytes()
    err = capsys.readouterr().err
    assert f"mnist is in {root / 'MNIST' / 'raw'}" in err and "Data: " in err
    assert "40 images" in err


def test_a_damaged_download_is_refused_by_its_md5_sum_and_nothing_is_put_in_place(
    tmp_path, monkeypatch
):
    raw = tmp_path / "root" / "MNIST" / "raw"
    with serving_mnist(tmp_path / "server", monkeypatch) as served:
        good = (served / "train-images-idx3-ubyte.gz").read_bytes()
        (served / "train-images-idx3-ubyte.gz").write_bytes(good[:-20])  # cut short on the way
        with pytest.raises(DatasetError) as err:
            data_torchvision.download_dataset("mnist", tmp_path / "root")
        url = f"{data_torchvision.MNIST_LIKE['mnist'][2]}train-images-idx3-ubyte.gz"
        target = raw / "train-images-idx3-ubyte.gz"
        assert str(err.value).startswith(f"the download of {url} is damaged (its MD5 sum is not")
        assert str(err.value).endswith(
            f"nothing was put at {target}: download again, or download it by hand from {url} "
            f"and put it at {target}"
        )
        assert not any(p.is_file() for p in raw.iterdir())  # no half file, no temporary file
        (served / "train-images-idx3-ubyte.gz").write_bytes(good)
        target.write_bytes(good[:100])  # a damaged copy already there is fetched again
        kept = raw / "train-labels-idx1-ubyte.gz"
        data_torchvision.download_dataset("mnist", tmp_path / "root")
        assert target.read_bytes() == good
        stamp = kept.stat().st_mtime_ns
        data_torchvision.download_dataset("mnist", tmp_path / "root")  # intact: kept as is
        assert kept.stat().st_mtime_ns == stamp
    assert len(load_dataset(cfg_for("mnist", tmp_path / "root"))) == 30


def test_a_download_can_be_cancelled_and_leaves_no_file(tmp_path, monkeypatch):
    raw = tmp_path / "root" / "MNIST" / "raw"
    with serving_mnist(tmp_path / "server", monkeypatch):
        with pytest.raises(
            data_torchvision.DownloadCancelled,
            match=r"downloading http://127.0.0.1:\d+/train-images-idx3-ubyte.gz was stopped "
            r"after 0.0 MB: start again to fetch it",
        ):
            data_torchvision.download_dataset("mnist", tmp_path / "root", cancel=lambda: True)
    assert not any(p.is_file() for p in raw.iterdir())


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


def test_cifar10_is_downloaded_checked_and_unpacked_safely(tmp_path, monkeypatch):
    """The archive is checked by its MD5 sum, then unpacked with tarfile's "data" filter: a
    member that points out of the data root is refused, and nothing lands outside it."""
    images = write_cifar(tmp_path / "made")
    served = tmp_path / "served"
    served.mkdir()
    archive = served / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "made" / "cifar-10-batches-py", "cifar-10-batches-py")
    root = tmp_path / "root"
    with serving(served) as url:
        monkeypatch.setattr(data_torchvision, "CIFAR_URL", f"{url}cifar-10-python.tar.gz")
        monkeypatch.setitem(data_torchvision.DOWNLOAD_MD5, "cifar10", md5_sums(served))
        assert data_torchvision.download_dataset("cifar10", root) == root / "cifar-10-batches-py"
        ds = load_dataset(cfg_for("cifar10", root, size=32, channels=3))
        assert torch.equal(ds.images, torch.from_numpy(images))
        (root / "cifar-10-python.tar.gz").unlink()
        with tarfile.open(archive, "w:gz") as tar:  # a planted archive, with its sum published
            escape = tarfile.TarInfo("../escaped.txt")
            escape.size = 5
            tar.addfile(escape, io.BytesIO(b"hello"))
        monkeypatch.setitem(data_torchvision.DOWNLOAD_MD5, "cifar10", md5_sums(served))
        with pytest.raises(
            DatasetError,
            match=r"cifar-10-python.tar.gz cannot be unpacked \(.*\): delete it and download again",
        ):
            data_torchvision.download_dataset("cifar10", root)
    assert not (tmp_path / "escaped.txt").exists()
