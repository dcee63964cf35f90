"""Which node runs next, and which nodes are cached: ComfyUI's execution list and cache keys.

Order: from each requested output, a depth-first walk records pending nodes; a node is ready when
none of its uncached inputs is pending. Among ready nodes ComfyUI prefers an output node, then a
node that feeds an output, then one two hops from an output, else the first in walk order. That
is why the Wan template starts with VAELoader (transcript 12).

Cache: a node's key is its class, its literal inputs and the keys of the nodes it links to (node
ids do not matter), plus what the class says about changed inputs (LoadImage hashes its file).
Only the keys of the latest prompt survive, like ComfyUI's classic cache.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable


def is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) \
        and isinstance(value[1], (int, float)) and not isinstance(value[1], bool)


class ExecutionOrder:
    """Stages nodes one at a time in the order ComfyUI would run them."""

    def __init__(self, prompt: dict, is_cached: Callable[[str], bool],
                 is_output: Callable[[str], bool]) -> None:
        self.prompt = prompt
        self.is_cached = is_cached
        self.is_output = is_output
        self.pending: dict[str, bool] = {}
        self.block_count: dict[str, int] = {}
        self.blocking: dict[str, dict[str, dict]] = {}

    def add_node(self, node_id: str) -> None:
        stack = [node_id]
        links: list[tuple[str, int, str]] = []
        while stack:
            unique_id = stack.pop()
            if unique_id in self.pending:
                continue
            self.pending[unique_id] = True
            self.block_count[unique_id] = 0
            self.blocking[unique_id] = {}
            for value in self.prompt[unique_id]["inputs"].values():
                if is_link(value):
                    source, socket = value
                    if not self.is_cached(source):
                        stack.append(source)
                    links.append((source, socket, unique_id))
        for source, socket, target in links:
            if not self.is_cached(source):
                self.add_node(source)
                if target not in self.blocking[source]:
                    self.blocking[source][target] = {}
                    self.block_count[target] += 1
                self.blocking[source][target][socket] = True

    def is_empty(self) -> bool:
        return not self.pending

    def next_node(self) -> str:
        ready = [n for n in self.pending if self.block_count[n] == 0]
        if not ready:
            raise RuntimeError("dependency cycle in the prompt")
        for node_id in ready:
            if self.is_output(node_id):
                return node_id
        for node_id in ready:
            if any(self.is_output(b) for b in self.blocking[node_id]):
                return node_id
        for node_id in ready:
            for blocked in self.blocking[node_id]:
                if any(self.is_output(b) for b in self.blocking[blocked]):
                    return node_id
        return ready[0]

    def complete(self, node_id: str) -> None:
        del self.pending[node_id]
        for blocked in self.blocking.pop(node_id, {}):
            self.block_count[blocked] -= 1


def cache_keys(prompt: dict, changed: Callable[[str, dict], Any]) -> dict[str, str]:
    """node id -> cache key. ``changed(class_type, inputs)`` returns an IS_CHANGED-like token."""
    keys: dict[str, str] = {}

    def key(node_id: str, trail: frozenset) -> str:
        if node_id in keys:
            return keys[node_id]
        node = prompt[node_id]
        parts: list[Any] = [node.get("class_type"), _token(changed(node.get("class_type"), node))]
        for name in sorted(node.get("inputs", {})):
            value = node["inputs"][name]
            if is_link(value) and value[0] in prompt and value[0] not in trail:
                parts.append([name, "LINK", key(value[0], trail | {node_id}), value[1]])
            else:
                parts.append([name, value])
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
        keys[node_id] = digest
        return digest

    for node_id in prompt:
        key(node_id, frozenset())
    return keys


def _token(value: Any) -> Any:
    # IS_CHANGED returning NaN (or time) means "always run": make the key unique.
    if isinstance(value, float) and value != value:
        return time.monotonic_ns()
    return value
