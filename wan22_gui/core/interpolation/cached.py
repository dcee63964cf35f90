"""A RIFE/FILM clip ComfyUI served from its node cache (a re-run with the same inputs).

No interpolation work was done, so "0.0 s" would read as a very fast run. The row says instead
that it came from the cache (`metrics["from_cache"]`) and which earlier job did the work
(`metrics["cached_from"]`, None when the history no longer has it); its `timings["interpolate"]`
is that job's work time, the cost of the clip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

LOOKBACK_ROWS = 500  # interpolation rows searched for the run that did the work


def reused_from(history: Any, *, server_url: str | None, same: Callable[[Any], bool],
                exclude: str | None = None) -> tuple[dict[str, Any], float]:
    """(metrics to add to the cached row, the original's interpolation seconds or 0.0)."""
    for row in history.list(kind="interpolate", status="succeeded", limit=LOOKBACK_ROWS):
        if row.job_id == exclude or _url(row.server_url) != _url(server_url):
            continue
        if same(row):
            origin = (row.metrics or {}).get("cached_from") or row.job_id
            seconds = float((row.timings or {}).get("interpolate") or 0.0)
            return {"from_cache": True, "cached_from": origin}, seconds
    return {"from_cache": True, "cached_from": None}, 0.0


def upstream_signature(graph: Mapping[str, Mapping], node_ids: Iterable[str]) -> str:
    """The nodes `node_ids` and everything they read from, as text: what ComfyUI's cache
    keys on (two graphs with the same signature give the VFI node the same inputs)."""
    seen: dict[str, Any] = {}
    todo = [str(n) for n in node_ids]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in graph:
            continue
        node = graph[node_id]
        seen[node_id] = {"class_type": node.get("class_type"), "inputs": node.get("inputs")}
        for value in (node.get("inputs") or {}).values():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
                todo.append(str(value[0]))
    return json.dumps(seen, sort_keys=True, default=str)


def _url(url: str | None) -> str:
    return (url or "").rstrip("/")
