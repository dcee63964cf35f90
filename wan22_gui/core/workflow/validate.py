"""Check a graph against the live `/object_info` before queueing it.

Catches what ComfyUI would refuse (unknown node classes, missing model files, missing inputs,
links to nodes that are not there, outputs of the wrong type, values out of range) and what it
would accept but get wrong (Wan's length must be 4n+1 and its sizes multiples of 16; the two
sampler passes must meet at the split step). Each problem names the node and what to do.
"""

from __future__ import annotations

import math
from typing import Any

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.comfy.problems import model_folder, provider_of
from wan22_gui.core.comfy.types import ValidationProblem
from wan22_gui.core.base.resources import read_json
from wan22_gui.core.workflow.calculator import snap_frames, snap_size
from wan22_gui.core.workflow.graph import Graph, is_link, title_of
from wan22_gui.core.workflow.roles import LATENT_CLASSES

_SCALARS = {"INT", "FLOAT", "STRING", "BOOLEAN"}
_UPLOAD_FLAGS = ("image_upload", "video_upload", "audio_upload")


def validate(graph: Graph, object_info: dict[str, Any], *,
             comfyui_version: str | None = None) -> list[ValidationProblem]:
    """Every problem found, ordered by node id (empty when the graph is fine to queue).

    `comfyui_version` (the server's) goes into the advice for core nodes of newer versions."""
    problems: list[ValidationProblem] = []
    if not isinstance(graph, dict) or not graph:
        return [ValidationProblem(None, None, None, None, None, "the workflow is empty",
                                  "Build or import a workflow first.")]
    for node_id in sorted(graph, key=_id_key):
        problems += _check_node(graph, node_id, object_info, comfyui_version)
    problems += _check_cycles(graph)
    problems += _check_passes(graph)
    if not any((object_info.get(n.get("class_type")) or {}).get("output_node")
               for n in graph.values() if isinstance(n, dict)):
        problems.append(ValidationProblem(
            None, None, None, None, None, "the workflow has no output node, so nothing would run",
            "Add a node that saves the result, such as SaveVideo."))
    return problems


def structure_problems(graph: Graph) -> list[ValidationProblem]:
    """Links to nodes that are not there, and loops, found without a server (run before any
    job is sent: ComfyUI answers the first with a KeyError on the wrong input and the
    second with "Prompt outputs failed validation")."""
    if not isinstance(graph, dict):
        return []
    problems = []
    for node_id in sorted(graph, key=_id_key):
        node = graph[node_id]
        inputs = node.get("inputs") if isinstance(node, dict) else None
        for name, value in (inputs.items() if isinstance(inputs, dict) else ()):
            if is_link(value) and not isinstance(graph.get(value[0]), dict):
                problems.append(_dangling(graph, node_id, name, value))
            elif isinstance(value, float) and not math.isfinite(value):
                problems.append(_not_finite(graph, node_id, name, value))
    return problems + _check_cycles(graph)


def _not_finite(graph: Graph, node_id: str, name: str, value: float) -> ValidationProblem:
    # JSON has no NaN or infinity: ComfyUI would never receive this workflow
    return _problem(graph, node_id, name, value, f"{value} is not a finite number",
                    "Enter a number.")


def refuse_broken_structure(graph: Graph) -> None:
    """Raise WorkflowError listing `structure_problems(graph)`, if there are any."""
    problems = structure_problems(graph)
    if problems:
        raise WorkflowError("The workflow cannot run:\n" + "\n".join(f"  - {p}" for p in problems),
                            "Fix the links in ComfyUI, export the workflow again and reload it.")


def _dangling(graph: Graph, node_id: str, name: str, link: list) -> ValidationProblem:
    return _problem(graph, node_id, name, link,
                    f"it is connected to node #{link[0]}, which is not in the workflow",
                    "Reconnect it, or import the workflow again.")


def _check_cycles(graph: Graph) -> list[ValidationProblem]:
    """One problem per loop (A → B → A): ComfyUI could never run its nodes."""
    problems, done = [], set()  # type: list[ValidationProblem], set[str]
    for start in sorted(graph, key=_id_key):
        cycle = _find_cycle(graph, start, done)
        if cycle:
            first, back = cycle[0], cycle[-2]  # `back` feeds `first` and closes the loop
            name, link = next((n, v) for n, v in _links_of(graph, first) if v[0] == back)
            path = " → ".join(f"#{i} {title_of(graph, i)}" for i in cycle)
            problems.append(_problem(graph, first, name, link,
                                     f"it closes a loop ({path}), so none of these nodes "
                                     "could ever run",
                                     "Remove one of the links in the loop."))
    return problems


