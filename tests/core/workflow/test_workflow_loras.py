"""The user's LoRAs, the speed LoRA's strengths and the 3-phase split: spec, graph, and the
stand-in's verdict on the built graph."""

from __future__ import annotations

import json

import pytest
import requests

from tests.fakes.comfy_standin import add_model_file
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.graph import consumers
from wan22_gui.core.workflow.loras import LoraUse, parse_lora
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.core.workflow.validate import validate

IMAGE = "input-18.jpg"
MOTION = LoraUse("wan22_motion.safetensors", 1.0, 0.5)
DETAIL = LoraUse("styles/detail.safetensors", 0.0, 0.8)  # low-noise expert only


@pytest.mark.parametrize("text, expected", [
    ("motion.safetensors:1:0.5", LoraUse("motion.safetensors", 1.0, 0.5)),
    ("motion.safetensors:0.7", LoraUse("motion.safetensors", 0.7, 0.7)),
    ("motion.safetensors", LoraUse("motion.safetensors", 1.0, 1.0)),
    ("C:sub:motion.safetensors:-0.5:2", LoraUse("C:sub:motion.safetensors", -0.5, 2.0)),
])
def test_lora_arguments_read_as_name_and_two_strengths(text, expected):
    assert parse_lora(text) == expected


@pytest.mark.parametrize("text", ["", ":1:0.5", "motion.safetensors:high:low"])
def test_a_malformed_lora_argument_is_refused_in_words(text):
    with pytest.raises(InputError, match="NAME:HIGH:LOW"):
        parse_lora(text)


def _lora_nodes(built, half):
    """(file, strength) of the LoRA chain feeding this expert's shift node, loader first."""
    graph = built.graph
    chain, node_id = [], graph[built.roles[f"shift_{half}"]]["inputs"]["model"][0]
    while graph[node_id]["class_type"] == "LoraLoaderModelOnly":
        inputs = graph[node_id]["inputs"]
        chain.insert(0, (inputs["lora_name"], inputs["strength_model"]))
        node_id = inputs["model"][0]
    return chain, graph[node_id]["class_type"]


def test_two_loras_chain_before_the_speed_lora_with_a_strength_per_expert():
    spec = JobSpec(image="x", loras=(MOTION, DETAIL), lora_strength_high=0.6)
    built = build_wan_i2v(spec, IMAGE)
    high, loader = _lora_nodes(built, "high")
    assert loader == "UNETLoader"
    assert high == [("wan22_motion.safetensors", 1.0),  # DETAIL is 0 there: no node
                    ("wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors", 0.6)]
    low, _ = _lora_nodes(built, "low")
    assert low == [("wan22_motion.safetensors", 0.5), ("styles/detail.safetensors", 0.8),
                   ("wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors", 1.0)]


def test_without_the_speed_lora_the_users_loras_still_load():
    built = build_wan_i2v(JobSpec(image="x", use_lora=False, loras=(MOTION,)), IMAGE)
    assert "lora_high" not in built.roles
    assert _lora_nodes(built, "high") == ([("wan22_motion.safetensors", 1.0)], "UNETLoader")
    assert _lora_nodes(built, "low") == ([("wan22_motion.safetensors", 0.5)], "UNETLoader")


def test_three_phases_run_the_first_steps_without_the_speed_lora_at_their_own_cfg():
    spec = JobSpec(image="x", phases=3, loras=(MOTION,), seed=5)
    built = build_wan_i2v(spec, IMAGE)
    graph, roles = built.graph, built.roles
    first, mid, last = (graph[roles[r]]["inputs"] for r in ("sampler_high", "sampler_mid",
                                                             "sampler_low"))
    assert [(p["start_at_step"], p["end_at_step"], p["cfg"]) for p in (first, mid, last)] == \
        [(0, 2, 3.5), (2, 4, 1), (4, 6, 1)]
    assert first["add_noise"] == "enable" and first["noise_seed"] == 5
    assert mid["add_noise"] == last["add_noise"] == "disable"
    assert mid["latent_image"] == [roles["sampler_high"], 0]
    assert last["latent_image"] == [roles["sampler_mid"], 0]
    # pass 1's model: the user's LoRA, no speed LoRA; pass 2's: both
    base_model = graph[first["model"][0]]["inputs"]["model"][0]
    assert graph[base_model]["inputs"]["lora_name"] == MOTION.name
    assert _lora_nodes(built, "high")[0][-1][0].startswith("wan2.2_i2v_lightx2v")
    assert consumers(graph, base_model) == [(roles["shift_base"], "model"),
                                            (roles["lora_high"], "model")]


def test_three_phase_settings_are_checked_before_a_graph_is_made():
    assert "needs the 4-step LoRA" in " ".join(JobSpec(phases=3, use_lora=False).problems())
    assert "first phase" in " ".join(JobSpec(phases=3, phase1_steps=4).problems())
    assert "2 or 3 phases" in " ".join(JobSpec(phases=4).problems())
    assert JobSpec(phases=3, steps=8, split_step=5, phase1_steps=3).problems() == []


def test_loras_and_phases_survive_the_history_round_trip():
    spec = JobSpec(image="x", phases=3, phase1_cfg=4.0, loras=(MOTION, DETAIL)).resolved()
    back = JobSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec and back.phase1() == (2, 4.0)
    with pytest.raises(InputError):
        JobSpec.from_dict({"loras": [{"name": "a", "high": "strong"}]})


def test_the_standin_accepts_a_job_with_two_loras_in_three_phases(standin_with_models):
    root = standin_with_models.root
    for lora in (MOTION, DETAIL):
        add_model_file(root, "loras", lora.name)
    url = standin_with_models.url
    graph = build_wan_i2v(JobSpec(image="x", phases=3, loras=(MOTION, DETAIL)), IMAGE).graph
    info = requests.get(f"{url}/object_info", timeout=10).json()
    assert validate(graph, info) == []
    reply = requests.post(f"{url}/prompt", json={"prompt": graph, "client_id": "lora-test"},
                          timeout=10)
    assert reply.status_code == 200, reply.text


def test_a_lora_the_server_lacks_is_named_with_its_folder(standin_with_models):
    info = requests.get(f"{standin_with_models.url}/object_info", timeout=10).json()
    graph = build_wan_i2v(JobSpec(image="x", loras=(MOTION,)), IMAGE).graph
    problems = validate(graph, info)
    assert {(p.node_id, p.input_name) for p in problems} == {("200", "lora_name"),
                                                             ("220", "lora_name")}
    assert "models/loras/" in str(problems[0])
