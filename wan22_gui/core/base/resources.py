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
    try:
        return Path(str(importlib_resources.files("wan22_gui.resources").joinpath(*parts)))
    except ModuleNotFoundError:  # run from a source tree that was never pip-installed
        return Path(__file__).resolve().parents[2].joinpath("resources", *parts)


def read_text(*parts: str) -> str:
    return resource_path(*parts).read_text(encoding="utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))
