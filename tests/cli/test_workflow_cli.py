"""`wan22 workflow`: convert, check, build and calc from the terminal."""

from __future__ import annotations

import json

import pytest

from tests.core.workflow_helpers import API_LORA, DATA, UI_TEMPLATE, load
from wan22_gui.cli.main import main
from wan22_gui.core.workflow.graph import graph_diff


def test_convert_writes_the_api_graph_and_lists_roles(tmp_path, capsys):
    out = tmp_path / "api.json"
    assert main(["workflow", "convert", str(DATA / UI_TEMPLATE), "-o", str(out)]) == 0
    assert graph_diff(json.loads(out.read_text(encoding="utf-8")), load(API_LORA)) == []
    printed = capsys.readouterr().out
    assert "UI format, 17 nodes" in printed and "sampler_high  #86 KSamplerAdvanced" in printed


def test_convert_of_a_broken_file_is_a_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    assert main(["workflow", "convert", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "Traceback" not in err


def test_check_against_the_standin(standin_with_models, tmp_path, capsys):
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(load(API_LORA)), encoding="utf-8")
    assert main(["workflow", "check", str(path), "--server", standin_with_models.url]) == 0
    assert "ready to queue" in capsys.readouterr().out
    graph = load(API_LORA)
    graph["98"]["inputs"]["length"] = 82
    path.write_text(json.dumps(graph), encoding="utf-8")
    assert main(["workflow", "check", str(path), "--server", standin_with_models.url]) == 1
    assert "Use 81 frames" in capsys.readouterr().out


def test_check_with_no_server_says_so(tmp_path, capsys):
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(load(API_LORA)), encoding="utf-8")
    assert main(["workflow", "check", str(path), "--server", "http://127.0.0.1:9"]) == 3
    assert capsys.readouterr().err.strip()


def test_build_and_calc(capsys):
    assert main(["workflow", "build", "--frames", "49", "--no-lora", "--seed", "5"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert graph["63"]["inputs"]["length"] == 49 and graph["57"]["inputs"]["noise_seed"] == 5
    assert main(["workflow", "calc", "--seconds", "5", "--interpolate", "2"]) == 0
    printed = capsys.readouterr().out
    assert "5.06 s (81 frames) at 16 fps" in printed
    assert "after ×2: 5.03 s (161 frames) at 32 fps" in printed


def test_check_names_newer_core_nodes_with_update_advice(standin_with_models, tmp_path, capsys):
    graph = load(API_LORA)
    graph["900"] = {"class_type": "ComfySwitchNode", "inputs": {"switch": True},
                    "_meta": {"title": "turbo?"}}
    graph["901"] = {"class_type": "ComfyMathExpression",
                    "inputs": {"expression": "a", "values.a": 5}, "_meta": {"title": "frames"}}
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(graph), encoding="utf-8")
    assert main(["workflow", "check", str(path), "--server", standin_with_models.url]) == 1
    out = capsys.readouterr().out
    assert "update ComfyUI to 0.13.0 or newer (you have 0.3.64)" in out
    assert "update ComfyUI to 0.38.1 or newer (you have 0.3.64)" in out
    assert "custom node pack" not in out


@pytest.mark.parametrize("comfy_profile", ["0.3.64", "0.38.1"])
def test_check_of_the_switch_template_on_both_eras(standin_with_models, comfy_profile, capsys):
    """The 2026 template's switches and math are worked out on import: the graph is ready on
    both servers, and the old one is told which version has those nodes."""
    path = DATA / "wan22_i2v_switch_subgraph.ui.json"
    code = main(["workflow", "check", str(path), "--server", standin_with_models.url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ready to queue" in out
    if comfy_profile == "0.3.64":
        assert "ComfySwitchNode (#129:153, #129:156, #129:159, #129:162, #129:163, #129:164) " \
               "is not on this ComfyUI" in out
        assert "update ComfyUI to 0.13.0 or newer (you have 0.3.64)" in out
        assert "ComfyMathExpression (#129:166)" in out and "0.38.1 or newer" in out
    else:
        assert "update ComfyUI" not in out
