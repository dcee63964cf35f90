"""Access to the files in `resources/`, the same way in a checkout, a wheel and a frozen build."""

from __future__ import annotations

import json
import sys
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any


def resource_path(*parts: str) -> Path:
    """Path of a file under resources/ (PyInstaller unpacks it under sys._MEIPASS)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root, "wan22_gui", "resources", *parts)
    source_tree = Path(__file__).resolve().parents[3].joinpath("resources", *parts)
    try:
        installed = Path(str(importlib_resources.files("wan22_gui.resources").joinpath(*parts)))
    except ModuleNotFoundError:  # run from a source tree that was never pip-installed
        return source_tree
    # A checkout run with another checkout's editable install: prefer the files next to the code.
    return source_tree if source_tree.exists() and not installed.exists() else installed


def read_text(*parts: str) -> str:
    return resource_path(*parts).read_text(encoding="utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))
