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
    checkout = Path(__file__).resolve().parents[3]
    source_tree = checkout.joinpath("resources", *parts)
    # Code run from a checkout (a worktree next to another checkout's editable install, too)
    # reads that checkout's resources, so code and data always come from the same tree.
    if (checkout / "pyproject.toml").is_file() and (checkout / "resources").is_dir():
        return source_tree
    try:
        return Path(str(importlib_resources.files("wan22_gui.resources").joinpath(*parts)))
    except ModuleNotFoundError:  # run from a source tree that was never pip-installed
        return source_tree


def read_text(*parts: str) -> str:
    return resource_path(*parts).read_text(encoding="utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))
