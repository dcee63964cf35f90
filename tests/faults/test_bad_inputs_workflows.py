"""Bad-input corpus: workflow files, through `wan22 workflow convert`, `wan22 workflow check`
(against the stand-in ComfyUI) and `wan22 generate --workflow` (refused before any server, or
refused by the stand-in in words that name the node and input)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from PIL import Image

from tests.fakes.comfy_standin import StandinServer, install_wan_models
from tests.faults.bad_inputs import (  # noqa: F401 (fixtures)
    CASE_TIMEOUT_S, DEAD_URL, _corpus_summary, assert_nothing_lost, expect, run_cli,
    seeded_history,
)

pytestmark = pytest.mark.timeout(CASE_TIMEOUT_S)
UI_TEMPLATE = Path(__file__).parents[1] / "core" / "workflow_data" / \
    "video_wan2_2_14B_i2v.ui.templates-0.1.95.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[StandinServer]:
    root = tmp_path_factory.mktemp("comfyui")
    install_wan_models(root)
    standin = StandinServer(root)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "start.png"
    Image.new("RGB", (320, 224), (40, 90, 160)).save(path)
    return path


def wan_graph() -> dict[str, Any]:
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    return build_wan_i2v(JobSpec(image="x.png", width=320, height=224, frames=17,
                                 seed=1), "x.png").graph


def _edit(change: Callable[[dict], None]) -> Callable[[], str]:
    def make() -> str:
        graph = wan_graph()
        change(graph)
        return json.dumps(graph)
    make.__name__ = change.__name__
    return make


def _set(node: str, name: str, value: Any) -> Callable[[dict], None]:
    def change(graph: dict) -> None:
        graph[node]["inputs"][name] = value
    return change


def _named(name: str, change: Callable[[dict], None]) -> Callable[[dict], None]:
    change.__name__ = name
    return change


def _ui(change: Callable[[dict], None]) -> Callable[[], str]:
    def make() -> str:
        data = json.loads(UI_TEMPLATE.read_text(encoding="utf-8"))
        change(data)
        return json.dumps(data)
    make.__name__ = change.__name__
    return make


def _drop_links(data: dict) -> None:
    data["links"] = data["links"][: len(data["links"]) // 3]


def _mute_all(data: dict) -> None:
    for node in data["nodes"]:
        node["mode"] = 2


def _nodes_not_objects(data: dict) -> None:
    data["nodes"] = [1, 2, 3]


def _drop_class(graph: dict) -> None:
    del graph["94"]["class_type"]


def _drop_fps(graph: dict) -> None:
    del graph["94"]["inputs"]["fps"]


def _drop_vae(graph: dict) -> None:
    del graph["87"]["inputs"]["vae"]


def _unknown_class(graph: dict) -> None:
    graph["200"] = {"class_type": "NoSuchNodeClass", "inputs": {"model": ["95", 0]}}
    graph["104"]["inputs"]["model"] = ["200", 0]


def _not_wan(graph: dict) -> None:
    for node_id in list(graph):
        if node_id not in ("97",):
            del graph[node_id]
    graph["300"] = {"class_type": "SaveImage", "inputs": {"images": ["97", 0],
                                                         "filename_prefix": "x"}}


# -- file-level problems: the same for every command ----------------------------------------

FILE_CASES: list[tuple[str, Callable[[Path], Path], str]] = []


def _file(name: str, phrase: str):
    def register(make: Callable[[Path], Path]):
        make.__name__ = name
        FILE_CASES.append((name, make, phrase))
        return make
    return register


def _text_file(name: str, text: str | bytes, phrase: str) -> None:
    def make(d: Path) -> Path:
        path = d / f"{name}.json"
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return path
    _file(name, phrase)(make)


_text_file("not_json", "this is not json {", "not valid JSON")
_text_file("empty_file", "", "not valid JSON")
_text_file("json_array", "[1, 2, 3]", "JSON list")
_text_file("json_string", '"a workflow"', "JSON str")
_text_file("json_number", "42", "JSON int")
_text_file("json_null", "null", "JSON NoneType")
_text_file("empty_object", "{}", "no nodes")
_text_file("binary_garbage", bytes(range(256)) * 4, "cannot be read")
_text_file("deep_array", "[" * 100000 + "]" * 100000, "nested too deeply")
_text_file("deep_object", '{"a":' * 5000 + "1" + "}" * 5000, "nested too deeply")
_text_file("entry_without_class", '{"1": {"inputs": {}}}', "has no class_type")
_text_file("entry_not_object", '{"1": 5}', "has no class_type")
_text_file("ui_nodes_not_objects", json.dumps({"nodes": [1, 2, 3], "links": []}), "no nodes")
_text_file("ui_all_muted", _ui(_mute_all)(), "no nodes that ComfyUI would run")


@_file("a_folder", "cannot be read")
def _a_folder(d: Path) -> Path:
    path = d / "workflow.json"
    path.mkdir()
    return path


@_file("missing_file", "does not exist")
def _missing(d: Path) -> Path:
    return d / "nowhere.json"


@pytest.mark.parametrize("name, make, phrase", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_convert_refuses_a_bad_file(name, make, phrase, tmp_path, seeded_history):
    expect(run_cli(["workflow", "convert", make(tmp_path)]), phrase, code=1)
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("name, make, phrase", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_generate_refuses_a_bad_file_before_any_server(name, make, phrase, tmp_path, picture,
                                                      seeded_history):
    outcome = run_cli(["generate", picture, "--workflow", make(tmp_path), "--server", DEAD_URL])
    expect(outcome, phrase, code=2)
    assert "No ComfyUI" not in outcome.err  # refused before the server was asked
    assert_nothing_lost(seeded_history)


# -- graph-level problems: `workflow check` names node, class and input ----------------------

GRAPH_CASES = [
    (_edit(_named("dangling_link", _set("87", "samples", ["999", 0]))),
     "input 'samples': it is connected to node #999, which is not in the workflow"),
    (_edit(_named("cycle", _set("86", "latent_image", ["85", 0]))), "closes a loop"),
    (_edit(_unknown_class), "has no node type"),
    (_edit(_drop_fps), "input 'fps': a required input is missing"),
    (_edit(_named("wrong_type", _set("98", "batch_size", "many"))), "is not a valid INT"),
    (_edit(_named("huge_number", _set("101", "strength_model", 1e30))), "out of range"),
    (_edit(_named("nan_value", _set("101", "strength_model", float("nan")))),
     "nan is not a finite number"),
    (_edit(_named("infinite_steps", _set("86", "steps", float("inf")))),
     "not a valid INT"),
    (_edit(_named("malformed_link", _set("87", "vae", ["90", 0, 1]))), "link is malformed"),
    (_edit(_named("slot_out_of_range", _set("87", "vae", ["90", 7]))), "has only 1 outputs"),
    (_edit(_named("length_not_4n1", _set("98", "length", 82))), "Wan needs 4n+1 frames"),
    (_edit(_named("missing_model_file", _set("90", "vae_name", "nope.safetensors"))),
     "not in ComfyUI's models/vae/"),
    (_ui(_named("ui_missing_links", _drop_links)), "required input is missing"),
]


@pytest.mark.parametrize("make, phrase", GRAPH_CASES, ids=[c[0].__name__ for c in GRAPH_CASES])
def test_check_names_the_problem(make, phrase, tmp_path, server, seeded_history):
    path = tmp_path / "workflow.json"
    path.write_text(make(), encoding="utf-8")
    outcome = run_cli(["workflow", "check", path, "--server", server.url])
    expect(outcome, phrase, code=1)
    assert "ready to queue" not in outcome.out
    assert_nothing_lost(seeded_history)


# What `generate --workflow` says: structure problems before any server; the rest in the
# stand-in's refusal, translated (not "KeyError" or "Prompt outputs failed validation").
GENERATE_CASES = [
    (_edit(_named("dangling_link", _set("87", "samples", ["999", 0]))), DEAD_URL,
     "input 'samples': it is connected to node #999", 2),
    (_edit(_named("cycle", _set("86", "latent_image", ["85", 0]))), DEAD_URL,
     "closes a loop", 2),
    (_edit(_named("nan_value", _set("101", "strength_model", float("nan")))), DEAD_URL,
     "not a finite number", 2),
    (_edit(_not_wan), DEAD_URL, "found no node for: start image", 2),
    (_edit(_unknown_class), "server", "has no node type", 1),
    (_edit(_drop_vae), "server", "input 'vae': a required input is missing", 1),
    (_edit(_named("wrong_type", _set("98", "batch_size", "many"))), "server",
     "is not a valid INT", 1),
    (_edit(_named("huge_number", _set("101", "strength_model", 1e30))), "server",
     "out of range", 1),
    (_edit(_named("missing_model_file", _set("90", "vae_name", "nope.safetensors"))),
     "server", "'nope.safetensors' is not in ComfyUI's models/vae/", 1),
    (_edit(_drop_class), DEAD_URL, "has no class_type", 2),
]


@pytest.mark.parametrize("make, where, phrase, code", GENERATE_CASES,
                         ids=[c[0].__name__ for c in GENERATE_CASES])
def test_generate_says_what_is_wrong(make, where, phrase, code, tmp_path, picture, server,
                                     seeded_history):
    path = tmp_path / "workflow.json"
    path.write_text(make(), encoding="utf-8")
    url = server.url if where == "server" else where
    outcome = run_cli(["generate", picture, "--workflow", path, "--server", url,
                       "--frames", "17", "--width", "320", "--height", "224"])
    expect(outcome, phrase, code=code)
    assert "KeyError" not in outcome.text and "failed validation" not in outcome.text
    assert_nothing_lost(seeded_history)


def test_dangling_link_reaching_comfyui_names_the_right_input():
    """ComfyUI itself (for a graph that got past the app) blames the input downstream."""
    from wan22_gui.core.comfy.problems import rejection_from_response

    graph = copy.deepcopy(wan_graph())
    graph["87"]["inputs"]["samples"] = ["999", 0]
    body = {"error": {"type": "prompt_outputs_failed_validation",
                      "message": "Prompt outputs failed validation", "details": "",
                      "extra_info": {}},
            "node_errors": {"87": {"class_type": "VAEDecode", "dependent_outputs": ["108"],
                                   "errors": [{
                                       "type": "exception_during_inner_validation",
                                       "message": "Exception when validating inner node",
                                       "details": "'999'",
                                       "extra_info": {"input_name": "images",
                                                      "exception_type": "KeyError",
                                                      "exception_message": "'999'",
                                                      "linked_node": ["87", 0]}}]}}}
    [problem] = rejection_from_response(body, graph).problems
    assert problem.input_name == "samples" and problem.node_id == "87"
    assert "connected to node #999, which is not in the workflow" in str(problem)
    assert "custom node" not in str(problem)
