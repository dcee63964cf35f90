"""The layer contracts (pyproject.toml [tool.importlinter]) hold, so plain pytest catches a violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _lint_imports() -> str | None:
    here = Path(sys.executable).with_name("lint-imports")
    return str(here) if here.exists() else shutil.which("lint-imports")


def test_import_layers_hold() -> None:
    tool = _lint_imports()
    if tool is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    done = subprocess.run([tool, "--no-cache"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
