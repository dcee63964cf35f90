"""Checks run by `wan22-gui --self-test`: every area is there and every resource is readable."""

from __future__ import annotations

from wan22_gui.core.resources import resource_path
from wan22_gui.gui.mainwindow import REQUIRED_AREAS


def run_self_test(window) -> list[str]:
    problems = [f"panel '{name}' is missing" for name in REQUIRED_AREAS if name not in window.panels]
    root = resource_path()
    if not root.is_dir():
        problems.append(f"resources folder not found at {root}")
    else:
        for path in root.rglob("*"):
            if path.is_file() and path.suffix != ".pyc":
                try:
                    path.read_bytes()
                except OSError as exc:
                    problems.append(f"resource {path.name} unreadable: {exc}")
    return problems
