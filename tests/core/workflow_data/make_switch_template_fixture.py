"""Writes wan22_i2v_switch_subgraph.ui.json: the subgraph fixture (wan22_i2v_subgraph.ui.json)
rebuilt with the switches and the math of the 2026 official template, so the importer is
tested on that structure without shipping the template itself.

What it copies from Comfy-Org/workflow_templates templates/video_wan2_2_14B_i2v.json (read at
1588a00b), node types and wiring only:
- an "enable_turbo_mode" BOOLEAN subgraph input (shown on the instance, true) into a
  `PrimitiveBoolean` ("Enable 4steps LoRA?" there), which feeds `ComfySwitchNode`s choosing
  between `PrimitiveInt` / `PrimitiveFloat` values (steps 4 / 20, split step 2 / 10, CFG 1 / 3.5)
  and, as MODEL switches, the model path with or without the LoRA;
- the switches' `switch` widget saved as false (the link decides), inputs on_false, on_true,
  switch; primitives saved as [value, "fixed"].
Added beyond that stored version, as the issue describes the current template: a shift switch
(5 / 8), and the frame count from a `ComfyMathExpression` "floor(a*b+1)" of a duration subgraph
input (seconds, FLOAT) and a PrimitiveInt fps (16), into WanImageToVideo's length (INT output);
at 1588a00b the length is still a plain INT subgraph input.

Run from the repository root: python tests/core/workflow_data/make_switch_template_fixture.py
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "wan22_i2v_subgraph.ui.json"
TARGET = HERE / "wan22_i2v_switch_subgraph.ui.json"
DURATION_S = 5.0


class Builder:
    """Adds nodes and object-form links to one subgraph definition."""

    def __init__(self, sub: dict, next_link: int) -> None:
        self.sub = sub
        self.nodes = {n["id"]: n for n in sub["nodes"]}
        self.next_link = next_link

    def node(self, node_id: int, kind: str, widgets: list, inputs: list[tuple[str, str, bool]],
             outputs: list[tuple[str, str]], title: str | None = None) -> dict:
        node = {"id": node_id, "type": kind, "pos": [0, 0], "size": [270, 80], "flags": {},
                "order": 0, "mode": 0,
                "inputs": [{"localized_name": name, "name": name, "type": kind_,
                            **({"widget": {"name": name}} if widget else {}), "link": None}
                           for name, kind_, widget in inputs],
                "outputs": [{"localized_name": name, "name": name, "type": kind_, "links": []}
                            for name, kind_ in outputs],
                "properties": {"Node name for S&R": kind, "cnr_id": "comfy-core", "ver": "0.13.0"},
                "widgets_values": widgets}
        if title:
            node["title"] = title
        self.sub["nodes"].append(node)
        self.nodes[node_id] = node
        return node

    def link(self, origin: int, slot: int, target: int, name: str, kind: str) -> int:
        """Connect origin:slot to the target's input `name` (added as a widget input if new)."""
        link_id, self.next_link = self.next_link, self.next_link + 1
        inputs = self.nodes[target]["inputs"]
        index = next((i for i, e in enumerate(inputs) if e["name"] == name), None)
        if index is None:
            inputs.append({"localized_name": name, "name": name, "type": kind,
                           "widget": {"name": name}, "link": None})
            index = len(inputs) - 1
        old = inputs[index].get("link")
        if old is not None:
            self.sub["links"] = [lk for lk in self.sub["links"] if lk["id"] != old]
        inputs[index]["link"] = link_id
        if origin in self.nodes:
            self.nodes[origin]["outputs"][slot]["links"].append(link_id)
        self.sub["links"].append({"id": link_id, "origin_id": origin, "origin_slot": slot,
                                  "target_id": target, "target_slot": index, "type": kind})
        return link_id

    def switch(self, node_id: int, kind: str, on_false: tuple[int, int], on_true: tuple[int, int],
               turbo: int) -> int:
        self.node(node_id, "ComfySwitchNode", [False],
                  [("on_false", kind, False), ("on_true", kind, False), ("switch", "BOOLEAN", True)],
                  [("output", kind)])
        self.link(*on_false, node_id, "on_false", kind)
        self.link(*on_true, node_id, "on_true", kind)
        self.link(turbo, 0, node_id, "switch", "BOOLEAN")
        return node_id

    def primitive(self, node_id: int, kind: str, value: float | int, title: str) -> int:
        primitive = {"INT": "PrimitiveInt", "FLOAT": "PrimitiveFloat"}[kind]
        self.node(node_id, primitive, [value, "fixed"] if kind == "INT" else [value],
                  [("value", kind, True)], [(kind, kind)], title)
        return node_id


