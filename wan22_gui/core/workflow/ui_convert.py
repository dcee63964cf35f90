"""UI-format ("workflow") JSON to API format ("prompt"), as the ComfyUI frontend converts it.

Rules (see the ComfyUI notes in the design docs): frontend-only nodes are dropped (notes,
Reroute followed, PrimitiveNode inlined, KJNodes Set/Get followed); muted nodes (mode 2) are
dropped; bypassed nodes (mode 4) are dropped with links re-routed through their first input of
the same type; widgets_values are consumed in `/object_info` input order (a seed's
"fixed/randomize" and an upload button take one extra slot); a linked converted widget takes
the link; subgraphs are flattened with ids like "129:84".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wan22_gui.core.base.errors import WorkflowError

MODE_MUTED, MODE_BYPASSED = 2, 4
SUBGRAPH_INPUT, SUBGRAPH_OUTPUT = -10, -20
NOTE_TYPES = {"Note", "MarkdownNote", "Label (rgthree)", "Bookmark (rgthree)",
              "Fast Groups Bypasser (rgthree)", "Fast Groups Muter (rgthree)",
              "Fast Bypasser (rgthree)", "Fast Muter (rgthree)"}
FRONTEND_ONLY = NOTE_TYPES | {"Reroute", "PrimitiveNode", "SetNode", "GetNode"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
SEED_CONTROLS = {"fixed", "increment", "decrement", "randomize"}
UPLOAD_FLAGS = ("image_upload", "video_upload", "audio_upload")
_INPUT_NODE = "__subgraph_input__"


@dataclass
class _Node:
    """One UI node after flattening, with links replaced by scoped link keys."""

    id: str
    type: str
    mode: int
    raw: dict[str, Any]
    inputs: list[dict[str, Any]] = field(default_factory=list)  # {name, type, link_key, widget}
    outputs: list[dict[str, Any]] = field(default_factory=list)
    instance_of: dict[str, Any] | None = None  # the subgraph definition, for instance nodes
    proxy_values: dict[str, Any] = field(default_factory=dict)  # subgraph input name -> value


@dataclass
class _Flat:
    nodes: dict[str, _Node] = field(default_factory=dict)
    links: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (origin id, slot)
    out_links: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    # Inner widgets an enclosing instance shows as its own: node id -> {widget: value}.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def ui_to_api(workflow: dict[str, Any], object_info: dict[str, Any]) -> tuple[dict, list[str]]:
    """Convert a UI-format workflow; returns (API graph, warnings for the user)."""
    subgraphs = {str(s.get("id")): s for s in
                 ((workflow.get("definitions") or {}).get("subgraphs") or [])
                 if isinstance(s, dict)}
    flat = _Flat()
    _flatten(flat, workflow.get("nodes"), workflow.get("links"), "", subgraphs, 0, 0)
    graph: dict[str, dict[str, Any]] = {}
    for node in flat.nodes.values():
        if node.type in FRONTEND_ONLY or node.instance_of is not None or node.type == _INPUT_NODE:
            continue
        if node.mode in (MODE_MUTED, MODE_BYPASSED):
            continue
        graph[node.id] = _api_node(flat, node, object_info)
    return graph, flat.warnings


# --- flattening ------------------------------------------------------------------------------

def _flatten(flat: _Flat, nodes: Any, links: Any, prefix: str, subgraphs: dict[str, Any],
             inherited_mode: int, depth: int) -> None:
    """Add `nodes` (ids prefixed) and their links; expand subgraph instances recursively."""
    if depth > 16:
        raise WorkflowError("The workflow's subgraphs are nested more than 16 deep (a loop?).")
    if not isinstance(nodes, list):
        raise WorkflowError("The workflow has no list of nodes.",
                            hint="Export it again from ComfyUI (Workflow → Export).")
    for raw in links or []:
        _add_link(flat, raw, prefix)
    for raw in nodes:
        if not isinstance(raw, dict) or "id" not in raw:
            flat.warnings.append("A node without an id was skipped.")
            continue
        node_id = f"{prefix}{raw['id']}"
        mode = int(raw.get("mode") or 0)
        node = _Node(id=node_id, type=str(raw.get("type") or ""),
                     mode=mode if mode else inherited_mode, raw=raw,
                     inputs=[_input(i, prefix) for i in raw.get("inputs") or []
                             if isinstance(i, dict)],
                     outputs=[o for o in raw.get("outputs") or [] if isinstance(o, dict)])
        flat.nodes[node_id] = node
        definition = subgraphs.get(node.type)
        if definition is not None:
            _expand_instance(flat, node, definition, subgraphs, depth)


def _input(raw: dict[str, Any], prefix: str) -> dict[str, Any]:
    link = raw.get("link")
    widget = raw.get("widget")
    return {"name": raw.get("name"), "type": raw.get("type"),
            "link_key": None if link is None else f"{prefix}{link}",
            "widget": widget.get("name") if isinstance(widget, dict) else None}


def _add_link(flat: _Flat, raw: Any, prefix: str) -> None:
    """Register a link (array form at the top level, object form inside subgraphs)."""
    if isinstance(raw, list) and len(raw) >= 5:
        link_id, origin, slot, target, target_slot = raw[:5]
    elif isinstance(raw, dict):
        link_id, origin, slot = raw.get("id"), raw.get("origin_id"), raw.get("origin_slot")
        target, target_slot = raw.get("target_id"), raw.get("target_slot")
    else:
        return
    scope = prefix[:-1] if prefix else ""
    origin_id = f"{scope}:{_INPUT_NODE}" if origin == SUBGRAPH_INPUT else f"{prefix}{origin}"
    if target == SUBGRAPH_OUTPUT:
        flat.out_links[(scope, int(target_slot))] = (origin_id, int(slot))
    flat.links[f"{prefix}{link_id}"] = (origin_id, int(slot or 0))


def _expand_instance(flat: _Flat, node: _Node, definition: dict[str, Any],
                     subgraphs: dict[str, Any], depth: int) -> None:
    """Flatten one subgraph instance: inner ids become "<instance>:<inner>"."""
    node.instance_of = definition
    flat.nodes[f"{node.id}:{_INPUT_NODE}"] = _Node(id=node.id, type=_INPUT_NODE, mode=0,
                                                    raw={})
    _read_proxy_widgets(flat, node, definition)
    _flatten(flat, definition.get("nodes"), definition.get("links"), f"{node.id}:",
             subgraphs, node.mode if node.mode in (MODE_MUTED, MODE_BYPASSED) else 0, depth + 1)


def _read_proxy_widgets(flat: _Flat, node: _Node, definition: dict[str, Any]) -> None:
    """Values the instance shows as its own widgets, by subgraph input (or inner widget)."""
    values = node.raw.get("widgets_values")
    if not isinstance(values, list):
        return
    proxies = (node.raw.get("properties") or {}).get("proxyWidgets")
    if isinstance(proxies, list) and proxies:
        for proxy, value in zip(proxies, values):
            if isinstance(proxy, list) and len(proxy) == 2:
                if str(proxy[0]) == "-1":
                    node.proxy_values[str(proxy[1])] = value
                else:
                    inner = f"{node.id}:{proxy[0]}"
                    flat.overrides.setdefault(inner, {})[str(proxy[1])] = value
        return
    # Older frontends: one value per unlinked widget-type subgraph input, in order.
    linked = {i["name"] for i in node.inputs if i["link_key"]}
    names = [i.get("name") for i in definition.get("inputs") or []
             if isinstance(i, dict) and i.get("type") in WIDGET_TYPES and i.get("name") not in linked]
    node.proxy_values.update(zip(names, values))


# --- resolving where an input's value comes from ---------------------------------------------

def _resolve_key(flat: _Flat, link_key: str | None) -> tuple[str, Any] | None:
    if link_key is None or link_key not in flat.links:
        return None
    origin, slot = flat.links[link_key]
    return _resolve(flat, origin, slot, 0)


def _resolve(flat: _Flat, node_id: str, slot: int, depth: int) -> tuple[str, Any] | None:
    """("link", [id, slot]) or ("value", v) for an output, or None when nothing feeds it."""
    if depth > 200:
        return None
    node = flat.nodes.get(node_id)
    if node is None:
        flat.warnings.append(f"A link comes from node {node_id}, which is not in the workflow.")
        return None
    if node.type == _INPUT_NODE:
        return _resolve_subgraph_input(flat, node.id, slot, depth)
    if node.instance_of is not None:
        inner = flat.out_links.get((node.id, slot))
        return _resolve(flat, inner[0], inner[1], depth + 1) if inner else None
    if node.mode == MODE_MUTED:
        return None
    if node.type == "Reroute":
        return _resolve_key(flat, node.inputs[0]["link_key"]) if node.inputs else None
    if node.type == "PrimitiveNode":
        values = node.raw.get("widgets_values") or []
        return ("value", values[0]) if values else None
    if node.type == "GetNode":
        return _resolve_get_node(flat, node)
    if node.mode == MODE_BYPASSED:
        return _resolve_bypass(flat, node, slot)
    return ("link", [node.id, slot])


def _resolve_subgraph_input(flat: _Flat, instance_id: str, slot: int,
                            depth: int) -> tuple[str, Any] | None:
    instance = flat.nodes[instance_id]
    inputs = (instance.instance_of or {}).get("inputs") or []
    if slot >= len(inputs):
        return None
    name = inputs[slot].get("name")
    for entry in instance.inputs:
        if entry["name"] == name and entry["link_key"]:
            return _resolve_key(flat, entry["link_key"])
    if name in instance.proxy_values:
        return ("value", instance.proxy_values[name])
    return None


def _resolve_bypass(flat: _Flat, node: _Node, slot: int) -> tuple[str, Any] | None:
    """A bypassed node passes on its first input of the output's type."""
    out_type = node.outputs[slot].get("type") if slot < len(node.outputs) else None
    for entry in node.inputs:
        if entry["link_key"] and entry["type"] in (out_type, "*"):
            return _resolve_key(flat, entry["link_key"])
    return None


