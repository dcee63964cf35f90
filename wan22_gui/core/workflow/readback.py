"""Reading a job's settings back out of an imported workflow, for the Generate form.

The reverse of `importer.apply_spec`: the prompts, size, length, frame rate, seed, sampling and
model files found through the workflow's roles replace those of a base spec; what the workflow
does not say stays as it was. `summary` lists what a user should see before using it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from wan22_gui.core.workflow.graph import Graph, is_link
from wan22_gui.core.workflow.importer import ImportedWorkflow
from wan22_gui.core.workflow.roles import FPS_INPUTS, SEED_INPUTS
from wan22_gui.core.workflow.spec import JobSpec

MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")


@dataclass(frozen=True)
class ReadBack:
    """The spec to show, and what was taken from the workflow (one phrase each)."""

    spec: JobSpec
    taken: list[str] = field(default_factory=list)


def model_files(graph: Graph) -> list[str]:
    """Every model file the workflow loads, as "file (Class)", in node order."""
    found = []
    for node in graph.values():
        for value in node.get("inputs", {}).values():
            if isinstance(value, str) and value.lower().endswith(MODEL_SUFFIXES):
                found.append(f"{value} ({node.get('class_type')})")
    return list(dict.fromkeys(found))


def settings_of(imported: ImportedWorkflow, base: JobSpec) -> ReadBack:
    """`base` with every setting the workflow states."""
    graph, roles = imported.graph, imported.roles
    changes: dict[str, Any] = {}
    taken: list[str] = []

    def value(role: str, name: str) -> Any:
        node = graph.get(roles.get(role, ""))
        found = node.get("inputs", {}).get(name) if node else None
        return None if is_link(found) else found

    for field_name, role in (("prompt", "positive"), ("negative_prompt", "negative")):
        text = value(role, "text")
        if isinstance(text, str):
            changes[field_name] = text
            taken.append(field_name.replace("_", " "))
    size = [_int(value("latent", n)) for n in ("width", "height", "length")]
    if size[0] and size[1]:
        changes.update(width=size[0], height=size[1])
        taken.append(f"size {size[0]}×{size[1]}")
    if size[2]:
        changes["frames"] = size[2]
        taken.append(f"{size[2]} frames")
    fps_class = graph.get(roles.get("fps", ""), {}).get("class_type", "")
    fps = _float(value("fps", FPS_INPUTS.get(fps_class, "fps")))
    if fps:
        changes["fps"] = fps
        taken.append(f"{fps:g} fps")
    taken += _sampling(value, graph, roles, changes)
    models = _models(value, roles, base)
    if models is not None:
        changes["models"], changes["use_lora"] = models
        taken.append("model files")
    return ReadBack(replace(base, **changes), taken)


def _sampling(value: Any, graph: Graph, roles: dict[str, str], changes: dict[str, Any]
              ) -> list[str]:
    taken = []
    high_class = graph.get(roles.get("sampler_high", ""), {}).get("class_type", "")
    seed = _int(value("sampler_high", SEED_INPUTS.get(high_class, "noise_seed")))
    if seed is not None:
        changes["seed"] = seed
        taken.append(f"seed {seed}")
    steps, cfg = _int(value("sampler_high", "steps")), _float(value("sampler_high", "cfg"))
    if steps:
        changes["steps"] = steps
        taken.append(f"{steps} steps")
    if cfg is not None:
        changes["cfg"] = cfg
    split = _int(value("sampler_high", "end_at_step"))
    if split and steps and split < steps:
        changes["split_step"] = split
    for name in ("sampler_name", "scheduler"):
        text = value("sampler_high", name)
        if isinstance(text, str):
            changes[name] = text
    shift = _float(value("shift_high", "shift"))
    if shift is not None:
        changes["shift"] = shift
    return taken


def _models(value: Any, roles: dict[str, str], base: JobSpec) -> tuple[Any, bool] | None:
    files = {}
    for half in ("high", "low"):
        unet = value(f"unet_{half}", "unet_name")
        if isinstance(unet, str):
            files[f"unet_{half}"] = unet
        lora = value(f"lora_{half}", "lora_name")
        if isinstance(lora, str):
            files[f"lora_{half}"] = lora
    if not files:
        return None
    use_lora = "lora_high" in roles or "lora_low" in roles
    return replace(base.models, **files), use_lora


def _int(raw: Any) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    return int(raw)


def _float(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    return float(raw)
