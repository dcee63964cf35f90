"""Validation before queueing: unknown classes with their pack, missing model files with their
folder, broken links, wrong types, and the Wan rules ComfyUI itself does not check."""

from __future__ import annotations

import pytest

from tests.core.workflow_helpers import object_info
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec, ModelFiles
from wan22_gui.core.workflow.validate import missing_model_files, validate

MODEL_INPUTS = {("UNETLoader", "unet_name"), ("LoraLoaderModelOnly", "lora_name"),
                ("CLIPLoader", "clip_name"), ("VAELoader", "vae_name")}


def _server_with_models(files: ModelFiles = ModelFiles()) -> dict:
    """object_info of a server that has the default model files installed."""
    info = object_info()
    names = [files.unet_high, files.unet_low, files.lora_high, files.lora_low,
             files.text_encoder, files.vae]
    for class_type, name in MODEL_INPUTS:
        info[class_type]["input"]["required"][name][0] = list(names)
    return info


def _built(**changes) -> dict:
    return build_wan_i2v(JobSpec(image="x", seed=1, **changes), "x.png").graph


def _messages(problems) -> str:
    return "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("changes", [{}, {"use_lora": False}, {"sage_attention": True}])
def test_built_graph_passes_on_a_server_with_the_models(changes):
    assert validate(_built(**changes), _server_with_models()) == []


def test_missing_model_files_name_the_file_and_the_models_folder():
    problems = validate(_built(), object_info())  # a server with no model files at all
    text = _messages(problems)
    assert len(problems) == 6
    assert "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors" in text
    assert "models/diffusion_models/" in text and "models/loras/" in text
    assert "models/text_encoders/" in text and "models/vae/" in text
    assert all(p.node_title and p.fix.startswith("Download") for p in problems)
    vae = next(p for p in problems if p.input_name == "vae_name")
    assert "split_files/vae/wan_2.1_vae.safetensors" in vae.fix  # where to get it
    assert ("wan_2.1_vae.safetensors", "vae") in missing_model_files(_built(), object_info())


@pytest.mark.parametrize("class_type,pack", [
    ("PathchSageAttentionKJ", "ComfyUI-KJNodes"),
    ("RIFE VFI", "ComfyUI-Frame-Interpolation"),
    ("FILM VFI", "ComfyUI-Frame-Interpolation"),
    ("VHS_VideoCombine", "ComfyUI-VideoHelperSuite"),
    ("FrameInterpolate", "update ComfyUI to 0.19.3 or newer"),
    ("ComfySwitchNode", "update ComfyUI to 0.13.0 or newer"),
])
def test_unknown_node_classes_name_what_to_install(class_type, pack):
    info = _server_with_models()
    info.pop(class_type, None)
    graph = _built()
    graph["500"] = {"class_type": class_type, "inputs": {"frames": ["87", 0]},
                    "_meta": {"title": "Extra"}}
    problems = validate(graph, info)
    assert len(problems) == 1 and problems[0].node_id == "500"
    assert class_type in str(problems[0]) and pack in str(problems[0])


def test_sage_attention_without_kjnodes_is_reported_on_both_paths():
    info = _server_with_models()
    del info["PathchSageAttentionKJ"]
    problems = validate(_built(sage_attention=True), info)
    assert [p.node_id for p in problems] == ["116", "117"]
    assert "ComfyUI-KJNodes" in problems[0].fix


def test_broken_links_and_wrong_types_are_reported():
    graph = _built()
    graph["98"]["inputs"]["start_image"] = ["97", 1]  # MASK into IMAGE
    graph["87"]["inputs"]["vae"] = ["404", 0]  # a node that is not there
    graph["94"]["inputs"]["images"] = ["87", 3]  # VAEDecode has one output
    del graph["93"]["inputs"]["clip"]
    text = _messages(validate(graph, _server_with_models()))
    assert "expects IMAGE but is connected to a MASK output of 'Load Image'" in text
    assert "node #404, which is not in the workflow" in text
    assert "output 3 of 'VAE Decode', which has only 1 outputs" in text
    assert "input 'clip': a required input is missing" in text


@pytest.mark.parametrize("node,name,value,words", [
    ("98", "length", 82, "Use 81 frames"),
    ("98", "width", 650, "Use 656"),
    ("98", "height", 600, "Use 608"),
    ("86", "cfg", 500, "range is 0.0 to 100.0"),
    ("86", "steps", "four", "not a valid INT"),
    ("86", "sampler_name", "eulerish", "not one of the allowed values"),
    ("86", "end_at_step", 4, "outside 1..3 of 4 steps"),
    ("85", "start_at_step", 3, "second pass starts at step 3 but the first stops at 2"),
    ("85", "start_at_step", 4, "runs no steps"),
])
def test_values_comfyui_would_refuse_or_get_wrong(node, name, value, words):
    graph = _built()
    graph[node]["inputs"][name] = value
    problems = validate(graph, _server_with_models())
    assert words in _messages(problems)
    assert all(p.node_id == node for p in problems if p.input_name == name)


def test_graph_without_output_and_empty_graph():
    graph = _built()
    del graph["108"]
    assert "no output node" in _messages(validate(graph, _server_with_models()))
    assert "empty" in _messages(validate({}, _server_with_models()))
    assert "class_type" in _messages(validate({"1": {"inputs": {}}}, _server_with_models()))


def test_a_loop_is_a_problem_naming_node_class_and_input(comfy_object_info):
    """`workflow check` used to call a cyclic graph ready to queue."""
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec
    from wan22_gui.core.workflow.validate import structure_problems, validate

    graph = build_wan_i2v(JobSpec(image="x.png"), "x.png").graph
    graph["86"]["inputs"]["latent_image"] = ["85", 0]  # pass 1 now waits for pass 2
    loops = [p for p in validate(graph, comfy_object_info) if "loop" in p.message]
    assert len(loops) == 1 and loops == [p for p in structure_problems(graph)]
    text = str(loops[0])
    assert loops[0].class_type == "KSamplerAdvanced" and loops[0].input_name
    assert "#85" in text and "#86" in text and "Remove one of the links" in text


def test_a_long_chain_is_checked_without_hitting_the_recursion_limit():
    from wan22_gui.core.workflow.validate import structure_problems

    graph = {str(i): {"class_type": "Pass", "inputs": {"x": [str(i - 1), 0]} if i else {}}
             for i in range(5000)}
    assert structure_problems(graph) == []
    graph["0"]["inputs"] = {"x": ["4999", 0]}
    [loop] = structure_problems(graph)
    assert "closes a loop" in loop.message


def test_a_number_that_is_not_finite_is_refused(comfy_object_info):
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec
    from wan22_gui.core.workflow.validate import validate

    graph = build_wan_i2v(JobSpec(image="x.png"), "x.png").graph
    graph["101"]["inputs"]["strength_model"] = float("nan")
    assert any("not a finite number" in p.message for p in validate(graph, comfy_object_info))
