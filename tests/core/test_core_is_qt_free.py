import pkgutil
import subprocess
import sys

import dcgan_studio.core


def test_importing_every_core_module_loads_no_qt():
    modules = ["dcgan_studio.config", "dcgan_studio.errors"] + [
        f"dcgan_studio.core.{m.name}" for m in pkgutil.iter_modules(dcgan_studio.core.__path__)
    ]
    assert "dcgan_studio.core.engine" in modules and len(modules) >= 12
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph') or m.startswith('dcgan_studio.gui'))\n"
        "print('QT:' + ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "QT:", out.stdout
