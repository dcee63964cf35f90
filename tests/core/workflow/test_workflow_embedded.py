"""Workflows dropped as files: JSON, and the graph ComfyUI embeds in PNG, WebP and MP4 outputs;
and the Generate settings read back out of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.embedded import read_workflow
from wan22_gui.core.workflow.readback import model_files, settings_of
from wan22_gui.core.workflow.spec import JobSpec

DATA = Path(__file__).parents[1] / "comfy_data"
SPEC = JobSpec(image="fox.png", prompt="the fox turns its head", width=832, height=480,
               frames=49, fps=16, seed=1234)


@pytest.fixture
def wan_graph():
    return build_wan_i2v(SPEC, "fox.png").graph


def test_the_api_graph_in_a_real_comfyui_mp4_is_found():
    """SaveVideo's output from a real ComfyUI (moov/udta/meta keys + ilst)."""
    imported = read_workflow(DATA / "comfyui_savevideo_output.mp4")
    assert imported.source_format == "api"
    assert imported.graph["1"]["class_type"] == "LoadImage"
    assert imported.roles["save"] == "5"


def test_a_png_with_text_chunks(tmp_path, wan_graph):
    info = PngInfo()
    info.add_text("prompt", json.dumps(wan_graph))
    info.add_text("workflow", "{not used when the API graph is there")
    path = tmp_path / "ComfyUI_00001_.png"
    Image.new("RGB", (32, 32)).save(path, pnginfo=info)
    imported = read_workflow(path)
    assert imported.source_format == "api" and "sampler_high" in imported.roles


def test_an_animated_webp_with_exif_strings(tmp_path, wan_graph):
    exif = Image.Exif()
    exif[0x0110] = "prompt:" + json.dumps(wan_graph)
    path = tmp_path / "ComfyUI_00001_.webp"
    Image.new("RGB", (32, 32)).save(path, exif=exif.tobytes())
    assert "latent" in read_workflow(path).roles


def test_files_without_a_workflow_say_so(tmp_path):
    plain = tmp_path / "holiday.png"
    Image.new("RGB", (8, 8)).save(plain)
    with pytest.raises(WorkflowError, match="holiday.png holds no ComfyUI workflow"):
        read_workflow(plain)
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")
    with pytest.raises(WorkflowError, match="not valid JSON"):
        read_workflow(broken)
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x08free")
    with pytest.raises(WorkflowError, match="holds no ComfyUI workflow"):
        read_workflow(fake)


def test_settings_are_read_back_into_a_spec(tmp_path, wan_graph):
    path = tmp_path / "wan.json"
    path.write_text(json.dumps(wan_graph), encoding="utf-8")
    imported = read_workflow(path)
    back = settings_of(imported, JobSpec(image="mine.png"))
    spec = back.spec
    assert spec.image == "mine.png"  # the user's picture stays
    assert (spec.prompt, spec.width, spec.height, spec.frames, spec.seed) == \
        (SPEC.prompt, 832, 480, 49, 1234)
    assert spec.models.unet_high == SPEC.models.unet_high and spec.use_lora
    assert "seed 1234" in back.taken and "size 832×480" in back.taken
    assert any(SPEC.models.vae in m for m in model_files(imported.graph))
