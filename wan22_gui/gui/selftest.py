"""Checks run by `wan22-gui --self-test`: the window, every panel, every resource and every
module load, and the libraries a frozen build must carry work.

Made for checking a build (PyInstaller folder, wheel install) without a display: a module that
PyInstaller left out, a resource not copied or a codec missing shows up here as one line each.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Callable

from wan22_gui.core.base.resources import resource_path
from wan22_gui.gui.mainwindow import AREAS, REQUIRED_AREAS

Check = Callable[[object], list[str]]


def run_self_test(window) -> list[str]:
    """Every problem found, one sentence each (empty: all good)."""
    problems: list[str] = []
    for check in CHECKS:
        try:
            problems += check(window)
        except Exception as exc:  # a check must report, never stop the others
            problems.append(f"{check.__name__} failed: {type(exc).__name__}: {exc}")
    return problems


def check_panels(window) -> list[str]:
    problems = window.ensure_panels()  # tabs build their panels when first shown: build them all
    problems += [f"panel '{name}' is missing" for name in REQUIRED_AREAS
                 if name not in window.panels]
    for name, title, _where in AREAS:
        panel = window.panels.get(name)
        page = window.pages.get(name)
        if panel is not None and not (panel.isVisibleTo(window) or page is not None
                                      and window.tabs.indexOf(page) >= 0):
            problems.append(f"panel '{title}' was created but is not shown")
    if window.windowIcon().isNull():
        problems.append("the window has no icon")
    if "reveal_log" not in getattr(window, "actions_by_name", {}):
        problems.append("the Help > Reveal log action is missing")
    return problems


def check_resources(window) -> list[str]:
    root = resource_path()
    if not root.is_dir():
        return [f"resources folder not found at {root}"]
    problems = []
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(f"resource {path.relative_to(root)} unreadable: {exc}")
            continue
        problems += _parse_problem(path, data, root)
    for needed in ("presets.json", "icons/wan22-studio-256.png", "icons/wan22-studio.ico"):
        if not (root / needed).is_file():
            problems.append(f"resource {needed} is missing")
    from wan22_gui.core.presets import load_presets

    try:
        if not load_presets().presets:
            problems.append("no launch presets could be loaded")
    except Exception as exc:  # keep the problems found so far
        problems.append(f"launch presets do not load: {type(exc).__name__}: {exc}")
    return problems


def _parse_problem(path: Path, data: bytes, root: Path) -> list[str]:
    name = path.relative_to(root)
    try:
        if path.suffix == ".json":
            json.loads(data.decode("utf-8"))
        elif path.suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            tomllib.loads(data.decode("utf-8"))
        elif path.suffix == ".png":
            from PySide6.QtGui import QImage

            if QImage.fromData(data).isNull():
                return [f"image {name} cannot be decoded"]
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"resource {name} is damaged: {exc}"]
    return []


def check_modules(window) -> list[str]:
    """Import every module of the app (panels and commands are imported by name at run time,
    which a bundler cannot see)."""
    import wan22_gui

    problems = []
    seen = 0
    for info in pkgutil.walk_packages(wan22_gui.__path__, "wan22_gui.",
                                      onerror=lambda name: problems.append(
                                          f"package {name} cannot be listed")):
        if info.name.startswith("wan22_gui.resources"):
            continue  # data, not code
        seen += 1
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            problems.append(f"module {info.name} does not import: {type(exc).__name__}: {exc}")
    if seen < 20:
        problems.append(f"only {seen} app modules were found; the build is incomplete")
    return problems


def check_libraries(window) -> list[str]:
    """The third-party pieces work, not just import: numpy, OpenCV's video codec, SQLite."""
    problems = []
    for module in ("numpy", "cv2", "pynvml", "requests", "websocket", "PIL.Image", "platformdirs",
                   "pyqtgraph", "PySide6.QtNetwork"):
        try:
            importlib.import_module(module)
        except Exception as exc:
            problems.append(f"library {module} does not import: {exc}")
    with sqlite3.connect(":memory:") as db:
        if db.execute("select sqlite_version()").fetchone() is None:
            problems.append("SQLite does not answer")
    problems += _video_round_trip()
    return problems


def _video_round_trip() -> list[str]:
    import numpy as np

    from wan22_gui.core.video.reader import probe
    from wan22_gui.core.video.writer import ClipWriter

    with tempfile.TemporaryDirectory(prefix="wan22-selftest-") as folder:
        clip = Path(folder, "check.mp4")
        with ClipWriter(clip, 16, (64, 48)) as out:
            for value in (0, 80, 160, 240):
                out.write(np.full((48, 64, 3), value, np.uint8))
        info = probe(clip)
        if info.frame_count != 4 or (info.width, info.height) != (64, 48):
            return [f"video round trip gave {info.frame_count} frames of "
                    f"{info.width}x{info.height}, expected 4 of 64x48"]
    return []


def check_history(window) -> list[str]:
    """The history database opens and answers (the gallery and the queue read it)."""
    window.ctx.app.history.list(limit=1)
    return []


CHECKS: list[Check] = [check_panels, check_resources, check_modules, check_libraries,
                       check_history]
