"""What one backend can run, read from its `/object_info`, and what a graph needs of it.

A backend can run a graph when it has every node class the graph uses and, for every input
that ComfyUI offers as a list of choices (model files, LoRAs, samplers), the value the graph
asks for is among them. The start image is not checked: it is uploaded to the backend first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# inputs whose value is an upload the runner makes on that backend, not a file it must have
UPLOADED_INPUTS = frozenset({("LoadImage", "image")})


@dataclass(frozen=True)
class Capabilities:
    """Node classes and the allowed values of every choice input of one backend."""

    node_classes: frozenset[str] = frozenset()
    choices: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, object_info: dict[str, Any]) -> Capabilities:
        choices: dict[tuple[str, str], frozenset[str]] = {}
        for class_type, info in object_info.items():
            inputs = info.get("input", {}) if isinstance(info, dict) else {}
            for group in ("required", "optional"):
                for name, spec in (inputs.get(group) or {}).items():
                    allowed = _choice_list(spec)
                    if allowed is not None:
                        choices[(class_type, name)] = frozenset(allowed)
        return cls(frozenset(object_info), choices)

    def models(self, input_name: str) -> set[str]:
        """Every value offered for inputs called `input_name` (e.g. "unet_name")."""
        return {v for (_, name), values in self.choices.items() if name == input_name
                for v in values}

    def missing(self, graph: dict[str, Any]) -> list[str]:
        """What this backend lacks to run `graph`, in words (empty: it can run it)."""
        problems: list[str] = []
        for node in graph.values():
            class_type = node.get("class_type", "")
            if class_type not in self.node_classes:
                problems.append(f"node {class_type}")
                continue
            for name, value in (node.get("inputs") or {}).items():
                allowed = self.choices.get((class_type, name))
                if allowed is None or not isinstance(value, str) or \
                        (class_type, name) in UPLOADED_INPUTS:
                    continue
                if value not in allowed:
                    problems.append(f"{name} {value}")
        return sorted(set(problems))


def _choice_list(spec: Any) -> list[str] | None:
    """The choices of an input spec: the old `[[a, b], {...}]` or the newer `["COMBO",
    {"options": [a, b]}]` shape; None for any other input."""
    if not isinstance(spec, (list, tuple)) or not spec:
        return None
    head = spec[0]
    if isinstance(head, list):
        return [str(v) for v in head]
    if head == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return [str(v) for v in spec[1].get("options") or []]
    return None