def _find_cycle(graph: Graph, start: str, done: set[str]) -> list[str] | None:
    """A loop reachable from `start` through its inputs, in data-flow order [a, ..., a].

    Iterative (a long chain must not hit Python's recursion limit); nodes already explored
    are skipped, so each loop is reported once."""
    if start in done:
        return None
    path = [start]
    stack = [iter([v[0] for _, v in _links_of(graph, start)])]
    while stack:
        source = next(stack[-1], None)
        if source is None:  # every input of path[-1] explored: no loop through it
            done.add(path.pop())
            stack.pop()
        elif source in path:
            loop = path[path.index(source):] + [source]
            done.update(path)
            return list(reversed(loop))
        elif source not in done and isinstance(graph.get(source), dict):
            path.append(source)
            stack.append(iter([v[0] for _, v in _links_of(graph, source)]))
    return None


def _links_of(graph: Graph, node_id: str) -> list[tuple[str, list]]:
    node = graph.get(node_id)
    inputs = node.get("inputs") if isinstance(node, dict) else None
    return [(n, v) for n, v in (inputs.items() if isinstance(inputs, dict) else ())
            if is_link(v)]


def missing_model_files(graph: Graph, object_info: dict[str, Any]) -> list[tuple[str, str]]:
    """(file name, models/ subfolder) for each model file the server does not have."""
    found = []
    for problem in validate(graph, object_info):
        folder = model_folder(problem.class_type, problem.input_name)
        if folder and "not in ComfyUI's models/" in problem.message:
            found.append((str(problem.received_value), folder))
    return sorted(set(found))


def _id_key(node_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 1 << 40 for p in str(node_id).split(":"))


def _problem(graph: Graph, node_id: str, input_name: str | None, value: Any, message: str,
             fix: str = "") -> ValidationProblem:
    node = graph[node_id] if isinstance(graph.get(node_id), dict) else {}
    return ValidationProblem(node_id, title_of(graph, node_id), node.get("class_type"),
                             input_name, value, message, fix)


def _check_node(graph: Graph, node_id: str, object_info: dict[str, Any],
                comfyui_version: str | None = None) -> list:
    node = graph[node_id]
    if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
        return [ValidationProblem(node_id, None, None, None, None, "the node has no class_type",
                                  "The workflow file is damaged; export it again.")]
    class_type = node["class_type"]
    info = object_info.get(class_type)
    if info is None:
        return [_problem(graph, node_id, None, None,
                         f"this ComfyUI has no node type '{class_type}'",
                         f"To use it, {provider_of(class_type, comfyui_version)}.")]
    inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
    declared = info.get("input") or {}
    problems = []
    for name in (declared.get("required") or {}):
        if name not in inputs:
            problems.append(_problem(graph, node_id, name, None, "a required input is missing",
                                     "Connect it to a node or give it a value."))
    for section in ("required", "optional"):
        for name, spec in (declared.get(section) or {}).items():
            if name in inputs:
                problems += _check_input(graph, node_id, name, inputs[name], spec, object_info)
    if class_type in LATENT_CLASSES:
        problems += _check_wan_sizes(graph, node_id, inputs)
    return problems


def _check_input(graph: Graph, node_id: str, name: str, value: Any, spec: Any,
                 object_info: dict[str, Any]) -> list:
    kind = spec[0] if isinstance(spec, list) and spec else None
    opts = spec[1] if isinstance(spec, list) and len(spec) > 1 and isinstance(spec[1], dict) \
        else {}
    if is_link(value):
        return _check_link(graph, node_id, name, value, kind, object_info)
    if isinstance(value, list):
        return [_problem(graph, node_id, name, value, "its link is malformed",
                         "A link must be [node id, output index]; export the workflow again.")]
    options = kind if isinstance(kind, list) else opts.get("options") if kind == "COMBO" \
        else None
    if options is not None:
        return _check_choice(graph, node_id, name, value, options, opts)
    if kind in _SCALARS:
        return _check_scalar(graph, node_id, name, value, kind, opts)
    return []


def _check_link(graph: Graph, node_id: str, name: str, link: list, kind: Any,
                object_info: dict[str, Any]) -> list:
    source_id, slot = link
    source = graph.get(source_id)
    if not isinstance(source, dict):
        return [_dangling(graph, node_id, name, link)]
    source_info = object_info.get(source.get("class_type"))
    if source_info is None:
        return []  # the unknown class is reported on its own node
    outputs = source_info.get("output") or []
    if not 0 <= slot < len(outputs):
        return [_problem(graph, node_id, name, link,
                         f"it is connected to output {slot} of '{title_of(graph, source_id)}', "
                         f"which has only {len(outputs)} outputs",
                         "Reconnect it to an existing output.")]
    got = outputs[slot]
    if isinstance(kind, str) and not _types_match(got if isinstance(got, str) else "COMBO", kind):
        return [_problem(graph, node_id, name, link,
                         f"it expects {kind} but is connected to a {got} output of "
                         f"'{title_of(graph, source_id)}'",
                         f"Connect it to a {kind} output.")]
    return []


