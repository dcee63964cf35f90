"""What a workflow needs that one ComfyUI lacks: every missing node class at once, with advice.

ComfyUI's own check stops at the first unknown class, so a user would fix one and meet the
next. This lists them all, grouped by class with the nodes that use it, and says "update
ComfyUI to X or newer (you have Y)" for core nodes of newer versions (the version table) and
which custom-node pack to install for the rest. Classes the importer already evaluated into
plain values (switches, math expressions) are named too, but do not stop the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from wan22_gui.core.comfy.problems import provider_of
from wan22_gui.core.workflow.graph import Graph


@dataclass(frozen=True)
class MissingClass:
    """One node class this server does not have.

    Attributes:
        class_type: the class name.
        node_ids: the nodes of the workflow that use it.
        advice: what to do ("update ComfyUI to 0.13.0 or newer (you have 0.3.64); ...").
        evaluated: True when the importer replaced those nodes by their values, so the
            workflow runs on this server anyway.
    """

    class_type: str
    node_ids: tuple[str, ...]
    advice: str
    evaluated: bool = False

    def sentence(self) -> str:
        nodes = ", ".join(f"#{n}" for n in self.node_ids)
        if self.evaluated:
            return (f"{self.class_type} ({nodes}) is not on this ComfyUI; the app worked out its "
                    f"value, so the workflow runs here (to run the file unchanged, {self.advice})")
        return f"this ComfyUI has no node type {self.class_type} ({nodes}): {self.advice}"


def missing_classes(graph: Graph, object_info: Mapping[str, Any], *,
                    comfyui_version: str | None = None,
                    evaluated: Mapping[str, str] | None = None) -> list[MissingClass]:
    """Every class of `graph` (and of the evaluated nodes: id -> class) the server lacks."""
    users: dict[str, list[str]] = {}
    for node_id, node in graph.items():
        class_type = node.get("class_type") if isinstance(node, dict) else None
        if isinstance(class_type, str) and class_type not in object_info:
            users.setdefault(class_type, []).append(str(node_id))
    gone: dict[str, list[str]] = {}
    for node_id, class_type in (evaluated or {}).items():
        if class_type not in object_info and class_type not in users:
            gone.setdefault(class_type, []).append(str(node_id))
    return [*_entries(users, comfyui_version, False), *_entries(gone, comfyui_version, True)]


def blocking(missing: Iterable[MissingClass]) -> list[MissingClass]:
    """The missing classes that stop the workflow from running on this server."""
    return [m for m in missing if not m.evaluated]


def _entries(users: dict[str, list[str]], version: str | None, evaluated: bool) -> list[MissingClass]:
    return [MissingClass(name, tuple(sorted(ids, key=_id_key)), provider_of(name, version), evaluated)
            for name, ids in sorted(users.items())]


def _id_key(node_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 1 << 40 for p in node_id.split(":"))


__all__ = ["MissingClass", "blocking", "missing_classes"]