def _resolve_get_node(flat: _Flat, node: _Node) -> tuple[str, Any] | None:
    """KJNodes Get/Set: the Get node reads what the Set node with the same name receives."""
    name = (node.raw.get("widgets_values") or [None])[0]
    for other in flat.nodes.values():
        if other.type == "SetNode" and (other.raw.get("widgets_values") or [None])[0] == name:
            return _resolve_key(flat, other.inputs[0]["link_key"]) if other.inputs else None
    flat.warnings.append(f"No Set node named {name!r} for the Get node {node.id}.")
    return None


# --- building one API node -------------------------------------------------------------------

def _api_node(flat: _Flat, node: _Node, object_info: dict[str, Any]) -> dict[str, Any]:
    info = object_info.get(node.type)
    title = node.raw.get("title") or (info or {}).get("display_name") or node.type
    inputs: dict[str, Any] = {}
    if info is None:
        kept = _unknown_widget_values(flat, node)
        flat.warnings.append(
            f"Node {node.id} ({node.type}) is not known to this ComfyUI; "
            + (f"its settings ({', '.join(kept)}) were kept as the file names them."
               if kept else "the file does not name its settings, so only its links were kept; "
               "install the node pack that provides it and import again."))
        inputs.update(kept)
    else:
        inputs.update(_widget_values(flat, node, info))
    for entry in node.inputs:
        resolved = _resolve_key(flat, entry["link_key"])
        if resolved is not None:
            inputs[entry["name"]] = resolved[1]
    return {"class_type": node.type, "inputs": _ordered(inputs, info),
            "_meta": {"title": str(title)}}


