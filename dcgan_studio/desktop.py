"""The studio as a desktop application: its freedesktop entry, AppStream metainfo and icons
(bundled in ``resources/desktop``, installed as ``dcgan_studio.resources``), and
``dcgan-studio install-desktop``, which puts the entry and the icons into the person's XDG data
folder so that menus and docks list DCGAN Studio, and takes them away again.

Qt-free and torch-free: the window asks it for the icon files, the command line for the rest.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from dcgan_studio.core.durable import durable_write_bytes  # stdlib only: no torch, no Qt
from dcgan_studio.errors import StudioError

APP_ID = "io.github.dcganstudio.DCGANStudio"  # the .desktop file's name, the metainfo's id
# the window's X11 WM_CLASS instance, whether started as dcgan-studio or python -m dcgan_studio:
# the entry's StartupWMClass, by which a dock puts the window under the entry's icon
WM_CLASS = "dcgan-studio"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
SOURCE_ROOT = Path(__file__).resolve().parents[1]  # a source checkout: resources/ lives here

# characters that make an Exec argument need quoting (the Desktop Entry spec, "The Exec key")
_RESERVED = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def bundled(*parts: str) -> Path:
    """A file under ``resources/desktop``: inside the installed package, or in a checkout."""
    try:
        root = importlib.resources.files("dcgan_studio.resources")
        path = Path(str(root.joinpath("desktop", *parts)))
        if path.is_file():
            return path
    except ModuleNotFoundError:
        pass
    path = SOURCE_ROOT / "resources" / "desktop" / Path(*parts)
    if not path.is_file():
        raise StudioError(
            f"the bundled file resources/desktop/{'/'.join(parts)} is missing from this "
            "installation: reinstall DCGAN Studio (pip install --force-reinstall dcgan-studio)"
        )
    return path


def desktop_entry() -> Path:
    return bundled(f"{APP_ID}.desktop")


def metainfo() -> Path:
    return bundled(f"{APP_ID}.metainfo.xml")


def icon_files() -> dict[str, Path]:
    """The icons by hicolor size folder: ``16x16`` ... ``256x256`` (PNG) and ``scalable``."""
    icons = {
        f"{size}x{size}": bundled("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")
        for size in ICON_SIZES
    }
    icons["scalable"] = bundled("icons", "hicolor", "scalable", "apps", f"{APP_ID}.svg")
    return icons


def data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share where it is unset, empty or relative (the XDG Base
    Directory spec says to ignore a relative one)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def running_command() -> list[str]:
    """The dcgan-studio that is running, as absolute paths: its console script where it was
    started by one, else this interpreter with ``-m dcgan_studio``."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is not None and started.name == "dcgan-studio" and started.is_file():
        return [str(started.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "dcgan_studio"]


def exec_line(command: list[str]) -> str:
    """``command`` as the value of an Exec key: each argument quoted where the spec asks, then
    escaped as a desktop-file string (a backslash doubled)."""

    def quoted(arg: str) -> str:
        arg = arg.replace("%", "%%")
        if not _RESERVED.search(arg):
            return arg
        return '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'

    return " ".join(quoted(arg) for arg in command).replace("\\", "\\\\")


@dataclass(frozen=True)
class Placed:
    """Where ``install-desktop`` puts each file under a data folder."""

    entry: Path
    icons: dict[str, Path]

    @classmethod
    def under(cls, data: Path) -> Placed:
        icons = {
            size: data / "icons" / "hicolor" / size / "apps" / source.name
            for size, source in icon_files().items()
        }
        return cls(data / "applications" / f"{APP_ID}.desktop", icons)

    def files(self) -> list[Path]:
        return [self.entry, *self.icons.values()]


def install(command: list[str] | None = None) -> str:
    """Write the entry (its Exec pointing at ``command``, by default the running program) and
    the icons into the XDG data folder; the one line that says what was done."""
    data = data_home()
    placed = Placed.under(data)
    text = entry_text(command or running_command())
    try:
        for size, target in placed.icons.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            durable_write_bytes(target, icon_files()[size].read_bytes())
        placed.entry.parent.mkdir(parents=True, exist_ok=True)
        durable_write_bytes(placed.entry, text.encode("utf-8"))
    except OSError as exc:
        raise StudioError(_cannot_write(data, exc)) from exc
    return (
        f"installed {placed.entry} and {len(placed.icons)} icons under "
        f"{data / 'icons' / 'hicolor'}; DCGAN Studio is in the applications menu (it starts "
        f"{' '.join(command or running_command())})"
    )


def uninstall() -> str:
    """Remove what ``install`` wrote; the one line that says what was done."""
    data = data_home()
    removed = 0
    try:
        for path in Placed.under(data).files():
            if path.is_file():
                path.unlink()
                removed += 1
    except OSError as exc:
        raise StudioError(_cannot_write(data, exc, "remove")) from exc
    if removed == 0:
        return f"nothing to remove: DCGAN Studio's desktop entry is not installed in {data}"
    return (
        f"removed {removed} files ({APP_ID}.desktop and its icons) from {data}; "
        "DCGAN Studio is no longer in the applications menu"
    )


def entry_text(command: list[str]) -> str:
    """The bundled .desktop entry with its Exec line set to ``command``."""
    text = desktop_entry().read_text(encoding="utf-8")
    line = f"Exec={exec_line(command)}"
    return re.sub(r"^Exec=.*$", lambda _: line, text, count=1, flags=re.MULTILINE)


def _cannot_write(data: Path, exc: OSError, verb: str = "write") -> str:
    where = exc.filename or data
    reason = exc.strerror or type(exc).__name__
    return (
        f"cannot {verb} {where} ({reason}): make {data} a folder you can write, or set "
        "XDG_DATA_HOME to one"
    )
