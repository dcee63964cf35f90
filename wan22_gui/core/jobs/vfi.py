"""Generation followed directly by RIFE or FILM in the same ComfyUI prompt (16 → 32 fps).

When a JobSpec asks for `interpolation`, the job runner checks the server's nodes before
anything is sent (`check_server`); a server with neither the core nodes nor the pack makes
the clip alone, and the built-in engine interpolates it here after the download
(`interpolate_here`, the last link of `interpolation.fallback`'s chain). Otherwise it appends
the VFI node(s) and a second save after the decode (`add_vfi`, from
`interpolation.comfy_vfi.append_vfi`), and after the prompt downloads both clips. The interpolated clip gets its own history row, written by the same code as the
Gallery's interpolations (`interpolation.runner`), linked to the generation by `parent_id`, so
the gallery groups it under the clip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from wan22_gui.core.comfy.types import output_files_of
from wan22_gui.core.base.errors import Wan22Error, WorkflowError
from wan22_gui.core.interpolation.cached import reused_from, upstream_signature
from wan22_gui.core.interpolation.comfy_vfi import (
    CORE_LOADER, PACK_NODES, VFI_CLASSES, VfiPlan, append_vfi, plan_vfi,
)
from wan22_gui.core.interpolation.fallback import LocalVfi, missing_engine_on
from wan22_gui.core.workflow.builder import BuiltWorkflow
from wan22_gui.core.workflow.validate import validate

log = logging.getLogger("wan22.jobs")


def vfi_prefix(spec: Any) -> str:
    """The interpolated clip's save prefix: the clip's own plus `_<method>_x<m>`, so the file
    name says which engine made it (as the Gallery's interpolations do)."""
    return f"{spec.filename_prefix}_{spec.interpolation}_x{spec.interpolation_multiplier}"


def check_server(client: Any, spec: Any) -> tuple[tuple[VfiPlan, dict] | None, LocalVfi | None]:
    """How `spec.interpolation` runs with the client's server: (node family and weights,
    object_info) when it has the core nodes or the pack, else (None, the built-in engine's
    run after the download with the note that says why).

    Raises:
        WorkflowError: a chosen model the server does not list; raised before anything is sent.
    """
    model = getattr(spec, "interpolation_model", None)
    note = missing_engine_on(client, spec.interpolation, model)
    if note is not None:
        return None, LocalVfi(spec.interpolation, int(spec.interpolation_multiplier), note)
    object_info = client.object_info(refresh=True)  # a pack installed since the last read counts
    return (plan_vfi(object_info, spec.interpolation, model=model), object_info), None


def interpolate_here(history: Any, output_dir: Path, parent_id: str, clip: Path,
                     local: LocalVfi, cancel: Any = None) -> tuple[str | None, list[Path], str]:
    """The built-in engine's run on a generated clip whose server could not interpolate.

    Returns:
        (the "interpolate" row's id or None, [the interpolated clip] or [], what to tell the
        user: the fallback note, plus the failure when the run failed; the clip itself stays).
    """
    from wan22_gui.core.interpolation.runner import InterpolationRequest, InterpolationRunner

    request = InterpolationRequest(clip, "builtin", local.multiplier, parent_id=parent_id,
                                   requested=local.method, note=local.note)
    try:
        result = InterpolationRunner(history, output_dir).run(request, cancel=cancel)
    except Wan22Error as exc:
        log.warning("built-in interpolation of %s failed: %s", clip, exc)
        rows = [r for r in history.children(parent_id) if r.kind == "interpolate"]
        return (rows[-1].job_id if rows else None), [], \
            f"{local.note} It failed: {exc.user_text()} The clip itself was saved."
    return result.job_id, [result.output], local.note


def add_vfi(built: BuiltWorkflow, spec: Any, plan: VfiPlan, object_info: dict) -> BuiltWorkflow:
    """The generation graph with RIFE/FILM and a second save (fps·m) after its decode.

    Raises:
        WorkflowError: no decode node to follow, a multiplier or frame rate the nodes refuse,
            or an added node the server would reject (each problem on its own line).
    """
    graph, roles = append_vfi(built.graph, built.roles, plan, spec.interpolation_multiplier,
                              spec.fps, vfi_prefix(spec), object_info)
    added = set(graph) - set(built.graph)
    problems = [p for p in validate(graph, object_info) if p.node_id in added]
    if problems:
        raise WorkflowError(
            "ComfyUI would refuse the interpolation nodes:\n"
            + "\n".join(f"  - {p}" for p in problems),
            "Choose none under After generation, or fix the server as each line says.")
    return BuiltWorkflow(graph, roles, built.seed)


@dataclass(frozen=True)
class CombinedVfi:
    """What a generation job's graph interpolates, read back from the graph that was sent.

    Attributes:
        plan: method, node family and weights (for the label "RIFE ×2 (ComfyUI, rife49)").
        multiplier: m; the interpolated clip has (n-1)·m+1 frames at fps·m.
        prefix: the interpolated clip's save prefix.
        save_id: the node that saves it (None if not found: files are told apart by name).
        node_ids: the VFI node(s), whose run time is the interpolation time.
    """

    plan: VfiPlan
    multiplier: int
    prefix: str
    save_id: str | None
    node_ids: frozenset[str]

    @classmethod
    def of(cls, spec: Any, graph: Mapping[str, Mapping] | None) -> "CombinedVfi | None":
        """The job's interpolation, or None when it has none (also for a job recovered after
        the app restarted, whose spec and graph come from the history)."""
        if not spec.interpolation or not graph:
            return None
        nodes = {str(k): n for k, n in graph.items() if n.get("class_type") in VFI_CLASSES}
        if not nodes:
            return None
        prefix = vfi_prefix(spec)
        save_id = next((str(k) for k, n in graph.items()
                        if (n.get("inputs") or {}).get("filename_prefix") == prefix), None)
        return cls(_plan_of(spec.interpolation, nodes), int(spec.interpolation_multiplier),
                   prefix, save_id, frozenset(nodes))

    @property
    def label(self) -> str:
        return self.plan.label(self.multiplier)

    def split(self, files: Sequence[Any], history: Any = None) -> tuple[list, list]:
        """(the clip's files, the interpolated clip's files) among what the prompt saved.

        The server's history says which node saved what; without it (events only) the
        interpolated clip is the one whose name starts with its prefix.
        """
        by_node = getattr(history, "outputs", None) or {}
        if self.save_id is not None and self.save_id in by_node:
            names = {(f.filename, f.subfolder) for f in output_files_of(
                {self.save_id: by_node[self.save_id]})}
            mine = [f for f in files if (f.filename, f.subfolder) in names]
        else:
            stem = self.prefix.rsplit("/", 1)[-1] + "_"
            mine = [f for f in files if f.filename.startswith(stem)]
        return [f for f in files if f not in mine], mine

    def seconds(self, node_timings: Iterable[Mapping[str, Any]]) -> float:
        """How long the VFI node(s) ran, from the job's per-node timings."""
        return round(sum(float(n.get("seconds") or 0.0) for n in node_timings
                         if n.get("node_id") in self.node_ids and not n.get("cached")), 3)

    def all_cached(self, node_timings: Iterable[Mapping[str, Any]]) -> bool:
        """Whether ComfyUI served every VFI node from its cache (a re-run: no work done)."""
        mine = [n for n in node_timings if n.get("node_id") in self.node_ids]
        return bool(mine) and all(n.get("cached") for n in mine)

    def started_at(self, node_timings: Iterable[Mapping[str, Any]]) -> float | None:
        starts = [n["start"] for n in node_timings
                  if n.get("node_id") in self.node_ids and n.get("start") is not None]
        return min(starts) if starts else None


def _plan_of(method: str, nodes: Mapping[str, Mapping]) -> VfiPlan:
    for node in nodes.values():
        inputs = node.get("inputs") or {}
        if node.get("class_type") == PACK_NODES.get(method):
            return VfiPlan(method, "pack", str(inputs.get("ckpt_name", "")))
        if node.get("class_type") == CORE_LOADER:
            model = next((v for v in inputs.values() if isinstance(v, str)), "")
            return VfiPlan(method, "core", model)
    return VfiPlan(method, "pack", "")


def record_child(history: Any, parent: Any, vfi: CombinedVfi, clip: Path, *,
                 output: Path | None = None, timings: dict[str, float] | None = None,
                 error: Exception | None = None, started_at: float | None = None,
                 cached: bool = False) -> str:
    """Add the "interpolate" row of the clip a combined job made; returns its id.

    Args:
        parent: the generation's JobRecord (its id, graph, server and prompt are shared).
        clip: the generated clip (the row's source); output: the interpolated one, with
            `timings` (succeeded), or `error` (failed).
        cached: ComfyUI served the VFI node from its cache; the row then says so and takes
            the work time of the earlier run that made the same clip (`cached.reused_from`).
    """
    from wan22_gui.core.interpolation.runner import (
        InterpolationRequest, fail_record, finish_record, start_record,
    )
    from wan22_gui.core.video.reader import probe

    request = InterpolationRequest(clip, vfi.plan.method, vfi.multiplier,
                                   parent_id=parent.job_id, model=vfi.plan.model or None)
    child = start_record(history, request, probe(clip), vfi.label, started_at=started_at,
                         graph=parent.graph, server_url=parent.server_url,
                         prompt_id=parent.prompt_id)
    if output is not None:
        timings = dict(timings or {})
        metrics: dict[str, Any] = {}
        if cached:
            signature = upstream_signature(parent.graph, vfi.node_ids)
            metrics, timings["interpolate"] = reused_from(
                history, server_url=parent.server_url, exclude=child,
                same=lambda row: upstream_signature(row.graph, vfi.node_ids) == signature)
        finish_record(history, child, output, vfi.label, timings, metrics=metrics)
    else:
        fail_record(history, child, error or RuntimeError("no interpolated clip"))
    return child