def widget_inputs(info: dict[str, Any]) -> list[tuple[str, int]]:
    """(input name, widgets_values slots it takes) in the order the frontend lays widgets out."""
    out = []
    order = info.get("input_order") or {}
    declared = info.get("input") or {}
    for section in ("required", "optional"):
        names = order.get(section) or list((declared.get(section) or {}).keys())
        for name in names:
            spec = (declared.get(section) or {}).get(name)
            if not isinstance(spec, list) or not spec:
                continue
            kind, opts = spec[0], spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
            if opts.get("forceInput") or not (isinstance(kind, list) or kind in WIDGET_TYPES):
                continue
            extra = 1 if any(opts.get(flag) for flag in UPLOAD_FLAGS) else 0
            out.append((name, 1 + extra))
    return out


def _widget_values(flat: _Flat, node: _Node, info: dict[str, Any]) -> dict[str, Any]:
    """Map widgets_values (a list, or a dict for VideoHelperSuite nodes) to input names."""
    values = node.raw.get("widgets_values")
    overrides = flat.overrides.get(node.id, {})
    if isinstance(values, dict):
        mapped = {k: v for k, v in values.items()
                  if not isinstance(v, dict) and not str(k).startswith("choose ")}
        return {**mapped, **overrides}
    values = values if isinstance(values, list) else []
    mapped, index = {}, 0
    for name, slots in widget_inputs(info):
        if index >= len(values):
            break
        mapped[name] = values[index]
        index += slots
        # A seed's "fixed/randomize" control sits right after it (UI only).
        if index < len(values) and isinstance(values[index], str) and \
                values[index] in SEED_CONTROLS and isinstance(mapped[name], int):
            index += 1
    return {**mapped, **overrides}


def _unknown_widget_values(flat: _Flat, node: _Node) -> dict[str, Any]:
    """Settings of a node whose schema is unknown, read the way the newer frontend saves them:
    each widget is listed in the node's inputs ("widget": {"name": ...}), in widgets_values
    order (a seed's "fixed/randomize" control takes the slot after it). Dict-shaped
    widgets_values (VideoHelperSuite) carry their names already."""
    values = node.raw.get("widgets_values")
    overrides = flat.overrides.get(node.id, {})
    if isinstance(values, dict):
        return {**{k: v for k, v in values.items() if not isinstance(v, dict)}, **overrides}
    names = [entry["widget"] for entry in node.inputs if entry.get("widget")]
    mapped: dict[str, Any] = {}
    index = 0
    for name in names:
        if not isinstance(values, list) or index >= len(values):
            break
        mapped[name] = values[index]
        index += 1
        if index < len(values) and isinstance(values[index], str) and \
                values[index] in SEED_CONTROLS and isinstance(mapped[name], int):
            index += 1
    return {**mapped, **overrides}


def _ordered(inputs: dict[str, Any], info: dict[str, Any] | None) -> dict[str, Any]:
    """Inputs in the node's declared order (the order ComfyUI's own export uses)."""
    if not info:
        return inputs
    order = info.get("input_order") or {}
    names = [n for s in ("required", "optional") for n in order.get(s) or []]
    ranked = {n: i for i, n in enumerate(names)}
    return dict(sorted(inputs.items(), key=lambda kv: ranked.get(kv[0], len(ranked))))