def _types_match(received: str, expected: str) -> bool:
    """ComfyUI's rule: '*' matches anything; comma lists match when they share a type."""
    if "*" in (received, expected) or received == expected:
        return True
    return bool(set(received.split(",")) & set(expected.split(",")))


def _check_choice(graph: Graph, node_id: str, name: str, value: Any, options: list,
                  opts: dict) -> list:
    if value in options or any(opts.get(flag) for flag in _UPLOAD_FLAGS):
        return []  # uploaded files appear in the list only after the upload
    class_type = graph[node_id].get("class_type")
    folder = model_folder(class_type, name)
    if folder:
        there = "it has no files there" if not options else \
            f"it has {len(options)} other file{'s' if len(options) != 1 else ''}"
        return [_problem(graph, node_id, name, value,
                         f"the file '{value}' is not in ComfyUI's models/{folder}/ ({there})",
                         f"Download '{value}' into ComfyUI/models/{folder}/ (or pick a file "
                         f"that is there), then refresh the model lists.{_source_hint(value)}")]
    shown = ", ".join(repr(o) for o in options[:8]) + (", ..." if len(options) > 8 else "")
    return [_problem(graph, node_id, name, value, f"'{value}' is not one of the allowed values",
                     f"Choose one of: {shown}." if options else "")]


def _source_hint(file_name: Any) -> str:
    """Where the official workflow downloads a known model file from (or nothing)."""
    source = read_json("workflows", "model_sources.json").get(str(file_name))
    return f" It is published at {source['url']}" if source else ""


def _check_scalar(graph: Graph, node_id: str, name: str, value: Any, kind: str,
                  opts: dict) -> list:
    numeric = kind in ("INT", "FLOAT")
    if kind == "BOOLEAN" and not isinstance(value, bool) or numeric and (
            isinstance(value, bool) or not isinstance(value, (int, float))) or \
            kind == "INT" and isinstance(value, float) and not value.is_integer():
        return [_problem(graph, node_id, name, value, f"'{value}' is not a valid {kind}",
                         f"Enter a {kind} value.")]
    if not numeric:
        return []
    if isinstance(value, float) and not math.isfinite(value):
        return [_not_finite(graph, node_id, name, value)]
    low, high = opts.get("min"), opts.get("max")
    if low is not None and value < low or high is not None and value > high:
        return [_problem(graph, node_id, name, value, f"{value} is out of range",
                         f"The allowed range is {low} to {high}.")]
    return []


def _check_wan_sizes(graph: Graph, node_id: str, inputs: dict[str, Any]) -> list:
    """Rules ComfyUI does not check: length 4n+1, width and height multiples of 16."""
    problems = []
    length = inputs.get("length")
    if isinstance(length, int) and not isinstance(length, bool) and (length - 1) % 4:
        problems.append(_problem(
            graph, node_id, "length", length, f"Wan needs 4n+1 frames and {length} is not",
            f"Use {snap_frames(length)} frames (the nearest valid count)."))
    for name in ("width", "height"):
        value = inputs.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value % 16:
            problems.append(_problem(
                graph, node_id, name, value, f"Wan needs multiples of 16 and {value} is not",
                f"Use {snap_size(value)}."))
    return problems


def _check_passes(graph: Graph) -> list:
    """KSamplerAdvanced passes: the split lies within the steps and pass 2 starts where 1 ends."""
    problems = []
    samplers = {i: n["inputs"] for i, n in graph.items()
                if isinstance(n, dict) and n.get("class_type") == "KSamplerAdvanced"
                and isinstance(n.get("inputs"), dict)}
    for node_id, inputs in samplers.items():
        steps, start, end = (inputs.get(k) for k in ("steps", "start_at_step", "end_at_step"))
        if not all(_is_int(v) for v in (steps, start, end)):
            continue
        if inputs.get("return_with_leftover_noise") == "enable" and not 0 < end < steps:
            problems.append(_problem(
                graph, node_id, "end_at_step", end,
                f"the first pass hands over at step {end}, outside 1..{steps - 1} of {steps} steps",
                "Set the split step between 1 and steps - 1."))
        if start >= min(end, steps):
            problems.append(_problem(
                graph, node_id, "start_at_step", start,
                f"this pass starts at step {start} and so runs no steps",
                "Start it before its end step and before the total number of steps."))
        previous = inputs.get("latent_image")
        if is_link(previous) and previous[0] in samplers:
            first = samplers[previous[0]]
            if _is_int(first.get("end_at_step")) and first["end_at_step"] != start:
                problems.append(_problem(
                    graph, node_id, "start_at_step", start,
                    f"the second pass starts at step {start} but the first stops at "
                    f"{first['end_at_step']}",
                    "Use the same split step for both passes."))
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
