"""ComfyUI's refusals (400 bodies) and failures become messages that say what to do."""

from __future__ import annotations

import copy
import json

import pytest

from tests.core import comfy_transcripts as tr
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.problems import (
    describe_execution_error, model_folder, problems_from_node_errors, provider_of,
    rejection_from_response,
)
from wan22_gui.core.base.errors import PromptRejected


def _rejections(name: str) -> list[tuple[dict, dict]]:
    return [(e["request_json"].get("prompt") or {}, e["response_json"])
            for e in tr.http(name, "POST", "/prompt") if e["status"] == 400]


def _wan_rejection() -> tuple[dict, dict]:
    return _rejections("10_validation_wan_template_without_models.json")[0]


def test_every_recorded_400_gives_at_least_one_readable_problem():
    bodies = _rejections("08_validation_failures.json") + \
        _rejections("10_validation_wan_template_without_models.json")
    assert len(bodies) == 11
    for graph, body in bodies:
        rejected = rejection_from_response(body, graph)
        assert isinstance(rejected, PromptRejected)
        assert rejected.problems
        for problem in rejected.problems:
            text = str(problem)
            assert text.endswith(".") and "\n" not in text
            assert "{" not in text  # no raw JSON or dict dumps


def test_missing_models_name_the_file_and_its_folder():
    graph, body = _wan_rejection()
    problems = rejection_from_response(body, graph).problems
    by_node = {p.node_id: p for p in problems}
    assert sorted(by_node, key=int) == ["84", "90", "95", "96", "97", "101", "102"]
    unet = by_node["95"]
    assert unet.class_type == "UNETLoader" and unet.input_name == "unet_name"
    assert unet.received_value == "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors"
    assert "models/diffusion_models/" in unet.message and "models/unet/" in unet.message
    assert unet.fix.startswith("Download it")
    assert "models/loras/" in str(by_node["101"])
    assert "models/vae/" in str(by_node["90"])
    assert "models/text_encoders/" in str(by_node["84"])
    assert "umt5_xxl_fp8_e4m3fn_scaled.safetensors" in str(by_node["84"])


def test_problems_are_sorted_by_node_and_name_the_title_from_meta():
    graph, body = _wan_rejection()
    graph = copy.deepcopy(graph)
    graph["95"]["_meta"] = {"title": "Load Diffusion Model (high noise)"}
    problems = rejection_from_response(body, graph).problems
    assert [p.node_id for p in problems] == ["84", "90", "95", "96", "97", "101", "102"]
    text = str(problems[2])
    assert text.startswith("Node 'Load Diffusion Model (high noise)' (#95, UNETLoader), "
                           "input 'unet_name': the file "
                           "'wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors' is not in")


def test_load_image_that_is_not_on_the_server_says_upload_first():
    graph, body = _wan_rejection()
    problem = [p for p in rejection_from_response(body, graph).problems if p.node_id == "97"][0]
    assert problem.received_value == "input-18.jpg"
    assert "input-18.jpg" in problem.message
    assert "Upload the image first" in problem.fix


def _by_type(kind: str) -> tuple[dict, dict]:
    for graph, body in _rejections("08_validation_failures.json"):
        if json.dumps(body).find(f'"{kind}"') >= 0:
            return graph, body
    raise AssertionError(kind)


def test_unknown_node_class_names_it_and_what_to_install():
    graph, body = _by_type("invalid_prompt")
    problem = rejection_from_response(body, graph).problems[0]
    assert problem.node_id == "1" and problem.class_type == "NoSuchNodeClass"
    assert "NoSuchNodeClass" in str(problem)
    assert "custom node pack" in problem.fix


