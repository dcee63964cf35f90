"""Bring your own workflow: UI and API format, subgraphs, reroutes, primitives, bypass/mute."""

from __future__ import annotations

import copy
import json

import pytest

from tests.core.workflow_helpers import API_BASE, API_LORA, UI_TEMPLATE, load, object_info
from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow.graph import graph_diff, structure_signature
from wan22_gui.core.workflow.importer import apply_spec, import_workflow, load_workflow_file
from wan22_gui.core.workflow.spec import JobSpec

SUBGRAPH_UI = "wan22_i2v_subgraph.ui.json"


def _ui_node(ui: dict, node_id: int) -> dict:
    return next(n for n in ui["nodes"] if n["id"] == node_id)


def _prefixed(graph: dict, prefix: str, keep: set[str]) -> dict:
    """The template graph with the ids of nodes moved into a subgraph written "129:<id>"."""
    def rename(node_id: str) -> str:
        return node_id if node_id in keep else prefix + node_id

    out = {}
    for node_id, node in graph.items():
        inputs = {k: [rename(v[0]), v[1]] if isinstance(v, list) else v
                  for k, v in node["inputs"].items()}
        out[rename(node_id)] = {**node, "inputs": inputs}
    return out


def test_ui_template_imports_as_its_api_conversion():
    imported = import_workflow(load(UI_TEMPLATE), object_info())
    assert imported.source_format == "ui"
    assert graph_diff(imported.graph, load(API_LORA)) == []
    # The bypassed 20-step group and the notes are gone.
    assert not set(imported.graph) & set(load(API_BASE))
    assert "105" not in imported.graph and "67" not in imported.graph
    assert imported.missing_roles == [] and imported.warnings == []


def test_ui_template_with_the_other_group_active_gives_the_20_step_graph():
    ui = load(UI_TEMPLATE)
    base_ids = {int(i) for i in load(API_BASE)}
    for node in ui["nodes"]:
        if node["type"] not in ("Note", "MarkdownNote"):
            node["mode"] = 0 if node["id"] in base_ids else 4
    imported = import_workflow(ui, object_info())
    assert graph_diff(imported.graph, load(API_BASE)) == []


def test_subgraph_is_flattened_with_instance_prefixed_ids():
    imported = import_workflow(load(SUBGRAPH_UI), object_info())
    expected = _prefixed(load(API_LORA), "129:", keep={"97", "108"})
    assert graph_diff(imported.graph, expected) == []
    assert structure_signature(imported.graph) == structure_signature(load(API_LORA))
    assert imported.roles["image"] == "97" and imported.roles["sampler_high"] == "129:86"
    assert imported.roles["latent"] == "129:98" and imported.missing_roles == []


def test_subgraph_instance_widgets_win_over_the_inner_values():
    ui = load(SUBGRAPH_UI)
    _ui_node(ui, 129)["widgets_values"] = ["a fox runs", 832, 480, 49]
    graph = import_workflow(ui, object_info()).graph
    latent = graph["129:98"]["inputs"]
    assert (latent["width"], latent["height"], latent["length"]) == (832, 480, 49)
    assert graph["129:93"]["inputs"]["text"] == "a fox runs"


def test_nested_subgraphs_get_nested_ids():
    ui = load(SUBGRAPH_UI)
    outer = ui["definitions"]["subgraphs"][0]
    wrapper = copy.deepcopy(outer)
    wrapper["id"] = "wrapper-subgraph"
    instance = copy.deepcopy(_ui_node(ui, 129))
    instance["id"] = 7
    instance["inputs"][0]["link"] = 1
    instance["outputs"][0]["links"] = [2]
    instance.pop("widgets_values"), instance["properties"].pop("proxyWidgets")
    wrapper["nodes"] = [instance]
    wrapper["inputs"] = [{"id": "in", "name": "start_image", "type": "IMAGE", "linkIds": [1]}]
    wrapper["links"] = [
        {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 7, "target_slot": 0,
         "type": "IMAGE"},
        {"id": 2, "origin_id": 7, "origin_slot": 0, "target_id": -20, "target_slot": 0,
         "type": "VIDEO"}]
    ui["definitions"]["subgraphs"].append(wrapper)
    _ui_node(ui, 129)["type"] = "wrapper-subgraph"
    graph = import_workflow(ui, object_info()).graph
    assert graph["129:7:98"]["class_type"] == "WanImageToVideo"
    assert graph["129:7:98"]["inputs"]["start_image"][0] == "97"
    assert graph["108"]["inputs"]["video"] == ["129:7:94", 0]


