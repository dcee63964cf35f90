"""Bring your own workflow: read an API- or UI-format JSON, find its roles, patch a job into it.

`import_workflow` accepts what ComfyUI exports ("Export (API)" and the normal workflow save,
including the newer frontend's subgraphs), and what our own history stores. Node schemas come
from the live server's `/object_info`; classes it lacks fall back to the schemas bundled with the
app (so a missing custom-node pack still converts, and the validator then names the pack).
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.base.resources import read_json
from wan22_gui.core.workflow.calculator import snap_frames
from wan22_gui.core.workflow.evaluate import Evaluation, evaluate
from wan22_gui.core.workflow.graph import Graph
from wan22_gui.core.workflow.roles import FPS_INPUTS, SEED_INPUTS, describe_missing, find_roles
from wan22_gui.core.workflow.server_fit import MissingClass, blocking, missing_classes
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.core.workflow.ui_convert import ui_to_api

log = logging.getLogger("wan22.workflow")

_EXPORT_HINT = "In ComfyUI use Workflow → Export, or Export (API), and import that file."


@dataclass(frozen=True)
class ImportedWorkflow:
    """A workflow ready to be patched and queued.

    Attributes:
        graph: API-format graph.
        roles: role -> node id (same names as `BuiltWorkflow.roles`, plus "fps").
        missing_roles: roles of `roles.PATCHABLE_ROLES` that were not found.
        source_format: "api" or "ui".
        warnings: things the user should know (unknown nodes, dangling links).
        evaluated: node id -> class of the nodes worked out into plain values on import
            (switches, math expressions, primitives), which the graph no longer holds.
        notes: what the import changed on purpose (a computed frame count snapped to 4n+1).
    """

    graph: Graph
    roles: dict[str, str]
    missing_roles: list[str]
    source_format: str
    warnings: list[str] = field(default_factory=list)
    evaluated: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def missing_text(self) -> str:
        """A sentence naming the settings the app cannot change in this workflow."""
        return describe_missing(self.missing_roles)


def bundled_object_info() -> dict[str, Any]:
    """Schemas of the nodes Wan workflows use, shipped with the app (model lists empty)."""
    return read_json("workflows", "object_info_wan.json")


def load_workflow_file(path: Path, object_info: dict[str, Any] | None = None) -> ImportedWorkflow:
    """Read and import a workflow file; every failure is a WorkflowError saying what to do."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise WorkflowError(f"The workflow file {path} does not exist.",
                            hint="Check the path and try again.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError(f"The workflow file {path} cannot be read ({exc}).",
                            hint="Choose a .json workflow saved by ComfyUI.") from None
    return import_workflow(text, object_info)


def import_workflow(data: dict[str, Any] | str | bytes,
                    object_info: dict[str, Any] | None = None) -> ImportedWorkflow:
    """Import a workflow in either format and find its roles.

    Args:
        data: the parsed JSON, or its text.
        object_info: the server's `/object_info` (None: only the bundled schemas).

    Raises:
        WorkflowError: when the data is not JSON or not a ComfyUI workflow.
    """
    data = _parse(data)
    schemas = {**bundled_object_info(), **(object_info or {})}
    if isinstance(data.get("nodes"), list):
        graph, warnings = _convert_ui(data, schemas)
        source_format = "ui"
    else:
        graph, warnings = _normalise_api(_unwrap_api(data)), []
        source_format = "api"
    if not graph:
        raise WorkflowError("The workflow has no nodes that ComfyUI would run.",
                            hint="Check that its nodes are not all muted or bypassed.")
    worked = evaluate(graph, schemas)
    graph = worked.graph
    roles, missing = find_roles(graph)
    notes = [*worked.notes, *_snap_computed_length(graph, roles, worked)]
    return ImportedWorkflow(graph, roles, missing, source_format, warnings,
                            evaluated=worked.evaluated, notes=notes)


def _snap_computed_length(graph: Graph, roles: dict[str, str], worked: Evaluation) -> list[str]:
    """A frame count a math expression computed, moved to Wan's 4n+1, with a note saying so
    (the template's floor(duration·fps+1) gives e.g. 53 for 3.3 s; Wan would make 49)."""
    latent = roles.get("latent")
    if latent is None or (latent, "length") not in worked.computed:
        return []
    expression, value = worked.computed[(latent, "length")]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1 or (value - 1) % 4 == 0:
        return []
    snapped = snap_frames(value)
    graph[latent]["inputs"]["length"] = snapped
    return [f"The workflow computes {value} frames ({expression.strip()}); Wan 2.2 makes 4n+1 "
            f"frames, so the app uses {snapped}."]


def _convert_ui(data: dict[str, Any], schemas: dict[str, Any]) -> tuple[Graph, list[str]]:
    try:
        return ui_to_api(data, schemas)
    except WorkflowError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # A hand-edited or damaged file: say so instead of showing a traceback.
        log.warning("UI workflow conversion failed", exc_info=True)
        raise WorkflowError(f"The workflow file is damaged and cannot be converted ({exc!r}).",
                            hint=_EXPORT_HINT) from None


