"""The built graph is the official Wan 2.2 14B i2v template, node for node and input for input."""

from __future__ import annotations

import pytest

from tests.core.workflow_helpers import (
    API_BASE, API_LORA, SEED_BASE, SEED_LORA, load, template_prompt,
)
from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow.builder import SEED_MAX, build_wan_i2v
from wan22_gui.core.workflow.graph import graph_diff, structure_signature
from wan22_gui.core.workflow.spec import JobSpec, ModelFiles


def _default_spec(use_lora: bool, seed: int) -> JobSpec:
    return JobSpec(image="dragon.jpg", prompt=template_prompt(), seed=seed, use_lora=use_lora)


@pytest.mark.parametrize("use_lora,template,seed", [
    (True, API_LORA, SEED_LORA), (False, API_BASE, SEED_BASE),
])
def test_default_graph_equals_template(use_lora, template, seed):
    built = build_wan_i2v(_default_spec(use_lora, seed), "input-18.jpg")
    expected = load(template)
    assert graph_diff(built.graph, expected) == []
    # Same graph up to renumbering, too (what "ids aside" means).
    assert structure_signature(built.graph) == structure_signature(expected)


def test_structure_signature_notices_a_rewired_link():
    built = build_wan_i2v(_default_spec(True, SEED_LORA), "input-18.jpg").graph
    built["85"]["inputs"]["model"] = ["104", 0]  # pass 2 on the high-noise model
    assert structure_signature(built) != structure_signature(load(API_LORA))
    assert any("85" in line and "model" in line for line in graph_diff(built, load(API_LORA)))


def test_roles_name_the_nodes_the_runner_follows():
    built = build_wan_i2v(_default_spec(True, 1), "a.png")
    g, r = built.graph, built.roles
    assert g[r["sampler_high"]]["inputs"]["add_noise"] == "enable"
    assert g[r["sampler_low"]]["inputs"]["latent_image"] == [r["sampler_high"], 0]
    assert g[r["image"]]["inputs"]["image"] == "a.png"
    assert g[r["latent"]]["class_type"] == "WanImageToVideo"
    assert g[r["positive"]]["inputs"]["text"] == template_prompt()
    for role in ("text_encode", "unet_high", "unet_low", "vae_decode", "create_video", "save"):
        assert r[role] in g


def test_user_settings_reach_the_graph():
    spec = JobSpec(image="x.png", prompt="a cat turns", width=832, height=1216, frames=49,
                   fps=24, seed=7, steps=6, split_step=3, cfg=1.5, shift=6.5,
                   lora_strength_high=0.8, filename_prefix="video/cat_832x1216",
                   models=ModelFiles(unet_high="hi.safetensors"))
    b = build_wan_i2v(spec, "x.png")
    g, r = b.graph, b.roles
    assert (g[r["latent"]]["inputs"]["width"], g[r["latent"]]["inputs"]["height"],
            g[r["latent"]]["inputs"]["length"]) == (832, 1216, 49)
    high, low = g[r["sampler_high"]]["inputs"], g[r["sampler_low"]]["inputs"]
    assert (high["steps"], high["end_at_step"], low["start_at_step"], low["end_at_step"]) == \
        (6, 3, 3, 6)
    assert high["cfg"] == low["cfg"] == 1.5 and high["noise_seed"] == 7 and b.seed == 7
    assert g[r["shift_high"]]["inputs"]["shift"] == 6.5
    assert g[r["lora_high"]]["inputs"]["strength_model"] == 0.8
    assert g[r["unet_high"]]["inputs"]["unet_name"] == "hi.safetensors"
    assert g[r["create_video"]]["inputs"]["fps"] == 24
    assert g[r["save"]]["inputs"]["filename_prefix"] == "video/cat_832x1216"


def test_lora_toggle_switches_to_twenty_step_defaults():
    g = build_wan_i2v(JobSpec(image="x", use_lora=False, seed=1), "x.png").graph
    assert not [n for n in g.values() if n["class_type"] == "LoraLoaderModelOnly"]
    samplers = [n["inputs"] for n in g.values() if n["class_type"] == "KSamplerAdvanced"]
    assert {(s["steps"], s["cfg"]) for s in samplers} == {(20, 3.5)}


def test_random_seed_is_drawn_in_range_and_reported():
    seeds = {build_wan_i2v(JobSpec(image="x"), "x.png").seed for _ in range(5)}
    assert len(seeds) > 1 and all(0 <= s <= SEED_MAX for s in seeds)
    built = build_wan_i2v(JobSpec(image="x"), "x.png")
    assert built.graph[built.roles["sampler_high"]]["inputs"]["noise_seed"] == built.seed
    assert built.graph[built.roles["sampler_low"]]["inputs"]["noise_seed"] == 0


def test_sage_attention_patches_both_model_paths():
    b = build_wan_i2v(JobSpec(image="x", seed=1, sage_attention=True), "x.png")
    g, r = b.graph, b.roles
    for half in ("high", "low"):
        sage = g[r[f"sage_{half}"]]
        assert sage["class_type"] == "PathchSageAttentionKJ"
        assert sage["inputs"]["model"] == [r[f"lora_{half}"], 0]
        assert g[r[f"shift_{half}"]]["inputs"]["model"] == [r[f"sage_{half}"], 0]
    plain = build_wan_i2v(JobSpec(image="x", seed=1), "x.png").graph
    assert "PathchSageAttentionKJ" not in {n["class_type"] for n in plain.values()}


@pytest.mark.parametrize("changes,words", [
    ({"frames": 80}, "4n+1"),
    ({"width": 650}, "multiple of 16"),
    ({"split_step": 9}, "split step"),
    ({"seed": -1}, "seed"),
])
def test_impossible_settings_are_refused_with_the_reason(changes, words):
    with pytest.raises(WorkflowError) as err:
        build_wan_i2v(JobSpec(image="x", **changes), "x.png")
    assert words in str(err.value)


def test_spec_survives_a_json_round_trip_and_rejects_garbage():
    spec = JobSpec(image="x.png", seed=2**64 - 1, use_lora=False, cfg=None,
                   models=ModelFiles(vae="v.safetensors"))
    assert JobSpec.from_dict(spec.to_dict()) == spec
    assert JobSpec.from_dict({**spec.to_dict(), "added_by_a_newer_app": 1}) == spec
    from wan22_gui.core.base.errors import InputError
    with pytest.raises(InputError, match="width"):
        JobSpec.from_dict({"width": "wide"})
    with pytest.raises(InputError):
        JobSpec.from_dict(["not", "a", "dict"])
    assert spec.resolved().steps == 20 and spec.resolved().cfg == 3.5
