"""The studio as a desktop application: the bundled .desktop entry and AppStream metainfo pass
their validators (desktop-file-validate, appstreamcli; packaging/install-test-deps.sh installs
them, `make test` runs it), and `dcgan-studio install-desktop` puts the entry and the icons into
the XDG data folder and takes them away."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dcgan_studio import __version__, desktop
from dcgan_studio.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _validator(name: str) -> str:
    """The validator's path; where it is missing, a failure when this machine could install it
    (root, or sudo without a password), else a skip that says how to get it."""
    found = shutil.which(name)
    if found is not None:
        return found
    could_install = os.geteuid() == 0 or (
        shutil.which("sudo") is not None
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    )
    how = "run packaging/install-test-deps.sh (make test runs it)"
    if could_install:
        pytest.fail(f"{name} is not installed: {how}")
    pytest.skip(f"{name} is not installed and this user cannot apt-get install it: {how} as root")


def test_the_desktop_entry_passes_desktop_file_validate():
    out = subprocess.run(
        [_validator("desktop-file-validate"), str(desktop.desktop_entry())],
        capture_output=True,
        text=True,
    )
    report = out.stdout + out.stderr
    assert out.returncode == 0 and "error:" not in report and "warning:" not in report, report


def test_the_installed_entry_with_its_exec_path_passes_too(tmp_path):
    command = ["/opt/my tools/bin/python3", "-m", "dcgan_studio"]  # a space: quoted
    entry = tmp_path / f"{desktop.APP_ID}.desktop"
    entry.write_text(desktop.entry_text(command))
    out = subprocess.run(
        [_validator("desktop-file-validate"), str(entry)], capture_output=True, text=True
    )
    assert out.returncode == 0 and "error:" not in out.stdout + out.stderr, out.stdout
    assert 'Exec="/opt/my tools/bin/python3" -m dcgan_studio\n' in entry.read_text()


def test_the_metainfo_passes_appstreamcli_validate():
    out = subprocess.run(
        [_validator("appstreamcli"), "validate", "--no-net", str(desktop.metainfo())],
        capture_output=True,
        text=True,
    )
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    errors = [line for line in report.splitlines() if line.startswith(("E:", "W:"))]
    assert errors == [], report


def test_the_metainfo_says_what_the_project_says():
    root = ET.parse(desktop.metainfo()).getroot()
    assert root.findtext("id") == desktop.APP_ID
    assert root.findtext("project_license") == "MIT"  # pyproject.toml's license
    assert root.find("launchable").text == f"{desktop.APP_ID}.desktop"
    assert root.find("provides/binary").text == "dcgan-studio"
    assert root.find("releases/release").get("version") == __version__
    for image in root.iter("image"):  # the README's screenshots, which exist
        name = image.text.rpartition("/resources/readme/")[2]
        assert (ROOT / "resources" / "readme" / name).is_file(), image.text


def test_install_desktop_puts_the_entry_and_icons_in_xdg_data_home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["install-desktop"]) == 0
    said = capsys.readouterr().err
    entry = tmp_path / "applications" / f"{desktop.APP_ID}.desktop"
    assert said.count("\n") == 1 and f"installed {entry}" in said
    icons = tmp_path / "icons" / "hicolor"
    for size in desktop.ICON_SIZES:
        png = icons / f"{size}x{size}" / "apps" / f"{desktop.APP_ID}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (icons / "scalable" / "apps" / f"{desktop.APP_ID}.svg").read_text().startswith("<?xml")
    # Exec is the program that ran: here pytest's interpreter with -m dcgan_studio
    exec_line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))
    assert exec_line == f"Exec={desktop.exec_line([sys.executable, '-m', 'dcgan_studio'])}"
    assert os.path.isabs(exec_line.removeprefix("Exec=").strip('"').split()[0])
    assert main(["install-desktop"]) == 0  # again: the same files, no error
    assert len(list(tmp_path.rglob("*.*"))) == len(desktop.ICON_SIZES) + 2

    assert main(["install-desktop", "--uninstall"]) == 0
    said = capsys.readouterr().err.splitlines()[-1]
    assert said.startswith("dcgan-studio: removed 8 files")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert main(["install-desktop", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().err


def test_the_exec_line_is_the_console_script_that_runs(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "dcgan-studio"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(script)])
    assert desktop.running_command() == [str(script)]
    monkeypatch.setattr(sys, "argv", ["/usr/lib/python3/x/__main__.py"])
    assert desktop.running_command() == [sys.executable, "-m", "dcgan_studio"]


def test_a_data_folder_that_cannot_be_written_is_one_line_naming_the_fix(
    tmp_path, monkeypatch, capsys
):
    blocked = tmp_path / "a-file"  # a file where the folder should be: root cannot write it either
    blocked.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    assert main(["install-desktop"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dcgan-studio: error: cannot write")
    assert "set XDG_DATA_HOME to one" in err


def test_a_relative_xdg_data_home_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")
    assert desktop.data_home() == tmp_path / ".local" / "share"


def test_an_apt_get_that_fails_is_said_and_lets_the_other_tests_run(tmp_path):
    """packaging/install-test-deps.sh where the validators are missing and the mirrors are out of
    reach: a line naming the failure and exit 0, so `make test` runs the rest (the validator
    tests above then fail, naming the script, where the machine could install them)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-get calls"
    fake = bin_dir / "apt-get"
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> "{calls}"\necho "E: mirror out of reach" >&2\nexit 100\n'
    )
    fake.chmod(0o755)
    for tool in ("id", "true"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    # a sudo that runs what it is given, its options dropped: as root or with sudo alike
    (bin_dir / "sudo").write_text(
        '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n'
    )
    (bin_dir / "sudo").chmod(0o755)
    done = subprocess.run(
        [shutil.which("bash"), str(ROOT / "packaging" / "install-test-deps.sh")],
        env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["update", "install"]
    assert "apt-get update failed" in done.stdout
    assert "could not install" in done.stdout and "desktop-file-utils" in done.stdout
    assert "tests/test_desktop_files.py fails until they are installed" in done.stdout
