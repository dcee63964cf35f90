"""The stand-in validates prompts like ComfyUI 0.3.64: same error types, messages and quirks."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import requests

from tests.fakes.comfy_standin import install_wan_models
from tests.fakes.comfy_standin.rawclient import wait_for_history
from tests.fakes.fixtures import TEMPLATE_IMAGE, add_input_image

TEMPLATES = Path(__file__).resolve().parents[1] / "workflow_data"
LORA_TEMPLATE = "video_wan2_2_14B_i2v.api.from-0.1.95.json"
BASE_TEMPLATE = "video_wan2_2_14B_i2v.api.from-0.1.95.fp8-20step-variant.json"


def _template(name: str) -> dict:
    return json.loads((TEMPLATES / name).read_text(encoding="utf-8"))


def _post(url: str, graph: dict, **body) -> requests.Response:
    return requests.post(url + "/prompt", json={"prompt": graph, **body}, timeout=10)


def _errors(reply: requests.Response, node_id: str) -> list[dict]:
    return reply.json()["node_errors"][node_id]["errors"]


@pytest.mark.parametrize("name", [LORA_TEMPLATE, BASE_TEMPLATE])
def test_official_templates_validate_once_the_model_files_exist(standin, name):
    graph = _template(name)
    missing = _post(standin.url, graph)
    assert missing.status_code == 400
    assert missing.json()["error"]["type"] == "prompt_outputs_failed_validation"
    install_wan_models(standin.root)
    add_input_image(standin.root, TEMPLATE_IMAGE)
    reply = _post(standin.url, graph)
    assert reply.status_code == 200, reply.text
    assert reply.json()["node_errors"] == {}


def test_model_combos_list_the_files_on_disk(standin):
    def unets() -> list[str]:
        info = requests.get(standin.url + "/object_info/UNETLoader", timeout=10).json()
        return info["UNETLoader"]["input"]["required"]["unet_name"][0]

    assert unets() == []
    standin.models.add("diffusion_models", "b.safetensors")
    (standin.root / "models" / "unet").mkdir(parents=True, exist_ok=True)
    (standin.root / "models" / "unet" / "a.gguf").write_bytes(b"")  # extension not accepted
    (standin.root / "models" / "unet" / "a.safetensors").write_bytes(b"")
    assert unets() == ["a.safetensors", "b.safetensors"]
    assert requests.get(standin.url + "/models/diffusion_models", timeout=10).json() == unets()
    vae = requests.get(standin.url + "/object_info/VAELoader", timeout=10).json()
    assert vae["VAELoader"]["input"]["required"]["vae_name"][0] == ["pixel_space"]


def test_more_than_twenty_options_are_summarised(standin_with_models):
    graph = _template(LORA_TEMPLATE)
    graph["86"]["inputs"]["sampler_name"] = "warp_drive"
    graph["86"]["inputs"]["steps"] = 0
    reply = _post(standin_with_models.url, graph)
    assert reply.status_code == 400
    by_type = {e["type"]: e for e in _errors(reply, "86")}
    assert by_type["value_not_in_list"]["details"].endswith("not in (list of length 42)")
    assert by_type["value_not_in_list"]["extra_info"]["input_config"] is None
    assert by_type["value_smaller_than_min"]["message"] == "Value 0 smaller than min of 1"
    assert reply.json()["node_errors"]["86"]["dependent_outputs"] == ["108"]


def test_step_and_v3_combos_are_not_checked(standin_with_models):
    graph = _template(LORA_TEMPLATE)
    graph["98"]["inputs"].update(length=82, width=650)  # not 4n+1, not a multiple of 16
    graph["108"]["inputs"]["format"] = "gif"  # V3 COMBO: 0.3.64 does not check membership
    graph["98"]["inputs"]["no_such_input"] = 1  # undeclared inputs are dropped silently
    reply = _post(standin_with_models.url, graph)
    assert reply.status_code == 200, reply.text


def test_values_come_back_normalised_in_the_queue(standin_with_models):
    graph = _template(LORA_TEMPLATE)
    graph["94"]["inputs"]["fps"] = 16
    graph["98"]["inputs"]["length"] = "81"
    standin_with_models.faults.step_seconds = 0.5  # keep it queued while we look
    first = _post(standin_with_models.url, graph).json()["prompt_id"]
    second = _post(standin_with_models.url, copy.deepcopy(graph)).json()["prompt_id"]
    queue = requests.get(standin_with_models.url + "/queue", timeout=10).json()
    pending = {item[1]: item for item in queue["queue_pending"]}
    assert first in {item[1] for item in queue["queue_running"]} | set(pending)
    item = pending[second]
    assert item[2]["94"]["inputs"]["fps"] == 16.0 and isinstance(item[2]["94"]["inputs"]["fps"], float)
    assert item[2]["98"]["inputs"]["length"] == 81
    assert item[4] == ["108"]
    requests.post(standin_with_models.url + "/queue", json={"clear": True}, timeout=10)
    requests.post(standin_with_models.url + "/interrupt", json={}, timeout=10)


def test_load_image_of_a_missing_file_and_a_bad_link(standin):
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "nowhere.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["1"], "filename_prefix": "y"}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["77", 0], "filename_prefix": "z"}},
    }
    reply = _post(standin.url, graph)
    assert reply.status_code == 400
    errors = reply.json()["node_errors"]
    assert errors["1"]["errors"] == [{
        "type": "custom_validation_failed", "message": "Custom validation failed for node",
        "details": "image - Invalid image file: nowhere.png", "extra_info": {"input_name": "image"}}]
    assert errors["3"]["errors"][0]["type"] == "bad_linked_input"
    assert errors["4"]["errors"][0]["type"] == "exception_during_validation"
    assert errors["4"]["errors"][0]["details"] == "'77'"
    # The real loop appends every failing output to every node with errors so far.
    assert set(errors["1"]["dependent_outputs"]) >= {"2"}


def test_partial_success_queues_the_valid_output(standin):
    add_input_image(standin.root, "ok.png", (32, 32))
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "ok.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "fine"}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "broken"}},
    }
    reply = _post(standin.url, graph)
    assert reply.status_code == 200
    assert list(reply.json()["node_errors"]) == ["9"]
    entry = wait_for_history(standin.url, reply.json()["prompt_id"])
    assert entry["prompt"][4] == ["2"] and entry["status"]["completed"]


def test_top_level_errors(standin):
    assert _post(standin.url, {"1": {"class_type": "Nope", "inputs": {}}}).json()["error"]["message"] == \
        "Cannot execute because node Nope does not exist."
    no_outputs = _post(standin.url, {"1": {"class_type": "EmptyImage", "inputs": {}}})
    assert no_outputs.json()["error"]["type"] == "prompt_no_outputs"
    no_prompt = requests.post(standin.url + "/prompt", json={"client_id": "x"}, timeout=10)
    assert no_prompt.status_code == 400 and no_prompt.json()["error"]["type"] == "no_prompt"


def test_custom_nodes_exist_only_when_enabled(standin):
    assert requests.get(standin.url + "/object_info/RIFE VFI", timeout=10).json() == {}
    standin.extra_nodes.add("RIFE VFI")
    info = requests.get(standin.url + "/object_info/RIFE VFI", timeout=10).json()
    assert info["RIFE VFI"]["display_name"] == "RIFE VFI (recommend rife4.25+)"
    assert "RIFE VFI" in requests.get(standin.url + "/object_info", timeout=10).json()
    with pytest.raises(KeyError, match="not in the recorded custom-node dump"):
        standin.extra_nodes.add("Imaginary VFI")
