"""Hostile image folders: link loops, FIFOs, folders named like images, unreadable files and
folders, names that are not UTF-8, decompression bombs, a 16-bit 8192 x 8192 PNG, empty files and
text named .png. Loading either works with the bad entries skipped and reported by reason, or
fails with one clear line; it never hangs, and decoding holds bounded memory."""

from __future__ import annotations

import os
import struct
import threading
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from dcgan_studio import cli
from dcgan_studio.core.data import decode as data_decode
from dcgan_studio.core.data import folder as data_folder
from dcgan_studio.core.data.decode import EMPTY, NOT_FILE, NOT_IMAGE, TOO_LARGE, UNREADABLE
from dcgan_studio.core.data.folder import LINKED_FOLDER, UNLISTABLE, load_folder

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # root reads a chmod 000 file anyway
needs_permissions = pytest.mark.skipif(AS_ROOT, reason="root ignores file permissions")


def good_images(folder: Path, count: int = 8) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = [folder / f"good{i}.png" for i in range(count)]
    for path in paths:
        Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8)).save(path)
    return paths


def skipped(folder: Path, **kwargs) -> dict[str, list[str]]:
    """reason -> names of the entries skipped, from the dataset summary a person sees."""
    dataset = load_folder(folder, 16, 1, **kwargs)
    try:
        return {
            r: sorted(Path(p).name for p in paths) for r, paths in dataset.summary().skipped.items()
        }
    finally:
        if dataset.streamed:
            dataset.images.close()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes whose header promises width x height RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(bytes(5000)))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(params=["in memory", "streamed"])
def mode(request, monkeypatch) -> str:
    """Loaded into memory, or (a folder too big for memory) headers checked, files streamed."""
    if request.param == "streamed":
        monkeypatch.setattr(data_folder, "memory_budget", lambda limit_mb: 0)
    return request.param


def test_link_loops_are_skipped_and_reported(tmp_path, mode):
    good_images(tmp_path)
    os.symlink("loop.png", tmp_path / "loop.png")  # a link to itself: ELOOP
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up")  # a folder link back up: a loop if followed
    found = skipped(tmp_path)
    assert found[UNREADABLE] == ["loop.png"]
    assert found[LINKED_FOLDER] == ["up"]


