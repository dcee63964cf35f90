"""Built and imported graphs against the stand-in ComfyUI (0.3.64's validation rules) and its
full recorded `/object_info`."""

from __future__ import annotations

import requests

from tests.core.workflow_helpers import API_LORA, UI_TEMPLATE, load, template_prompt
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.graph import graph_diff
from wan22_gui.core.workflow.importer import apply_spec, import_workflow
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.core.workflow.validate import validate

TEMPLATE_IMAGE = "input-18.jpg"


def _post(url: str, graph: dict) -> requests.Response:
    return requests.post(f"{url}/prompt", json={"prompt": graph, "client_id": "wf-test"},
                         timeout=10)


def test_built_graphs_are_accepted_by_the_standin(standin_with_models):
    for use_lora in (True, False):
        spec = JobSpec(image="dragon.jpg", prompt=template_prompt(), use_lora=use_lora)
        graph = build_wan_i2v(spec, TEMPLATE_IMAGE).graph
        reply = _post(standin_with_models.url, graph)
        assert reply.status_code == 200, reply.text
        assert reply.json()["node_errors"] == {}


def test_our_validator_agrees_with_the_live_object_info(standin_with_models):
    info = requests.get(f"{standin_with_models.url}/object_info", timeout=10).json()
    graph = build_wan_i2v(JobSpec(image="x", seed=3), TEMPLATE_IMAGE).graph
    assert validate(graph, info) == []
    graph["95"]["inputs"]["unet_name"] = "not_downloaded.safetensors"
    ours = validate(graph, info)
    assert [(p.node_id, p.input_name) for p in ours] == [("95", "unet_name")]
    assert "models/diffusion_models/" in str(ours[0])
    assert _post(standin_with_models.url, graph).status_code == 400  # the server agrees


def test_imported_subgraph_workflow_is_accepted(standin_with_models):
    info = requests.get(f"{standin_with_models.url}/object_info", timeout=10).json()
    imported = import_workflow(load("wan22_i2v_subgraph.ui.json"), info)
    graph = apply_spec(imported, JobSpec(image="x", prompt="a dragon turns"), TEMPLATE_IMAGE,
                       seed=11)
    assert validate(graph, info) == []
    reply = _post(standin_with_models.url, graph)
    assert reply.status_code == 200, reply.text
    assert reply.json()["node_errors"] == {}


def test_ui_template_converts_the_same_with_the_full_recorded_object_info(comfy_object_info):
    imported = import_workflow(load(UI_TEMPLATE), comfy_object_info)
    assert graph_diff(imported.graph, load(API_LORA)) == []


def test_sage_attention_graph_needs_kjnodes_and_says_so(standin_with_models):
    url = standin_with_models.url
    graph = build_wan_i2v(JobSpec(image="x", sage_attention=True), TEMPLATE_IMAGE).graph
    info = requests.get(f"{url}/object_info", timeout=10).json()
    problems = validate(graph, info)
    assert {p.node_id for p in problems} == {"116", "117"}
    assert "ComfyUI-KJNodes" in problems[0].fix
    assert _post(url, graph).status_code == 400
    standin_with_models.extra_nodes.add("PathchSageAttentionKJ")
    info = requests.get(f"{url}/object_info", timeout=10).json()
    assert validate(graph, info) == []
    reply = _post(url, graph)
    assert reply.status_code == 200 and reply.json()["node_errors"] == {}
