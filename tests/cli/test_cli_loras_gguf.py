"""`wan22 generate` with LoRAs, the 3-phase split and GGUF experts, end to end on the stand-in."""

from __future__ import annotations

import json

import pytest
import requests
from PIL import Image

from tests.fakes.comfy_standin import add_model_file
from wan22_gui.cli.main import main

Q4 = ("Wan2.2-I2V-A14B-HighNoise-Q4_K_M.gguf", "Wan2.2-I2V-A14B-LowNoise-Q4_K_M.gguf")
SMALL = ["--frames", "17", "--width", "320", "--height", "224", "--seed", "3"]


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "harbour.jpg"
    Image.new("RGB", (640, 448), (20, 90, 140)).save(path)
    return path


def _sent_graph(url: str) -> dict:
    """The API graph of the last prompt the stand-in ran."""
    [entry] = requests.get(f"{url}/history", timeout=10).json().values()
    return entry["prompt"][2]


def _last_params(capsys) -> dict:
    assert main(["history", "--json", "--limit", "1"]) == 0
    return json.loads(capsys.readouterr().out)[0]["params"]


def test_a_job_with_two_loras_in_three_phases(standin_with_models, picture, capsys, app_paths):
    url = standin_with_models.url
    for name in ("motion.safetensors", "style/ink.safetensors"):
        add_model_file(standin_with_models.root, "loras", name)
    code = main(["generate", str(picture), *SMALL, "--server", url,
                 "--lora", "motion.safetensors:1:0.5", "--lora", "style/ink.safetensors:0:0.8",
                 "--speed-lora-strength", "0.7:1", "--phases", "3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "High-noise pass: step 2/2" in err and "Low-noise pass: step 2/2" in err
    graph = _sent_graph(url)
    loras = sorted((n["inputs"]["lora_name"], n["inputs"]["strength_model"])
                   for n in graph.values() if n["class_type"] == "LoraLoaderModelOnly")
    assert loras == sorted([
        ("motion.safetensors", 1.0), ("motion.safetensors", 0.5), ("style/ink.safetensors", 0.8),
        ("wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors", 0.7),
        ("wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors", 1.0)])
    samplers = sorted((n["inputs"]["start_at_step"], n["inputs"]["cfg"]) for n in graph.values()
                      if n["class_type"] == "KSamplerAdvanced")
    assert samplers == [(0, 3.5), (2, 1), (4, 1)]
    params = _last_params(capsys)
    assert params["phases"] == 3 and params["phase1_steps"] == 2
    assert params["loras"] == [{"name": "motion.safetensors", "high": 1.0, "low": 0.5},
                               {"name": "style/ink.safetensors", "high": 0.0, "low": 0.8}]


def test_a_lora_the_server_lacks_fails_in_words(standin_with_models, picture, capsys):
    code = main(["generate", str(picture), *SMALL, "--server", standin_with_models.url,
                 "--lora", "missing.safetensors:1:1"])
    _, err = capsys.readouterr()
    assert code != 0
    assert "missing.safetensors" in err and "loras" in err


def test_a_gguf_job_by_format_uses_the_servers_pair(standin_with_models, picture, capsys):
    url = standin_with_models.url
    for name in Q4:
        add_model_file(standin_with_models.root, "diffusion_models", name)
    standin_with_models.extra_nodes.add("UnetLoaderGGUF")
    code = main(["generate", str(picture), *SMALL, "--server", url, "--model-format", "Q4_K_M"])
    _, err = capsys.readouterr()
    assert code == 0, err
    loaders = sorted(n["inputs"]["unet_name"] for n in _sent_graph(url).values()
                     if n["class_type"] == "UnetLoaderGGUF")
    assert loaders == sorted(Q4)
    params = _last_params(capsys)
    assert (params["models"]["unet_high"], params["models"]["unet_low"]) == Q4


def test_a_format_the_server_lacks_names_what_it_has(standin_with_models, picture, capsys):
    code = main(["generate", str(picture), *SMALL, "--server", standin_with_models.url,
                 "--model-format", "Q6_K"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "no Q6_K pair" in err and "it has: fp8" in err


def test_gguf_files_without_the_pack_are_refused_with_the_pack_named(standin_with_models,
                                                                    picture, capsys):
    for name in Q4:
        add_model_file(standin_with_models.root, "diffusion_models", name)
    code = main(["generate", str(picture), *SMALL, "--server", standin_with_models.url,
                 "--high-model", Q4[0], "--low-model", Q4[1]])
    _, err = capsys.readouterr()
    assert code != 0
    assert "UnetLoaderGGUF" in err and "ComfyUI-GGUF" in err


@pytest.mark.parametrize("args, words", [
    (["--lora", "motion.safetensors:x:y"], "NAME:HIGH:LOW"),
    (["--speed-lora-strength", "fast"], "HIGH:LOW"),
    (["--phases", "3", "--no-lora"], "needs the 4-step LoRA"),
    (["--phase1-steps", "1"], "only apply with --phases 3"),
    (["--model-format", "Q4_K_M", "--high-model", "a.gguf"], "cannot go with"),
])
def test_bad_model_arguments_are_refused_before_any_server_is_asked(picture, capsys, args,
                                                                     words):
    code = main(["generate", str(picture), *SMALL, "--server", "http://127.0.0.1:9", *args])
    _, err = capsys.readouterr()
    assert code == 2 and words in err