def test_reroute_chain_and_primitive_node_are_followed():
    ui = load(UI_TEMPLATE)
    # LoadImage -> Reroute -> Reroute -> WanImageToVideo.start_image
    link_id = next(lk for lk in ui["links"] if lk[0] == 186)
    ui["links"].remove(link_id)
    ui["links"] += [[300, 97, 0, 200, 0, "IMAGE"], [301, 200, 0, 201, 0, "*"],
                    [302, 201, 0, 98, 4, "IMAGE"]]
    _ui_node(ui, 98)["inputs"][4]["link"] = 302
    for node_id, link_in, link_out in ((200, 300, 301), (201, 301, 302)):
        ui["nodes"].append({"id": node_id, "type": "Reroute", "mode": 0,
                            "inputs": [{"name": "", "type": "*", "link": link_in}],
                            "outputs": [{"name": "", "type": "IMAGE", "links": [link_out]}]})
    # A frontend PrimitiveNode drives the converted `width` widget.
    ui["nodes"].append({"id": 202, "type": "PrimitiveNode", "mode": 0, "inputs": [],
                        "outputs": [{"name": "INT", "type": "INT", "links": [303],
                                     "widget": {"name": "width"}}],
                        "widgets_values": [832, "fixed"]})
    _ui_node(ui, 98)["inputs"].append({"name": "width", "type": "INT",
                                       "widget": {"name": "width"}, "link": 303})
    ui["links"].append([303, 202, 0, 98, 5, "INT"])
    graph = import_workflow(ui, object_info()).graph
    assert graph["98"]["inputs"]["start_image"] == ["97", 0]
    assert graph["98"]["inputs"]["width"] == 832 and graph["98"]["inputs"]["height"] == 640
    assert not {"200", "201", "202"} & set(graph)


def test_bypassed_node_passes_its_input_through_and_muted_node_cuts_the_link():
    ui = load(UI_TEMPLATE)
    _ui_node(ui, 101)["mode"] = 4  # bypass the high-noise LoRA
    graph = import_workflow(ui, object_info()).graph
    assert "101" not in graph and graph["104"]["inputs"]["model"] == ["95", 0]
    _ui_node(ui, 101)["mode"] = 2  # mute it: the shift node loses its model
    graph = import_workflow(ui, object_info()).graph
    assert "101" not in graph and "model" not in graph["104"]["inputs"]


def test_kjnodes_set_and_get_are_followed():
    ui = load(UI_TEMPLATE)
    # VAELoader -> SetNode("vae") ; GetNode("vae") -> VAEDecode.vae
    ui["links"] = [lk for lk in ui["links"] if lk[0] != 176]
    ui["links"] += [[310, 90, 0, 210, 0, "VAE"], [311, 211, 0, 87, 1, "VAE"]]
    _ui_node(ui, 87)["inputs"][1]["link"] = 311
    ui["nodes"] += [
        {"id": 210, "type": "SetNode", "mode": 0, "widgets_values": ["vae"],
         "inputs": [{"name": "VAE", "type": "VAE", "link": 310}], "outputs": []},
        {"id": 211, "type": "GetNode", "mode": 0, "widgets_values": ["vae"], "inputs": [],
         "outputs": [{"name": "VAE", "type": "VAE", "links": [311]}]}]
    graph = import_workflow(ui, object_info()).graph
    assert graph["87"]["inputs"]["vae"] == ["90", 0]


