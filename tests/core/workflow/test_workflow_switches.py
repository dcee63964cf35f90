"""The 2026 template's switches and math: evaluated on import into plain inputs, so the graph
runs on servers without ComfySwitchNode / ComfyMathExpression and its roles are found."""

from __future__ import annotations

import pytest

from tests.core.workflow_helpers import load, object_info
from tests.fakes.comfy_standin.catalog import NEWER_CORE_DUMP, load_dump
from wan22_gui.core.workflow.evaluate import evaluate, evaluate_expression
from wan22_gui.core.workflow.importer import describe_import, import_workflow

SWITCH_TEMPLATE = "wan22_i2v_switch_subgraph.ui.json"


def _template(turbo: bool = True, seconds: float = 5.0) -> dict:
    ui = load(SWITCH_TEMPLATE)
    instance = next(n for n in ui["nodes"] if n["id"] == 129)
    instance["widgets_values"][3:5] = [seconds, turbo]
    return ui


def _by_class(graph: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for node in graph.values():
        out.setdefault(node["class_type"], []).append(node)
    return out


@pytest.mark.parametrize("turbo, steps, split, cfg, shift, loras", [
    (True, 4, 2, 1.0, 5.0, 2),
    (False, 20, 10, 3.5, 8.0, 0),
])
def test_turbo_switch_chooses_the_sampling_and_the_model_path(turbo, steps, split, cfg, shift,
                                                              loras):
    imported = import_workflow(_template(turbo), object_info())
    nodes = _by_class(imported.graph)
    assert not {"ComfySwitchNode", "ComfyMathExpression", "PrimitiveInt", "PrimitiveFloat",
                "PrimitiveBoolean"} & set(nodes)
    high, low = (imported.graph[imported.roles[r]]["inputs"] for r in ("sampler_high", "sampler_low"))
    assert (high["steps"], low["steps"], high["cfg"], low["cfg"]) == (steps, steps, cfg, cfg)
    assert (high["end_at_step"], low["start_at_step"]) == (split, split)
    assert {n["inputs"]["shift"] for n in nodes["ModelSamplingSD3"]} == {shift}
    assert len(nodes.get("LoraLoaderModelOnly", [])) == loras
    models = {tuple(n["inputs"]["model"]) for n in nodes["ModelSamplingSD3"]}
    feeding = {imported.graph[m[0]]["class_type"] for m in models}
    assert feeding == ({"LoraLoaderModelOnly"} if turbo else {"UNETLoader"})
    assert imported.missing_roles == [] if turbo else "lora_high" not in imported.roles
    assert set(imported.evaluated.values()) >= {"ComfySwitchNode", "ComfyMathExpression"}


def test_frame_count_is_computed_and_snapped_to_4n_plus_1_with_a_note():
    five = import_workflow(_template(seconds=5.0), object_info())
    assert five.graph[five.roles["latent"]]["inputs"]["length"] == 81 and five.notes == []
    odd = import_workflow(_template(seconds=3.2), object_info())  # floor(3.2*16+1) = 52
    length = odd.graph[odd.roles["latent"]]["inputs"]["length"]
    assert (length - 1) % 4 == 0 and abs(length - 52) <= 2
    assert odd.notes == [f"The workflow computes 52 frames (floor(a*b+1)); Wan 2.2 makes 4n+1 "
                         f"frames, so the app uses {length}."]


def test_report_for_an_old_server_names_the_newer_nodes_and_the_roles():
    old = load_dump()
    imported = import_workflow(_template(), old)
    report = describe_import(imported, old, comfyui_version="0.3.64")
    assert report.ready and report.missing_roles == ""
    roles = {role: kind for role, _, kind in report.roles}
    assert roles["sampler_high"] == "KSamplerAdvanced" and roles["latent"] == "WanImageToVideo"
    switch = next(n for n in report.notes if n.startswith("ComfySwitchNode"))
    assert "update ComfyUI to 0.13.0 or newer (you have 0.3.64)" in switch
    assert "runs here" in switch
    assert any(n.startswith("ComfyMathExpression") and "0.38.1 or newer" in n
               for n in report.notes)
    newer = {**old, **load_dump(NEWER_CORE_DUMP)}
    assert not [n for n in describe_import(import_workflow(_template(), newer), newer,
                                           comfyui_version="0.38.1").notes if "update" in n]


def test_what_cannot_be_worked_out_stays_with_a_note():
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}, "_meta": {"title": "x"}},
        "2": {"class_type": "ComfyMathExpression",
              "inputs": {"expression": "a + nope", "values.a": 1}, "_meta": {"title": "m"}},
        "3": {"class_type": "ComfySwitchNode",
              "inputs": {"switch": ["1", 0], "on_true": 1, "on_false": 2}, "_meta": {"title": "s"}},
        "4": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0], "n": ["2", 1],
                                                       "m": ["3", 0]}, "_meta": {"title": "p"}},
    }
    worked = evaluate(graph, object_info())
    assert set(worked.graph) == {"1", "2", "3", "4"} and worked.evaluated == {}
    assert worked.notes == ["Node #2 (ComfyMathExpression) 'a + nope' cannot be worked out: "
                            "'nope' is not one of its inputs."]


@pytest.mark.parametrize("expression, names, value", [
    ("floor(a*b+1)", {"a": 5.0, "b": 16}, 81),
    ("a/2", {"a": 1088}, 544.0),
    ("max(a, b) if c else 0", {"a": 1, "b": 3, "c": True}, 3),
    ("sum(values)", {"a": 1, "b": 2}, 3),
])
def test_expressions_follow_the_math_node(expression, names, value):
    assert evaluate_expression(expression, names) == value


def test_a_graph_without_switches_is_left_alone():
    graph = load("video_wan2_2_14B_i2v.api.from-0.1.95.json")
    assert evaluate(graph, object_info()).graph == graph