def test_a_fifo_is_skipped_without_blocking(tmp_path, mode):
    good_images(tmp_path)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for reading blocks until a writer comes
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(found=skipped(tmp_path)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # release the reader, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(10)
        pytest.fail("loading the folder blocked on a FIFO")
    assert result["found"] == {NOT_FILE: ["pipe.png"]}


def test_a_folder_named_like_an_image_is_searched_not_opened(tmp_path):
    good_images(tmp_path / "cats")
    good_images(tmp_path / "dogs.jpg", 2)  # a class folder with an image's name
    dataset = load_folder(tmp_path, 16, 1)
    assert len(dataset) == 10 and dataset.class_names == ("cats", "dogs.jpg")
    assert dataset.summary().skipped == {}


def test_a_broken_link_and_a_device_are_skipped(tmp_path):
    good_images(tmp_path)
    os.symlink(tmp_path / "nowhere.png", tmp_path / "broken.png")
    os.symlink("/dev/zero", tmp_path / "endless.png")  # reading it never ends
    assert skipped(tmp_path) == {NOT_FILE: ["endless.png"], UNREADABLE: ["broken.png"]}


@needs_permissions
def test_an_unreadable_file_is_skipped(tmp_path):
    good_images(tmp_path)
    locked = tmp_path / "locked.png"
    locked.write_bytes((tmp_path / "good0.png").read_bytes())
    locked.chmod(0)
    try:
        assert skipped(tmp_path) == {UNREADABLE: ["locked.png"]}
    finally:
        locked.chmod(0o644)


@needs_permissions
def test_an_unreadable_subfolder_is_reported(tmp_path):
    good_images(tmp_path)
    good_images(tmp_path / "locked", 2)
    (tmp_path / "locked").chmod(0)
    try:
        assert skipped(tmp_path) == {UNLISTABLE: ["locked"]}
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_an_unlistable_subfolder_is_reported_even_as_root(tmp_path, monkeypatch):
    """What chmod 000 does to anyone but root, done to os.scandir, which os.walk lists with."""
    good_images(tmp_path)
    good_images(tmp_path / "locked", 2)
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    dataset = load_folder(tmp_path, 16, 1)
    assert len(dataset) == 8
    assert dataset.summary().skipped_lines() == [f"1 {UNLISTABLE}: locked"]


def test_names_that_are_not_utf8_load_and_are_reported(tmp_path, capsys):
    good = good_images(tmp_path)
    os.rename(good[0], os.fsencode(tmp_path) + b"/caf\xe9.png")  # Latin-1, not UTF-8
    (Path(os.fsdecode(os.fsencode(tmp_path) + b"/bad\xff.png"))).write_text("not an image")
    dataset = load_folder(tmp_path, 16, 1)
    assert len(dataset) == 8
    [line] = dataset.summary().skipped_lines()
    assert line.startswith(f"1 {NOT_IMAGE}: bad")
    code = cli.main(
        [
            "train",
            "--dataset",
            f"folder:{tmp_path}",
            "--image-size",
            "16",
            "--ngf",
            "8",
            "--ndf",
            "8",
            "--nz",
            "16",
            "--batch-size",
            "8",
            "--iterations",
            "1",
            "--device",
            "cpu",
            "--precision",
            "fp32",
            "--sample-count",
            "4",
            "--run-dir",
            str(tmp_path / "run"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"  skipped 1 {NOT_IMAGE}: bad\\xff.png" in err  # stderr escapes the odd byte


def test_bombs_zero_bytes_and_text_named_png_are_skipped_by_reason(tmp_path, mode):
    good_images(tmp_path)
    (tmp_path / "bomb.png").write_bytes(bomb_png(100_000, 100_000))  # 10 gigapixels promised
    (tmp_path / "just-over.png").write_bytes(bomb_png(8192, 8193))  # one row over the limit
    text = PngImagePlugin.PngInfo()
    text.add_text("comment", "a" * 20_000_000, zip=True)  # 20 MB of text in a 20 KB chunk
    Image.new("L", (4, 4)).save(tmp_path / "text-bomb.png", pnginfo=text)
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("this is text\n")
    assert skipped(tmp_path) == {
        EMPTY: ["zero.png"],
        NOT_IMAGE: ["notes.png"],
        TOO_LARGE: ["bomb.png", "just-over.png", "text-bomb.png"],
    }


@pytest.fixture(scope="module")
def big_16bit_png(tmp_path_factory) -> Path:
    """8192 x 8192, 16-bit grey (Pillow's mode I;16), all 30000: about 130 KB on disk."""
    path = tmp_path_factory.mktemp("big") / "big16.png"
    Image.fromarray(np.full((8192, 8192), 30000, np.uint16)).save(path, compress_level=9)
    return path


def test_a_16_bit_8192_square_png_decodes_to_8_bits_in_bounded_memory(big_16bit_png):
    with Image.open(big_16bit_png) as img:
        assert (img.mode, img.size) == ("I;16", (8192, 8192))
    assert big_16bit_png.stat().st_size < 300_000
    tracemalloc.start()  # numpy's arrays are traced; Pillow's own 128 MB image is not
    try:
        result = data_decode.decode(big_16bit_png, 16, "L")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, np.ndarray), result
    assert result.shape == (1, 16, 16) and (result == 117).all()  # round(30000 / 257)
    # the 8-bit image (64 MB) and strips: no float64 copy of the whole (512 MB each)
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB traced while decoding"


def test_large_images_are_decoded_one_at_a_time(tmp_path, monkeypatch):
    good_images(tmp_path, 12)
    monkeypatch.setattr(data_decode, "LARGE_DECODE_BYTES", 100)  # each 20 x 20 image is "large"
    busy, most = [0], [0]
    lock = threading.Lock()
    real = data_decode._to_array

    def counting(*args, **kwargs):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        try:
            threading.Event().wait(0.02)  # long enough for another thread to come in
            return real(*args, **kwargs)
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(data_decode, "_to_array", counting)
    assert len(load_folder(tmp_path, 16, 1)) == 12
    assert most[0] == 1
    monkeypatch.setattr(data_decode, "LARGE_DECODE_BYTES", 10**9)
    assert len(load_folder(tmp_path, 16, 1)) == 12
    assert most[0] > 1  # small ones in parallel: the counter does see overlap


def test_a_folder_of_only_hostile_entries_is_one_line(tmp_path, capsys):
    tmp_path.joinpath("pics").mkdir()
    os.mkfifo(tmp_path / "pics" / "pipe.png")
    (tmp_path / "pics" / "zero.png").write_bytes(b"")
    os.symlink("loop.png", tmp_path / "pics" / "loop.png")
    code = cli.main(
        ["train", "--dataset", f"folder:{tmp_path / 'pics'}", "--run-dir", str(tmp_path / "run")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(
        f"dcgan-studio: error: no usable image in {tmp_path / 'pics'}: 3 files "
        "seen, 0 used, 3 skipped (1 empty (0 bytes): zero.png; 1 not a regular "
        "file (a pipe, socket or device): pipe.png; 1 unreadable: loop.png)"
    )
    assert not (tmp_path / "run").exists()
