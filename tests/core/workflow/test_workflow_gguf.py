"""GGUF experts: the builder's loader choice, the stand-in's ComfyUI-GGUF pack, and what fits a
16-24 GB GPU."""

from __future__ import annotations

import pytest
import requests

from tests.fakes.comfy_standin import add_model_file
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.jobs.models import fetch_model_lists, server_vram
from wan22_gui.core.workflow import experts
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec, ModelFiles
from wan22_gui.core.workflow.validate import validate

IMAGE = "input-18.jpg"
Q4 = ModelFiles(unet_high="Wan2.2-I2V-A14B-HighNoise-Q4_K_M.gguf",
                unet_low="Wan2.2-I2V-A14B-LowNoise-Q4_K_M.gguf")
GIB = 2**30


def test_a_gguf_expert_is_loaded_by_the_gguf_pack_and_the_other_by_the_core():
    models = ModelFiles(unet_high=Q4.unet_high)
    graph = build_wan_i2v(JobSpec(image="x", models=models), IMAGE).graph
    assert graph["95"] == {"class_type": "UnetLoaderGGUF", "inputs": {"unet_name": Q4.unet_high},
                           "_meta": {"title": "Unet Loader (GGUF) (high noise)"}}
    assert graph["96"]["class_type"] == "UNETLoader"


@pytest.mark.parametrize("name, fmt", [
    ("Wan2.2-I2V-A14B-HighNoise-Q4_K_M.gguf", "Q4_K_M"),
    ("wan2.2_i2v_low_noise_14B_Q8_0.gguf", "Q8_0"),
    ("Wan2.2-I2V-A14B-LowNoise-F16.gguf", "fp16"),
    ("wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors", "fp8"),
    ("my_merge.gguf", "gguf"),
])
def test_the_format_is_read_from_the_file_name(name, fmt):
    assert experts.model_format(name) == fmt


def test_on_16_gb_fp8_does_not_fit_but_q6_does_and_24_gb_takes_fp8():
    assert experts.best_fit(16 * GIB, 640, 640, 81) == "Q6_K"
    assert experts.best_fit(24 * GIB, 640, 640, 81) == "fp8"
    table = {f.fmt: f.fits for f in experts.fit_table(16 * GIB, 640, 640, 81)}
    assert table["fp8"] is False and table["Q8_0"] is False and table["Q4_K_M"] is True


def test_the_advice_names_a_pair_the_server_has():
    files = ["wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
             "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors", Q4.unet_high, Q4.unet_low]
    text = experts.fit_advice(16 * GIB, 640, 640, 81, files[0], files[1], files)
    assert "more than the 16 GB GPU has" in text
    assert f"The server's Q4_K_M pair fits ({Q4.unet_high}, {Q4.unet_low})" in text
    assert "A Q6_K pair would fit too, at better quality" in text
    text = experts.fit_advice(16 * GIB, 640, 640, 81, files[0], files[1], files[:2])
    assert "A Q6_K GGUF pair would fit: put one in models/unet/" in text
    assert experts.fit_advice(16 * GIB, 640, 640, 81, Q4.unet_high, Q4.unet_low).startswith(
        "The Q4_K_M experts fit in 16 GB")
    assert experts.formats_of(files) == ["fp8", "Q4_K_M"]


@pytest.fixture
def gguf_standin(standin_with_models):
    for name in (Q4.unet_high, Q4.unet_low):
        add_model_file(standin_with_models.root, "diffusion_models", name)
    return standin_with_models


def test_without_the_pack_the_gguf_files_are_not_offered_and_the_graph_is_refused(gguf_standin):
    url = gguf_standin.url
    client = ComfyClient(url)
    try:
        lists = fetch_model_lists(client)
    finally:
        client.close()
    assert Q4.unet_high not in lists["unet_high"]  # UNETLoader lists no .gguf
    assert "unet_gguf" not in requests.get(f"{url}/models", timeout=10).json()
    graph = build_wan_i2v(JobSpec(image="x", models=Q4), IMAGE).graph
    info = requests.get(f"{url}/object_info", timeout=10).json()
    problems = validate(graph, info)
    assert {p.node_id for p in problems} == {"95", "96"}
    assert "ComfyUI-GGUF (by city96)" in problems[0].fix
    assert requests.post(f"{url}/prompt", json={"prompt": graph}, timeout=10).status_code == 400


def test_with_the_pack_the_gguf_experts_are_listed_and_the_graph_accepted(gguf_standin):
    gguf_standin.extra_nodes.add("UnetLoaderGGUF")
    url = gguf_standin.url
    client = ComfyClient(url)
    try:
        lists = fetch_model_lists(client)
        vram = server_vram(client)
    finally:
        client.close()
    assert lists["unet_high"][-2:] == [Q4.unet_high, Q4.unet_low]
    assert lists["loras"] == lists["lora_high"]  # the LoRA library
    assert vram and vram > 0
    assert requests.get(f"{url}/models/unet_gguf", timeout=10).json() == sorted(
        [Q4.unet_high, Q4.unet_low])
    graph = build_wan_i2v(JobSpec(image="x", models=Q4), IMAGE).graph
    info = requests.get(f"{url}/object_info", timeout=10).json()
    assert validate(graph, info) == []
    reply = requests.post(f"{url}/prompt", json={"prompt": graph}, timeout=10)
    assert reply.status_code == 200, reply.text
