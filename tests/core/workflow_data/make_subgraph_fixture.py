"""Writes wan22_i2v_subgraph.ui.json: the 0.1.95 template re-saved the way the newer frontend
(subgraphs, 1.2x+) saves the 0.1.123 template, so the importer is tested on that format.

- The active group's pipeline moves into subgraph "Image to Video (Wan2.2)"; LoadImage (97),
  SaveVideo (108) and the notes stay outside, as in 0.1.123. The bypassed 20-step group stays
  at the top level, still bypassed.
- Inside, links are objects; the subgraph's inputs come from node -10 and its output goes to
  node -20. Prompt, width, height and length are subgraph inputs shown on the instance as
  proxy widgets (`properties.proxyWidgets` + `widgets_values`), as in 0.1.123.
- LoadImage reaches the instance through two Reroute nodes.

Run from the repository root: python tests/core/workflow_data/make_subgraph_fixture.py
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).parent
SUBGRAPH_ID = "5d7f6a1e-2b0c-4c51-9a53-8f0e2c1d4b7a"
INSTANCE_ID = 129
OUTSIDE = {97, 108}
PROXIED = [("text", "STRING", 93, "text"), ("width", "INT", 98, "width"),
           ("height", "INT", 98, "height"), ("length", "INT", 98, "length")]


def main() -> None:
    ui = json.loads((HERE / "video_wan2_2_14B_i2v.ui.templates-0.1.95.json").read_text("utf-8"))
    nodes = {n["id"]: n for n in ui["nodes"]}
    inner_ids = {i for i, n in nodes.items() if n["mode"] == 0 and i not in OUTSIDE
                 and n["type"] not in ("Note", "MarkdownNote")}
    links = {lk[0]: lk for lk in ui["links"]}
    next_link = max(links) + 1

    inner_links, top_links = [], []
    for lk in ui["links"]:
        link_id, origin, oslot, target, tslot, kind = lk
        if origin in inner_ids and target in inner_ids:
            inner_links.append(_obj(link_id, origin, oslot, target, tslot, kind))
        elif origin not in inner_ids and target not in inner_ids:
            top_links.append(lk)
    inner_nodes = [copy.deepcopy(nodes[i]) for i in sorted(inner_ids)]
    by_id = {n["id"]: n for n in inner_nodes}

    sub_inputs = []
    # start_image: -10 slot 0 -> 98.start_image (was link 186 from LoadImage 97).
    start_link = links[186]
    inner_links.append(_obj(186, -10, 0, 98, start_link[4], "IMAGE"))
    sub_inputs.append(_sub_input("start_image", "IMAGE", [186]))
    for slot, (name, kind, target, widget) in enumerate(PROXIED, start=1):
        link_id, next_link = next_link, next_link + 1
        node = by_id[target]
        node["inputs"].append({"localized_name": widget, "name": widget, "type": kind,
                               "widget": {"name": widget}, "link": link_id})
        inner_links.append(_obj(link_id, -10, slot, target, len(node["inputs"]) - 1, kind))
        sub_inputs.append(_sub_input(name, kind, [link_id]))
    # CreateVideo 94 -> -20 slot 0 (was link 197 to SaveVideo 108).
    inner_links.append(_obj(197, 94, 0, -20, 0, "VIDEO"))

    reroute_a, reroute_b = 140, 141
    la, lb, lc, ld = next_link, next_link + 1, next_link + 2, next_link + 3
    top_links += [[la, 97, 0, reroute_a, 0, "IMAGE"], [lb, reroute_a, 0, reroute_b, 0, "*"],
                  [lc, reroute_b, 0, INSTANCE_ID, 0, "IMAGE"],
                  [ld, INSTANCE_ID, 0, 108, 0, "VIDEO"]]
    load_image, save = copy.deepcopy(nodes[97]), copy.deepcopy(nodes[108])
    load_image["outputs"][0]["links"] = [la]
    save["inputs"][0]["link"] = ld
    prompt = nodes[93]["widgets_values"][0]
    instance = {
        "id": INSTANCE_ID, "type": SUBGRAPH_ID, "pos": [522, -320], "size": [540, 690],
        "flags": {}, "order": 4, "mode": 0,
        "inputs": [{"name": "start_image", "type": "IMAGE", "link": lc},
                   {"label": "prompt", "name": "text", "type": "STRING",
                    "widget": {"name": "text"}, "link": None}],
        "outputs": [{"name": "VIDEO", "type": "VIDEO", "links": [ld]}],
        "properties": {"proxyWidgets": [["-1", p[0]] for p in PROXIED],
                       "cnr_id": "comfy-core", "ver": "0.13.0"},
        "widgets_values": [prompt, 640, 640, 81],
    }
    top_nodes = [n for i, n in nodes.items() if i not in inner_ids and i not in OUTSIDE]
    top_nodes += [load_image, save, instance, _reroute(reroute_a, la, lb),
                  _reroute(reroute_b, lb, lc)]
    definition = {
        "id": SUBGRAPH_ID, "version": 1, "revision": 0, "config": {},
        "state": {"lastNodeId": 141, "lastLinkId": ld},
        "name": "Image to Video (Wan2.2)",
        "inputNode": {"id": -10, "bounding": [-350, 190, 150, 300]},
        "outputNode": {"id": -20, "bounding": [2755, 195, 120, 60]},
        "inputs": sub_inputs,
        "outputs": [{"id": "out-video", "name": "VIDEO", "type": "VIDEO", "linkIds": [197]}],
        "widgets": [], "nodes": inner_nodes, "links": inner_links, "groups": [],
        "extra": {"workflowRendererVersion": "LG"},
    }
    out = {**{k: v for k, v in ui.items() if k not in ("nodes", "links", "groups")},
           "last_node_id": 141, "last_link_id": ld, "nodes": top_nodes, "links": top_links,
           "groups": [], "definitions": {"subgraphs": [definition]},
           "extra": {**ui["extra"], "frontendVersion": "1.28.7"}}
    (HERE / "wan22_i2v_subgraph.ui.json").write_text(
        json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _obj(link_id, origin, oslot, target, tslot, kind):
    return {"id": link_id, "origin_id": origin, "origin_slot": oslot, "target_id": target,
            "target_slot": tslot, "type": kind}


def _sub_input(name, kind, link_ids):
    return {"id": f"in-{name}", "name": name, "type": kind, "linkIds": link_ids}


def _reroute(node_id, link_in, link_out):
    return {"id": node_id, "type": "Reroute", "pos": [300, -300], "size": [75, 26], "flags": {},
            "order": 3, "mode": 0, "inputs": [{"name": "", "type": "*", "link": link_in}],
            "outputs": [{"name": "", "type": "IMAGE", "links": [link_out]}],
            "properties": {"showOutputText": False, "horizontal": False}}


if __name__ == "__main__":
    main()