@dataclass(frozen=True)
class ImportReport:
    """What an import dialog shows about one workflow on one server.

    Attributes:
        roles: (role, node id, class) of each setting the app found, sorted by role.
        missing_roles: a sentence naming the settings the app cannot change ("" when none).
        lacking: node classes the server does not have that stop the workflow, each with its
            advice (`server_fit.MissingClass`).
        notes: evaluated newer nodes, snapped frame counts, warnings.
    """

    roles: list[tuple[str, str, str]]
    missing_roles: str
    lacking: list[MissingClass]
    notes: list[str]

    @property
    def ready(self) -> bool:
        return not self.lacking


def import_notes(imported: ImportedWorkflow, object_info: dict[str, Any], *,
                 comfyui_version: str | None = None) -> list[str]:
    """Notes for the user: newer nodes the import evaluated (and which version has them) and
    what the import changed on purpose."""
    missing = missing_classes(imported.graph, object_info, comfyui_version=comfyui_version,
                              evaluated=imported.evaluated)
    return [m.sentence() for m in missing if m.evaluated] + list(imported.notes)


def describe_import(imported: ImportedWorkflow, object_info: dict[str, Any], *,
                    comfyui_version: str | None = None) -> ImportReport:
    """Everything an import dialog shows: roles found, what the server lacks, notes."""
    roles = [(role, node_id, str(imported.graph[node_id].get("class_type")))
             for role, node_id in sorted(imported.roles.items())]
    missing = missing_classes(imported.graph, object_info, comfyui_version=comfyui_version,
                              evaluated=imported.evaluated)
    notes = [*import_notes(imported, object_info, comfyui_version=comfyui_version),
             *imported.warnings]
    return ImportReport(roles, imported.missing_text(), blocking(missing), notes)


def apply_spec(imported: ImportedWorkflow, spec: JobSpec, uploaded_image_name: str, *,
               seed: int) -> Graph:
    """A copy of the imported graph with the job's settings written into its role nodes.

    Image, size, length, prompts, seed, fps and filename prefix are always set (where their
    role was found); steps, split, cfg and shift only when the spec sets them explicitly, so a
    workflow's own sampling stays unless the user changes it.
    """
    graph = copy.deepcopy(imported.graph)
    roles = imported.roles

    def put(role: str, name: str, value: Any) -> None:
        if role in roles and value is not None:
            graph[roles[role]]["inputs"][name] = value

    put("image", "image", uploaded_image_name)
    for name, value in (("width", spec.width), ("height", spec.height), ("length", spec.frames)):
        put("latent", name, value)
    put("positive", "text", spec.prompt)
    put("negative", "text", spec.negative_prompt)
    high_class = graph.get(roles.get("sampler_high", ""), {}).get("class_type")
    put("sampler_high", SEED_INPUTS.get(high_class, "noise_seed"), seed)
    fps_class = graph.get(roles.get("fps", ""), {}).get("class_type")
    put("fps", FPS_INPUTS.get(fps_class, "fps"), _number(spec.fps))
    if spec.filename_prefix:
        put("save", "filename_prefix", spec.filename_prefix)
    _apply_sampling(put, spec, high_class)
    return graph


def _apply_sampling(put: Any, spec: JobSpec, high_class: str | None) -> None:
    """Steps, split, cfg and shift, only those the user set."""
    for role in ("sampler_high", "sampler_low"):
        put(role, "steps", spec.steps)
        put(role, "cfg", None if spec.cfg is None else _number(spec.cfg))
    if spec.split_step is not None and high_class == "KSamplerAdvanced":
        put("sampler_high", "end_at_step", spec.split_step)
        put("sampler_low", "start_at_step", spec.split_step)
    for role in ("shift_high", "shift_low"):
        put(role, "shift", spec.shift)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _parse(data: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise WorkflowError("The workflow file is not text.", hint=_EXPORT_HINT) from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise WorkflowError(
                f"The workflow file is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}).", hint=_EXPORT_HINT) from None
        except RecursionError:  # json.loads recurses once per level of nesting
            raise WorkflowError("The workflow file is nested too deeply to be a ComfyUI "
                                "workflow (thousands of brackets inside each other).",
                                hint=_EXPORT_HINT) from None
    if not isinstance(data, dict):
        raise WorkflowError("The workflow file does not hold a ComfyUI workflow "
                            f"(it is a JSON {type(data).__name__}).", hint=_EXPORT_HINT)
    return data


def _unwrap_api(data: dict[str, Any]) -> dict[str, Any]:
    """Accept a bare API graph or a POST /prompt body ({"prompt": graph, ...})."""
    if isinstance(data.get("prompt"), dict) and "class_type" not in data["prompt"]:
        return data["prompt"]
    return data


def _normalise_api(data: dict[str, Any]) -> Graph:
    """Check the API graph's shape; ids and link ids become strings."""
    graph: Graph = {}
    for node_id, node in data.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise WorkflowError(
                f"This is not a ComfyUI workflow: entry {node_id!r} has no class_type.",
                hint=_EXPORT_HINT)
        inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
        fixed = {}
        for name, value in inputs.items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) \
                    and not isinstance(value[0], bool) and isinstance(value[1], int):
                value = [str(value[0]), value[1]]
            fixed[name] = value
        meta = node.get("_meta") if isinstance(node.get("_meta"), dict) else {}
        graph[str(node_id)] = {"class_type": node["class_type"], "inputs": fixed,
                               "_meta": {"title": meta.get("title") or node["class_type"]}}
    return graph


__all__ = ["ImportReport", "ImportedWorkflow", "import_workflow", "load_workflow_file",
           "apply_spec", "bundled_object_info", "describe_import", "import_notes"]