def test_videohelpersuite_dict_widgets_and_its_fps_role():
    api = load(API_LORA)
    ui = load(UI_TEMPLATE)
    save = _ui_node(ui, 108)
    save.update(type="VHS_VideoCombine", widgets_values={
        "frame_rate": 16, "loop_count": 0, "filename_prefix": "wan", "format": "video/h264-mp4",
        "pix_fmt": "yuv420p", "crf": 19, "save_metadata": True, "trim_to_audio": False,
        "pingpong": False, "save_output": True,
        "videopreview": {"hidden": False, "params": {}}})
    save["inputs"][0].update(name="images", type="IMAGE")
    # Video Combine takes the decoded images directly.
    for lk in ui["links"]:
        if lk[0] == 197:
            lk[1] = 87
    imported = import_workflow(ui, object_info())
    node = imported.graph["108"]
    assert node["class_type"] == "VHS_VideoCombine" and node["inputs"]["crf"] == 19
    assert node["inputs"]["images"] == ["87", 0] and "videopreview" not in node["inputs"]
    assert imported.roles["fps"] == imported.roles["save"] == "108"
    patched = apply_spec(imported, JobSpec(image="x", fps=24, filename_prefix="video/a"),
                         "x.png", seed=5)
    assert patched["108"]["inputs"]["frame_rate"] == 24
    assert patched["108"]["inputs"]["filename_prefix"] == "video/a"
    assert api["108"]["class_type"] == "SaveVideo"  # the fixture itself is untouched


def test_apply_spec_sets_the_job_and_keeps_the_workflows_sampling():
    imported = import_workflow(load(API_BASE))
    spec = JobSpec(image="x", prompt="a cat", negative_prompt="blur", width=832, height=480,
                   frames=49, fps=16, use_lora=True, filename_prefix="video/cat")
    graph = apply_spec(imported, spec, "cat.png", seed=99)
    assert graph["62"]["inputs"]["image"] == "cat.png"
    assert (graph["63"]["inputs"]["width"], graph["63"]["inputs"]["length"]) == (832, 49)
    assert graph["6"]["inputs"]["text"] == "a cat" and graph["7"]["inputs"]["text"] == "blur"
    assert graph["57"]["inputs"]["noise_seed"] == 99 and graph["61"]["inputs"][
        "filename_prefix"] == "video/cat"
    assert graph["57"]["inputs"]["steps"] == 20  # spec.steps None: the workflow's own
    assert imported.graph["62"]["inputs"]["image"] == "input-18.jpg"  # original untouched
    graph = apply_spec(imported, spec.replace(steps=8, split_step=4, cfg=2.0, shift=6.0),
                       "cat.png", seed=1)
    assert graph["57"]["inputs"]["end_at_step"] == graph["58"]["inputs"]["start_at_step"] == 4
    assert graph["58"]["inputs"]["steps"] == 8 and graph["54"]["inputs"]["shift"] == 6.0


def test_missing_roles_are_listed_in_words():
    api = load(API_LORA)
    for node_id in ("97", "94", "108"):
        del api[node_id]
    api["98"]["inputs"].pop("start_image")
    api["87"]["inputs"]["samples"] = ["85", 0]
    api["999"] = {"class_type": "PreviewImage", "inputs": {"images": ["87", 0]}}
    imported = import_workflow(api)
    assert set(imported.missing_roles) == {"image", "fps", "save"}
    text = imported.missing_text()
    assert "start image" in text and "frame rate" in text and "file name prefix" in text


def test_api_format_variants_are_accepted():
    api = load(API_LORA)
    body = {"prompt": api, "client_id": "abc"}
    assert import_workflow(json.dumps(body)).graph.keys() == api.keys()
    api["87"]["inputs"]["samples"] = [85, 0]  # numeric ids, as some tools write them
    assert import_workflow(api).graph["87"]["inputs"]["samples"] == ["85", 0]


def test_unknown_node_class_is_kept_and_explained():
    ui = load(UI_TEMPLATE)
    _ui_node(ui, 104)["type"] = "ModelSamplingFromTheFuture"
    imported = import_workflow(ui, object_info())
    assert imported.graph["104"]["class_type"] == "ModelSamplingFromTheFuture"
    assert imported.graph["104"]["inputs"] == {"model": ["101", 0]}
    assert any("ModelSamplingFromTheFuture" in w and "install" in w for w in imported.warnings)


def test_unknown_node_keeps_the_settings_the_newer_frontend_names():
    """The newer frontend lists every widget among a node's inputs: an unknown class keeps
    its values under those names instead of losing them."""
    ui = load(UI_TEMPLATE)
    node = _ui_node(ui, 104)
    node["type"] = "ModelSamplingFromTheFuture"
    node["inputs"].append({"name": "shift", "type": "FLOAT", "widget": {"name": "shift"},
                           "link": None})
    node["inputs"].append({"name": "seed", "type": "INT", "widget": {"name": "seed"},
                           "link": None})
    node["widgets_values"] = [7.5, 42, "randomize"]
    imported = import_workflow(ui, object_info())
    assert imported.graph["104"]["inputs"] == {"model": ["101", 0], "shift": 7.5, "seed": 42}
    assert any("settings (shift, seed) were kept" in w for w in imported.warnings)