@pytest.mark.parametrize("class_type, expected", [
    ("RIFE VFI", "ComfyUI-Frame-Interpolation (by Fannovel16)"),
    ("FILM VFI", "ComfyUI-Frame-Interpolation (by Fannovel16)"),
    ("PathchSageAttentionKJ", "ComfyUI-KJNodes (by kijai)"),
    ("PatchFlashAttentionKJ", "ComfyUI-KJNodes (by kijai)"),
    ("VHS_VideoCombine", "ComfyUI-VideoHelperSuite (by Kosinkadink)"),
    ("FrameInterpolate", "update ComfyUI to 0.19.3 or newer"),
    ("FrameInterpolationModelLoader", "update ComfyUI to 0.19.3 or newer"),
    ("ComfySwitchNode", "update ComfyUI to 0.13.0 or newer"),
    ("ComfyMathExpression", "update ComfyUI to 0.38.1 or newer"),
])
def test_unknown_class_from_a_known_pack_is_named(class_type, expected):
    body = {"error": {"type": "invalid_prompt",
                      "message": f"Cannot execute because node {class_type} does not exist.",
                      "details": "Node ID '#7'", "extra_info": {}}, "node_errors": {}}
    graph = {"7": {"class_type": class_type, "inputs": {}, "_meta": {"title": "Interpolate"}}}
    problem = rejection_from_response(body, graph).problems[0]
    assert expected in problem.fix
    assert str(problem).startswith(f"Node 'Interpolate' (#7, {class_type})")
    assert expected in provider_of(class_type)


def test_out_of_range_value_gives_the_allowed_range():
    graph, body = _by_type("value_bigger_than_max")
    problems = rejection_from_response(body, graph).problems
    width = [p for p in problems if p.input_name == "width"][0]
    assert width.received_value == 99999
    assert width.fix == "The allowed range is 0 to 16384."
    method = [p for p in problems if p.input_name == "upscale_method"][0]
    assert "'super-resolution'" in method.message and "'lanczos'" in method.fix
    amount = [p for p in problems if p.input_name == "amount"][0]
    assert "not a valid INT" in amount.message


def test_missing_input_and_type_mismatch_and_bad_link():
    _, body = _by_type("required_input_missing")
    missing = rejection_from_response(body).problems[0]
    assert missing.input_name == "fps" and "missing" in missing.message
    _, body = _by_type("return_type_mismatch")
    mismatch = rejection_from_response(body).problems[0]
    assert "MASK" in mismatch.message and "#1" in mismatch.message
    _, body = _by_type("bad_linked_input")
    assert "malformed" in rejection_from_response(body).problems[0].message


def test_workflow_level_errors():
    _, body = _by_type("prompt_no_outputs")
    problem = rejection_from_response(body).problems[0]
    assert str(problem).startswith("The workflow: ")
    assert "SaveVideo" in problem.fix
    missing_class = [b for _, b in _rejections("08_validation_failures.json")
                     if "missing the class_type" in b["error"]["message"]][0]
    assert "export it again" in rejection_from_response(missing_class).problems[0].fix


def test_a_200_with_node_errors_lists_the_skipped_outputs():
    accepted = [e for e in tr.http("08_validation_failures.json", "POST", "/prompt")
                if e["status"] == 200][0]
    problems = problems_from_node_errors(accepted["response_json"]["node_errors"],
                                         accepted["request_json"]["prompt"])
    assert [(p.node_id, p.class_type, p.input_name) for p in problems] == \
        [("9", "SaveImage", "images")]


@pytest.mark.parametrize("body", [None, "Internal Server Error", [1, 2], {"error": "x"}, {}])
def test_a_400_without_the_expected_body_still_gives_a_message(body):
    rejected = rejection_from_response(body, {})
    assert "ComfyUI refused the workflow" in rejected.user_text()


def test_model_folder_map():
    assert model_folder("UNETLoader", "unet_name") == "diffusion_models"
    assert model_folder("CLIPVisionLoader", "clip_name") == "clip_vision"
    assert model_folder("CheckpointLoaderSimple", "ckpt_name") == "checkpoints"
    assert model_folder("RIFE VFI", "ckpt_name") is None  # built-in list, downloaded on use
    assert model_folder("KSampler", "sampler_name") is None


def test_rife_checkpoint_not_in_list_suggests_the_allowed_values():
    err = {"type": "value_not_in_list", "message": "Value not in list", "details": "",
           "extra_info": {"input_name": "ckpt_name", "received_value": "rife99.pth",
                          "input_config": [["rife47.pth", "rife49.pth"], {}]}}
    problem = problems_from_node_errors(
        {"3": {"errors": [err], "class_type": "RIFE VFI"}}, {})[0]
    assert "models/" not in str(problem)
    assert "'rife49.pth'" in problem.fix


def _execution_error(name: str) -> ev.ExecutionError:
    message = [m for m in tr.ws_messages(name) if m["type"] == "execution_error"][0]
    return ev.parse_text(json.dumps(message))


