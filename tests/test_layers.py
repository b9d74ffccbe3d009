"""The layer contracts, read from the source as import-linter would: every import statement of
every module (top-level or inside a function) against the rules of ../shared/DESIGN.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dcgan_studio"

WORKSPACES = tuple(
    f"dcgan_studio.gui.{name}"
    for name in ("training", "inspect", "latent", "data", "gan1d", "convolution", "quality", "runs")
)
QT = ("PySide6", "shiboken6", "pyqtgraph")
COMMAND_LINE = (
    "dcgan_studio.cli",
    "dcgan_studio.arguments",
    "dcgan_studio.headless",
    "dcgan_studio.run_tools",
)
# (the modules a rule is about, the modules they must not import, why)
CONTRACTS = [
    (
        "dcgan_studio.core",
        ("PySide6", "shiboken6", "pyqtgraph", "dcgan_studio.gui"),
        "the core is Qt-free: the command line and tests use it without a display",
    ),
    (
        "dcgan_studio.core",
        COMMAND_LINE,
        "the command line is a front end of the core",
    ),
    (
        "dcgan_studio.config",
        ("PySide6", "pyqtgraph", "dcgan_studio.gui", "dcgan_studio.cli"),
        "a run's settings know nothing of who shows them",
    ),
    (
        "dcgan_studio.errors",
        ("dcgan_studio.core", "dcgan_studio.gui", "torch"),
        "the errors sit at the bottom: everything may raise them",
    ),
    (
        "dcgan_studio.core.checkpointing",
        ("dcgan_studio.core.engine",),
        "a checkpoint saves and restores the parts it is given, not the Trainer (no circle)",
    ),
    (
        "dcgan_studio.core.runs",
        ("dcgan_studio.core.engine", "dcgan_studio.core.checkpointing"),
        "the run folder is below the engine and what it saves",
    ),
    (
        "dcgan_studio.core.checkpoint_files",
        (
            "dcgan_studio.core.engine",
            "dcgan_studio.core.checkpointing",
            "dcgan_studio.core.runs",
            "dcgan_studio.core.gan",
        ),
        "a checkpoint on disk is below the run folder and everything that trains",
    ),
    (
        "dcgan_studio.core.durable",
        ("dcgan_studio.core", "dcgan_studio.config"),
        "durable writes are at the very bottom: every file of a run is written through them",
    ),
    (
        "dcgan_studio.core.gan",
        ("dcgan_studio.core.engine", "dcgan_studio.core.publishing", "dcgan_studio.core.runs"),
        "one training iteration knows nothing of the run folder or the engine's loop",
    ),
    (
        "dcgan_studio.core.publishing",
        ("dcgan_studio.core.engine", "dcgan_studio.core.gan"),
        "publishing writes what it is given; it does not train",
    ),
    (
        "dcgan_studio.gui.widgets",
        ("dcgan_studio.gui.main_window", *COMMAND_LINE, *WORKSPACES),
        "the shared widgets serve every workspace and know none of them",
    ),
    (
        "dcgan_studio.core.data.base",
        ("dcgan_studio.core.data.",),
        "the datasets' base is at the bottom of core/data: the loaders import it, never back",
    ),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in the file names, relative ones
    resolved against the file's package."""
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


MODULES = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("layer, forbidden, why", CONTRACTS, ids=[c[0] for c in CONTRACTS])
def test_a_layer_never_imports_what_is_above_it(layer, forbidden, why):
    members = [m for m in MODULES if _within(m, layer)]
    assert members, f"no module is in {layer}: the contract is out of date"
    broken = sorted(
        f"{m} imports {i}"
        for m in members
        for i in MODULES[m]
        if any(_within(i, f) for f in forbidden)
    )
    assert not broken, f"{why}:\n" + "\n".join(broken)


def test_the_reader_sees_every_kind_of_import(tmp_path):
    """The contracts are only as good as the reader: a function-level, a relative and a plain
    import are all found."""
    sample = PACKAGE / "core" / "engine.py"
    found = imports_of(sample)
    assert "torch" in found and "dcgan_studio.core.runs" in found
    lazy = PACKAGE / "config.py"  # imports the layer plans inside a function
    assert "dcgan_studio.core.architecture" in imports_of(lazy)


def test_the_gui_models_are_qt_free():
    """Every concept's model (``gui/<package>/model.py``), the events they emit and the snapshot
    router are plain Python: plain pytest tests them, without a QApplication."""
    models = [m for m in MODULES if m.endswith(".model") and _within(m, "dcgan_studio.gui")]
    models += ["dcgan_studio.gui.events", "dcgan_studio.gui.router"]
    assert len(models) >= 6, f"fewer models than concepts: {models}"
    broken = sorted(
        f"{m} imports {i}" for m in models for i in MODULES[m] if any(_within(i, q) for q in QT)
    )
    assert not broken, "a model imports Qt:\n" + "\n".join(broken)


def test_only_a_workspace_s_jobs_module_starts_work_off_the_gui_thread():
    """One worker mechanism, configured per workspace in its ``jobs`` module: no view imports
    the workers, and nothing starts a thread of its own."""
    allowed = {m for m in MODULES if m.endswith(".jobs")} | {"dcgan_studio.gui.frame"}
    users = {m for m in MODULES if "dcgan_studio.gui.workers" in MODULES[m]}
    assert users - allowed == set(), f"views that import the workers: {sorted(users - allowed)}"
    threads = sorted(
        m
        for m in MODULES
        if _within(m, "dcgan_studio.gui")
        and m != "dcgan_studio.gui.workers"
        and {"threading.Thread", "PySide6.QtCore.QThread"} & MODULES[m]
    )
    assert not threads, f"threads started outside gui.workers: {threads}"


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_a_workspace_never_imports_another(workspace):
    """The window composes the workspaces; they know only themselves and the shared pieces."""
    others = [w for w in WORKSPACES if w != workspace]
    broken = sorted(
        f"{m} imports {i}"
        for m in MODULES
        if _within(m, workspace)
        for i in MODULES[m]
        if any(_within(i, other) for other in others)
    )
    assert not broken, "\n".join(broken)
