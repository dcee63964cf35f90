"""Pytest fixtures for the stand-in ComfyUI (loaded from tests/conftest.py).

- ``standin``: a running in-process StandinServer on a fresh root; ``standin.url``,
  ``standin.faults``, ``standin.counters``, ``standin.root``. Stopped after the test.
- ``standin_with_models``: the same with empty files for every Wan 2.2 template model and an
  ``input-18.jpg`` start image, so the official templates validate unchanged.
- ``standin_process``: the stand-in as a child process (``.url``, ``.root``, ``.set_faults()``,
  ``.counters()``, ``.console_lines``); terminated after the test.
- ``comfy_profile``: the ComfyUI version the stand-ins play, "0.3.64" unless a test overrides it
  with ``@pytest.mark.parametrize("comfy_profile", ["0.3.64", "0.38.1"])`` ("0.38.1" adds
  ComfySwitchNode, ComfyMathExpression and the core FrameInterpolate nodes and reports 0.38.1).
- ``comfy_object_info``: the recorded core `/object_info` (a private copy);
  ``comfy_object_info_custom``: the recorded custom-node classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.fakes.comfy_standin import (CUSTOM_DUMP, NEWER_CORE_DUMP, StandinServer,
                                       install_wan_models, load_dump)
from tests.fakes.comfy_standin.process import StandinProcess

TEMPLATE_IMAGE = "input-18.jpg"  # what LoadImage names in the official Wan 2.2 i2v template


def add_input_image(root: Path, name: str = TEMPLATE_IMAGE, size: tuple[int, int] = (640, 640)) -> Path:
    """Put a small picture into ``root/input`` (what an upload would have stored)."""
    from PIL import Image, ImageDraw

    path = Path(root) / "input" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (40, 90, 160))
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4),
                                  fill=(230, 200, 60))
    image.save(path)
    return path


def _serve(root: Path, profile: str = "0.3.64") -> Iterator[StandinServer]:
    server = StandinServer(root, profile=profile)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def comfy_profile() -> str:
    return "0.3.64"


@pytest.fixture
def standin(tmp_path: Path, comfy_profile: str) -> Iterator[StandinServer]:
    yield from _serve(tmp_path / "comfyui", comfy_profile)


@pytest.fixture
def standin_with_models(tmp_path: Path, comfy_profile: str) -> Iterator[StandinServer]:
    root = tmp_path / "comfyui"
    install_wan_models(root)
    add_input_image(root)
    yield from _serve(root, comfy_profile)


@pytest.fixture
def standin_process(tmp_path: Path) -> Iterator[StandinProcess]:
    process = StandinProcess(tmp_path / "comfyui-process")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def comfy_object_info() -> dict:
    return load_dump()


@pytest.fixture
def comfy_object_info_custom() -> dict:
    return load_dump(CUSTOM_DUMP)


@pytest.fixture
def comfy_object_info_newer() -> dict:
    """The 0.3.64 core dump plus what ComfyUI 0.38 adds (the "0.38.1" profile's object_info)."""
    return {**load_dump(), **load_dump(NEWER_CORE_DUMP)}
