"""The wheel carries the bundled data, and `python -m dcgan_studio` / the entry point exist."""

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import tomllib

from dcgan_studio.desktop import APP_ID, ICON_SIZES

ROOT = Path(__file__).resolve().parents[1]


def _not_source(folder: str, names: list[str]) -> set[str]:
    """What a checkout holds beside the source: tools, builds, and the top-level runs/ folder
    (not dcgan_studio/gui/runs, the Runs tab)."""
    skipped = shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"
    )(folder, names)
    if Path(folder) == ROOT and "runs" in names:
        skipped.add("runs")
    return skipped


def test_wheel_contains_the_bundled_digits(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=_not_source)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = (tmp_path / "dist").glob("dcgan_studio-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "dcgan_studio/resources/digits/mnist_digits.npz" in names
        assert "dcgan_studio/resources/digits/PROVENANCE.md" in names
        assert "dcgan_studio/core/engine.py" in names
        assert "dcgan_studio/gui/main_window.py" in names
        assert "dcgan_studio/gui/training/sample_panel.py" in names
        assert "dcgan_studio/core/data/folder.py" in names
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "dcgan-studio = dcgan_studio.cli:main" in zf.read(entry_points).decode()
        with np.load(io.BytesIO(zf.read("dcgan_studio/resources/digits/mnist_digits.npz"))) as d:
            assert d["images"].shape == (10000, 28, 28) and d["labels"].max() == 9
        desktop = "dcgan_studio/resources/desktop"
        assert f"{desktop}/{APP_ID}.desktop" in names
        assert f"{desktop}/{APP_ID}.metainfo.xml" in names
        assert f"{desktop}/icons/hicolor/scalable/apps/{APP_ID}.svg" in names
        for size in ICON_SIZES:
            png = f"{desktop}/icons/hicolor/{size}x{size}/apps/{APP_ID}.png"
            assert zf.read(png)[:8] == b"\x89PNG\r\n\x1a\n"
    _the_installed_wheel_runs(wheel, tmp_path)


def _the_installed_wheel_runs(wheel: Path, tmp_path: Path) -> None:
    """The wheel installed apart from the checkout (its dependencies are this venv's): its
    console script says its version, and install-desktop finds the bundled files in it."""
    site = tmp_path / "site"
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_DATA_HOME": str(tmp_path / "share")}
    script = site / "bin" / "dcgan-studio"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )

    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == "dcgan-studio 0.1.0", version
    where = subprocess.run(
        [sys.executable, "-c", "import dcgan_studio.desktop as d; print(d.desktop_entry())"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert where.stdout.strip().startswith(str(site)), where  # the wheel's, not the checkout's
    installed = run("install-desktop")
    assert installed.returncode == 0, installed.stderr
    entry = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert f"Exec={script}\n" in entry.read_text()
    icons = tmp_path / "share" / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / f"{APP_ID}.png").is_file()


def test_pyside6_is_pinned_below_6_12():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pin = next(d for d in project["dependencies"] if d.startswith("PySide6-Essentials"))
    assert "<6.12" in pin


def test_every_package_of_the_source_is_listed_for_the_wheel():
    """A new sub-package not listed in pyproject.toml would be left out of the wheel."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "dcgan_studio").rglob("__init__.py")
    }
    assert found <= listed, f"not in [tool.setuptools] packages: {sorted(found - listed)}"