def main() -> None:
    ui = json.loads(SOURCE.read_text("utf-8"))
    sub = ui["definitions"]["subgraphs"][0]
    b = Builder(sub, max(lk["id"] for lk in sub["links"]) + 100)
    # Subgraph inputs: "length" becomes "duration" (seconds); "value" is enable_turbo_mode.
    length = next(i for i in sub["inputs"] if i["name"] == "length")
    length.update(name="duration", type="FLOAT", label="duration")
    sub["inputs"].append({"id": "fc7db4ed-c8af-4086-b1bb-5c86ada99f39", "name": "value",
                          "type": "BOOLEAN", "linkIds": [], "label": "enable_turbo_mode"})
    turbo = b.node(150, "PrimitiveBoolean", [True], [("value", "BOOLEAN", True)],
                   [("BOOLEAN", "BOOLEAN")], "enable_turbo_mode")["id"]
    sub["inputs"][-1]["linkIds"] = [b.link(-10, len(sub["inputs"]) - 1, turbo, "value", "BOOLEAN")]

    steps = b.switch(153, "INT", (b.primitive(152, "INT", 20, "Steps"), 0),
                     (b.primitive(151, "INT", 4, "Steps (turbo)"), 0), turbo)
    split = b.switch(156, "INT", (b.primitive(155, "INT", 10, "split_step"), 0),
                     (b.primitive(154, "INT", 2, "split_step (turbo)"), 0), turbo)
    cfg = b.switch(159, "FLOAT", (b.primitive(158, "FLOAT", 3.5, "CFG"), 0),
                   (b.primitive(157, "FLOAT", 1.0, "CFG (turbo)"), 0), turbo)
    shift = b.switch(162, "FLOAT", (b.primitive(161, "FLOAT", 8.0, "Shift"), 0),
                     (b.primitive(160, "FLOAT", 5.0, "Shift (turbo)"), 0), turbo)
    for sampler in (85, 86):
        b.link(steps, 0, sampler, "steps", "INT")
        b.link(cfg, 0, sampler, "cfg", "FLOAT")
    b.link(split, 0, 86, "end_at_step", "INT")
    b.link(split, 0, 85, "start_at_step", "INT")
    for model_sampling in (103, 104):
        b.link(shift, 0, model_sampling, "shift", "FLOAT")
    # The model path: with the LoRA (turbo) or straight from the UNET loader.
    for unet, lora, target, switch_id in ((95, 101, 103, 163), (96, 102, 104, 164)):
        b.switch(switch_id, "MODEL", (unet, 0), (lora, 0), turbo)
        b.link(switch_id, 0, target, "model", "MODEL")

    # Frames: floor(duration * fps + 1) into WanImageToVideo's length.
    fps = b.primitive(165, "INT", 16, "fps")
    b.node(166, "ComfyMathExpression", ["floor(a*b+1)"],
           [("expression", "STRING", True), ("values.a", "FLOAT", False),
            ("values.b", "INT", False)],
           [("FLOAT", "FLOAT"), ("INT", "INT"), ("BOOL", "BOOLEAN")], "frames")
    duration_slot = sub["inputs"].index(length)
    length["linkIds"] = [b.link(-10, duration_slot, 166, "values.a", "FLOAT")]
    b.link(fps, 0, 166, "values.b", "INT")
    b.link(166, 1, 98, "length", "INT")

    instance = next(n for n in ui["nodes"] if n["type"] == sub["id"])
    instance["properties"]["proxyWidgets"] = [["-1", "text"], ["-1", "width"], ["-1", "height"],
                                              ["-1", "duration"], ["-1", "value"]]
    instance["widgets_values"] = [instance["widgets_values"][0], 640, 640, DURATION_S, True]
    instance["inputs"] = [i for i in instance["inputs"] if i["name"] != "length"]
    instance["inputs"] += [
        {"label": "duration", "name": "duration", "type": "FLOAT", "widget": {"name": "duration"},
         "link": None},
        {"label": "enable_turbo_mode", "name": "value", "type": "BOOLEAN",
         "widget": {"name": "value"}, "link": None}]
    TARGET.write_text(json.dumps(copy.deepcopy(ui), indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")


if __name__ == "__main__":
    main()