@pytest.mark.parametrize("data,words", [
    ("{not json", "not valid JSON (line 1"),
    ("[1, 2]", "JSON list"),
    ({"3": {"inputs": {}}}, "'3' has no class_type"),
    ({"nodes": [], "links": []}, "no nodes"),
    (b"\xff\xfe\x00", "not text"),
])
def test_malformed_input_gives_a_clear_workflow_error(data, words):
    with pytest.raises(WorkflowError) as err:
        import_workflow(data)
    assert words in str(err.value) and err.value.hint


def test_load_workflow_file_errors_name_the_file(tmp_path):
    with pytest.raises(WorkflowError, match="does not exist"):
        load_workflow_file(tmp_path / "nope.json")
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(load(API_LORA)), encoding="utf-8")
    assert load_workflow_file(path).roles["save"] == "108"


def test_damaged_ui_files_never_raise_anything_but_workflow_error():
    import random

    rng = random.Random(4)
    junk = [None, "x", -1, 3.5, [], {}, [1, 2], {"a": 1}, True]
    for _ in range(300):
        ui = load(SUBGRAPH_UI if rng.random() < 0.5 else UI_TEMPLATE)
        for _ in range(3):
            nodes = ui["nodes"] if rng.random() < 0.6 else \
                ui.get("definitions", {}).get("subgraphs", [{}])[0].get("nodes", ui["nodes"])
            node = rng.choice(nodes)
            key = rng.choice(["mode", "inputs", "outputs", "widgets_values", "type", "id",
                              "properties"])
            node[key] = rng.choice(junk)
            if rng.random() < 0.3 and ui["links"]:
                ui["links"][rng.randrange(len(ui["links"]))] = rng.choice(junk)
        try:
            import_workflow(ui, object_info())
        except WorkflowError:
            pass


def test_single_sampler_workflow_like_the_5b_template():
    """Wan 2.2 5B: one KSampler, conditioning straight into the sampler, no second pass."""
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "wan2.2_ti2v_5B.safetensors",
                                                     "weight_dtype": "default"}},
        "2": {"class_type": "CLIPLoader", "inputs": {"clip_name": "umt5.safetensors",
                                                     "type": "wan", "device": "default"}},
        "3": {"class_type": "VAELoader", "inputs": {"vae_name": "wan2.2_vae.safetensors"}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["2", 0]}},
        "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "blur", "clip": ["2", 0]}},
        "6": {"class_type": "LoadImage", "inputs": {"image": "cat.png"}},
        "7": {"class_type": "Wan22ImageToVideoLatent",
              "inputs": {"vae": ["3", 0], "width": 1280, "height": 704, "length": 121,
                         "batch_size": 1, "start_image": ["6", 0]}},
        "8": {"class_type": "KSampler",
              "inputs": {"model": ["1", 0], "seed": 1, "steps": 20, "cfg": 5.0,
                         "sampler_name": "uni_pc", "scheduler": "simple", "positive": ["4", 0],
                         "negative": ["5", 0], "latent_image": ["7", 0], "denoise": 1.0}},
        "9": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["3", 0]}},
        "10": {"class_type": "CreateVideo", "inputs": {"images": ["9", 0], "fps": 24}},
        "11": {"class_type": "SaveVideo", "inputs": {"video": ["10", 0],
                                                      "filename_prefix": "video/x",
                                                      "format": "auto", "codec": "auto"}},
    }
    imported = import_workflow(graph)
    assert imported.missing_roles == ["sampler_low"]
    r = imported.roles
    assert (r["image"], r["latent"], r["positive"], r["negative"], r["sampler_high"]) == \
        ("6", "7", "4", "5", "8")
    assert (r["unet_high"], r["text_encode"], r["vae_decode"], r["fps"]) == ("1", "2", "9", "10")
    patched = apply_spec(imported, JobSpec(image="x", fps=24, frames=49), "dog.png", seed=77)
    assert patched["8"]["inputs"]["seed"] == 77 and patched["7"]["inputs"]["length"] == 49
    assert patched["6"]["inputs"]["image"] == "dog.png"
