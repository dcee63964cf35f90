"""wan22_gui.core and the CLI must work without Qt: checked in a fresh interpreter where any Qt
import raises."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import wan22_gui.cli
import wan22_gui.core

BLOCKER = r"""
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'} or \
           name.startswith('wan22_gui.gui'):
            raise ImportError('Qt imported from the core: ' + name)
sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module(name)
print('ok')
"""


def _modules(package) -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    ]


def test_every_core_and_cli_module_imports_without_qt():
    names = ["wan22_gui.core", "wan22_gui.cli"] + _modules(wan22_gui.core) + _modules(wan22_gui.cli)
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, *names], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_the_blocker_really_blocks():
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, "wan22_gui.gui.tasks"], capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Qt imported from the core" in result.stderr
