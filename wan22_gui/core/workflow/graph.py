"""Small helpers over API-format graphs: links, consumers, and comparing two graphs."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from typing import Any, Iterator

Graph = dict[str, dict[str, Any]]


def is_link(value: Any) -> bool:
    """True for an API-format link `["<node id>", <output index>]`."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def links(graph: Graph) -> Iterator[tuple[str, str, str, int]]:
    """(target id, input name, source id, source slot) for every link in the graph."""
    for node_id, node in graph.items():
        for name, value in (node.get("inputs") or {}).items():
            if is_link(value):
                yield node_id, name, value[0], value[1]


def consumers(graph: Graph, source_id: str, slot: int | None = None) -> list[tuple[str, str]]:
    """(node id, input name) of every input fed by `source_id` (optionally one output slot)."""
    return [(t, name) for t, name, s, sl in links(graph)
            if s == source_id and (slot is None or sl == slot)]


def title_of(graph: Graph, node_id: str) -> str:
    """The node's title (`_meta.title`), or its class, for messages."""
    node = graph.get(node_id) or {}
    return str((node.get("_meta") or {}).get("title") or node.get("class_type") or node_id)


def values_equal(a: Any, b: Any, rel_tol: float = 1e-9) -> bool:
    """Equality that forgives float round-off (the UI stores 5.000000000000001 for 5)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y, rel_tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], rel_tol) for k in a)
    return a == b


def graph_diff(a: Graph, b: Graph) -> list[str]:
    """Differences between two graphs with the same node ids, one line each ([] when equal)."""
    out = [f"node {i} only in the first graph" for i in sorted(a.keys() - b.keys())]
    out += [f"node {i} only in the second graph" for i in sorted(b.keys() - a.keys())]
    for node_id in sorted(a.keys() & b.keys()):
        na, nb = a[node_id], b[node_id]
        if na.get("class_type") != nb.get("class_type"):
            out.append(f"node {node_id}: {na.get('class_type')} vs {nb.get('class_type')}")
            continue
        ia, ib = na.get("inputs") or {}, nb.get("inputs") or {}
        for name in sorted(ia.keys() | ib.keys()):
            if name not in ia or name not in ib or not values_equal(ia[name], ib[name]):
                out.append(f"node {node_id} ({na.get('class_type')}).{name}: "
                           f"{ia.get(name, '<missing>')!r} vs {ib.get(name, '<missing>')!r}")
    return out


def structure_signature(graph: Graph) -> Counter:
    """A multiset of per-node fingerprints that ignores node ids.

    Each fingerprint covers the node's class, its literal inputs and, recursively, the
    fingerprints of the nodes linked into it (with the slot), so two graphs have equal
    signatures exactly when they are the same graph up to renumbering. Floats are rounded to
    9 significant digits so UI round-off does not count.
    """
    memo: dict[str, str] = {}

    def fingerprint(node_id: str, stack: frozenset[str]) -> str:
        if node_id in memo:
            return memo[node_id]
        if node_id not in graph or node_id in stack:
            return "<missing>" if node_id not in graph else "<cycle>"
        node = graph[node_id]
        parts = {}
        for name, value in (node.get("inputs") or {}).items():
            if is_link(value):
                parts[name] = ["link", fingerprint(value[0], stack | {node_id}), value[1]]
            else:
                parts[name] = _normalise(value)
        text = json.dumps([node.get("class_type"), parts], sort_keys=True, ensure_ascii=True)
        memo[node_id] = hashlib.sha1(text.encode()).hexdigest()
        return memo[node_id]

    return Counter(fingerprint(node_id, frozenset()) for node_id in graph)


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(f"{float(value):.9g}")
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return repr(value)
