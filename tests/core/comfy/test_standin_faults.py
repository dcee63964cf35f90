"""Scripted faults make the stand-in fail the way a real ComfyUI does."""

from __future__ import annotations

import json
import time

import pytest
import requests
import websocket

from tests.core.comfy.test_standin_execution import wan_graph
from tests.fakes.comfy_standin import Faults
from tests.fakes.comfy_standin.process import StandinProcess
from tests.fakes.comfy_standin.rawclient import RawClient, types, wait_for_history
from tests.fakes.fixtures import add_input_image

TIPS = ("This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before "
        "you might have accidentally set the batch_size to a large number.")


def _error(messages: list) -> dict:
    return next(m["data"] for m in messages if isinstance(m, dict) and m["type"] == "execution_error")


def test_oom_at_a_class_reports_torch_oom_with_tips(standin_with_models):
    standin_with_models.faults.oom_at_node = "KSamplerAdvanced"
    with RawClient(standin_with_models.url) as client:
        prompt_id, messages = client.run(wan_graph())
    assert types(messages)[-3:] == ["execution_error", "status", "executing"]
    error = _error(messages)
    assert (error["node_id"], error["node_type"]) == ("86", "KSamplerAdvanced")
    assert error["exception_type"] == "torch.OutOfMemoryError"
    assert error["exception_message"].startswith("CUDA out of memory.") and error["exception_message"].endswith(TIPS)
    assert set(error) == {"prompt_id", "node_id", "node_type", "executed", "exception_message",
                          "exception_type", "traceback", "current_inputs", "current_outputs", "timestamp"}
    assert "98" in error["executed"] and all(isinstance(line, str) for line in error["traceback"])
    assert error["current_inputs"]["steps"] == [4]
    entry = client.history(prompt_id)
    assert entry["status"]["status_str"] == "error" and entry["status"]["messages"][-1][0] == "execution_error"
    assert "Got an OOM, unloading all loaded models." in standin_with_models.console.lines


def test_error_at_a_node_id_uses_the_scripted_exception(standin_with_models):
    standin_with_models.faults.update(error_at_node="90", error_type="safetensors.SafetensorError",
                                      error_message="header too small")
    with RawClient(standin_with_models.url) as client:
        _, messages = client.run(wan_graph())
    error = _error(messages)
    assert (error["node_id"], error["exception_type"]) == ("90", "safetensors.SafetensorError")
    assert error["exception_message"] == "header too small\n"
    assert "!!! Exception during processing !!! header too small" in standin_with_models.console.lines


@pytest.mark.parametrize("length, outcome", [(49, "execution_success"), (53, "execution_error")])
def test_oom_above_frames_lets_a_search_find_the_limit(standin_with_models, length, outcome):
    standin_with_models.faults.oom_above_frames = 49
    with RawClient(standin_with_models.url) as client:
        _, messages = client.run(wan_graph(length=length))
    assert outcome in types(messages)
    if outcome == "execution_error":
        assert _error(messages)["node_type"] == "KSamplerAdvanced"


def test_die_mid_job_takes_the_in_process_server_down(standin_with_models):
    standin_with_models.faults.update(die_mid_job=True, step_seconds=0.05)
    client = RawClient(standin_with_models.url)
    client.queue(wan_graph())
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        while True:
            client.ws.recv()
    with pytest.raises(requests.ConnectionError):
        requests.get(standin_with_models.url + "/queue", timeout=5)
    assert standin_with_models.dead


def test_die_mid_job_ends_a_process_with_the_scripted_code(tmp_path):
    root = tmp_path / "c"
    add_input_image(root, "p.png", (16, 16))
    process = StandinProcess(root, faults={"die_mid_job": True, "die_exit_code": 3})
    try:
        graph = {"1": {"class_type": "LoadImage", "inputs": {"image": "p.png"}},
                 "2": {"class_type": "HarnessSlowProgress", "inputs": {
                     "images": ["1", 0], "steps": 4, "seconds_per_step": 0.01, "send_preview": False}},
                 "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
        requests.post(process.url + "/prompt", json={"prompt": graph}, timeout=10)
        assert process.process.wait(timeout=20) == 3
    finally:
        process.stop()


def test_drop_ws_mid_job_cuts_sockets_but_the_job_finishes(standin_with_models):
    standin_with_models.faults.update(drop_ws_mid_job=True, step_seconds=0.05)
    client = RawClient(standin_with_models.url)
    prompt_id = client.queue(wan_graph()).json()["prompt_id"]
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        while True:
            client.ws.recv()
    entry = wait_for_history(standin_with_models.url, prompt_id)
    assert entry["status"]["status_str"] == "success"
    assert standin_with_models.counters["ws_connections"] == 1


def test_slow_and_malformed_replies(standin):
    standin.faults.slow_reply_s = 0.3
    started = time.monotonic()
    assert requests.get(standin.url + "/queue", timeout=10).status_code == 200
    assert time.monotonic() - started >= 0.3
    standin.faults.update(slow_reply_s=0.0, malformed_reply="/queue")
    broken = requests.get(standin.url + "/api/queue", timeout=10)
    assert broken.status_code == 200 and broken.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(broken.text)
    assert requests.get(standin.url + "/system_stats", timeout=10).json()["system"]


def test_missing_sage_attention_fails_at_execution(standin_with_models):
    standin_with_models.extra_nodes.add("PathchSageAttentionKJ")
    standin_with_models.faults.sage_missing = True
    graph = wan_graph()
    graph["200"] = {"class_type": "PathchSageAttentionKJ",
                    "inputs": {"model": ["101", 0], "sage_attention": "auto"}}
    graph["104"]["inputs"]["model"] = ["200", 0]
    with RawClient(standin_with_models.url) as client:
        _, messages = client.run(graph)
    error = _error(messages)
    assert (error["node_id"], error["exception_type"]) == ("200", "ModuleNotFoundError")


def test_faults_from_the_command_line_and_while_running(tmp_path):
    process = StandinProcess(tmp_path / "c", faults={"malformed_reply": "/features"})
    try:
        assert requests.get(process.url + "/features", timeout=10).text.startswith('{"exec_info"')
        process.set_faults(malformed_reply=None, slow_reply_s=0.0)
        assert requests.get(process.url + "/features", timeout=10).json()["supports_preview_metadata"]
        assert process.counters()["requests"] == 2
    finally:
        process.stop()


def test_unknown_fault_names_are_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        Faults().update(oom_at="x")
