"""Pytest fixtures for the stand-in ComfyUI (loaded from tests/conftest.py).

- ``standin``: a running in-process StandinServer on a fresh root; ``standin.url``,
  ``standin.faults``, ``standin.counters``, ``standin.root``. Stopped after the test.
- ``standin_with_models``: the same with empty files for every Wan 2.2 template model and an
  ``input-18.jpg`` start image, so the official templates validate unchanged.
- ``standin_process``: the stand-in as a child process (``.url``, ``.root``, ``.set_faults()``,
  ``.counters()``, ``.console_lines``); terminated after the test.
- ``comfy_object_info``: the recorded core `/object_info` (a private copy);
  ``comfy_object_info_custom``: the recorded custom-node classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.fakes.comfy_standin import CUSTOM_DUMP, StandinServer, install_wan_models, load_dump
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


def _serve(root: Path) -> Iterator[StandinServer]:
    server = StandinServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandinServer]:
    yield from _serve(tmp_path / "comfyui")


@pytest.fixture
def standin_with_models(tmp_path: Path) -> Iterator[StandinServer]:
    root = tmp_path / "comfyui"
    install_wan_models(root)
    add_input_image(root)
    yield from _serve(root)


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