def test_oom_description_names_the_node_and_what_to_try():
    text = describe_execution_error(_execution_error("13_execution_error_oom_simulated.json"))
    assert text.startswith("The GPU ran out of memory in HarnessRaiseOOM (#2).")
    assert "fewer frames" in text


def test_node_failure_description_is_one_line_with_advice():
    error = _execution_error("12_execution_error_wan_dummy_models.json")
    graph = {"90": {"_meta": {"title": "Load VAE"}}}
    text = describe_execution_error(error, graph)
    assert text.startswith("ComfyUI failed in 'Load VAE' (VAELoader #90): SafetensorError: "
                           "Error while deserializing header: header too small")
    assert "download it again" in text
    assert "Traceback" not in text


def _rejected(node_id, class_type, error, graph=None):
    from wan22_gui.core.comfy.problems import rejection_from_response

    body = {"error": {"type": "prompt_outputs_failed_validation",
                      "message": "Prompt outputs failed validation", "details": "",
                      "extra_info": {}},
            "node_errors": {node_id: {"errors": [error], "dependent_outputs": ["9"],
                                      "class_type": class_type}}}
    return rejection_from_response(body, graph or {}).problems


def test_a_dependency_cycle_is_called_a_loop():
    [problem] = _rejected("4", "CreateVideo", {
        "type": "dependency_cycle", "message": "Dependency cycle detected",
        "details": "4 (CreateVideo) -> 5 (VAEDecode) -> 4 (CreateVideo)",
        "extra_info": {"node_id": "4", "cycle_nodes": ["4", "5"]}})
    assert "part of a loop (4 (CreateVideo) -> 5 (VAEDecode)" in str(problem)
    assert "Remove one of the links" in str(problem)


def test_a_recursion_error_of_an_older_comfyui_says_the_workflow_loops():
    [problem] = _rejected("4", "CreateVideo", {
        "type": "exception_during_validation", "message": "Exception when validating node",
        "details": "maximum recursion depth exceeded",
        "extra_info": {"exception_type": "RecursionError"}})
    assert "loops back on itself" in str(problem) and "custom node" not in str(problem)


def test_a_missing_file_without_received_value_is_still_named():
    [problem] = _rejected("95", "UNETLoader", {
        "type": "value_not_in_list", "message": "Value not in list",
        "details": "unet_name: 'wan2.2_high.safetensors' not in (list of length 25)",
        "extra_info": {"input_name": "unet_name", "input_config": None}})
    assert "'wan2.2_high.safetensors' is not in ComfyUI's models/diffusion_models/" \
        in str(problem)


def test_missing_node_type_of_newer_comfyui_names_the_class():
    from wan22_gui.core.comfy.problems import rejection_from_response

    body = {"error": {"type": "missing_node_type",
                      "message": "Node 'Sage' not found. The custom node may not be installed.",
                      "details": "Node ID '#116'",
                      "extra_info": {"node_id": "116", "class_type": "PathchSageAttentionKJ",
                                     "node_title": "Sage"}},
            "node_errors": {}}
    [problem] = rejection_from_response(body, {}).problems
    assert "no node type 'PathchSageAttentionKJ'" in str(problem)
    assert "ComfyUI-KJNodes" in str(problem)


def test_a_damaged_model_file_names_the_file_and_folder():
    from wan22_gui.core.comfy.events import ExecutionError
    from wan22_gui.core.comfy.problems import describe_execution_error

    error = ExecutionError.from_data({
        "prompt_id": "p", "node_id": "90", "node_type": "VAELoader",
        "exception_type": "safetensors._safetensors_rust.SafetensorError",
        "exception_message": "Error while deserializing header: header too small\n",
        "current_inputs": {"vae_name": ["wan_2.1_vae.safetensors"]}})
    text = describe_execution_error(error)
    assert "'wan_2.1_vae.safetensors' in ComfyUI's models/vae/" in text


@pytest.mark.parametrize("class_type", ["ComfySwitchNode", "ComfyMathExpression"])
def test_newer_core_nodes_get_update_advice_with_the_servers_version(class_type):
    advice = provider_of(class_type, "0.3.64")
    assert advice.startswith("update ComfyUI to ") and "(you have 0.3.64)" in advice
    assert "custom node pack" not in advice
