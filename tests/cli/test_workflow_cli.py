"""`wan22 workflow`: convert, check, build and calc from the terminal."""

from __future__ import annotations

import json

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
    assert "81 frames at 16 fps = 5.00 s" in printed and "161 frames at 32 fps" in printed


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
