"""Which ComfyUI version has which core node class and launch flag (resources/comfyui_versions.toml).

The table is data read from ComfyUI's public source (each entry names the file and commit).
It answers three questions: "is this unknown class a newer core node, and which version has
it?", "does this version know this flag?", and "does this version ignore this flag?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from wan22_gui.core.base.resources import read_text

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)")


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """(0, 38, 1) for "0.38.1", "v0.38.1" or "0.38.1+abc"; None when it is not a version."""
    match = _VERSION.match(str(text or "").strip())
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def at_least(have: str | None, wanted: str) -> bool | None:
    """True when version `have` >= `wanted`; None when `have` is unknown or unreadable."""
    mine, theirs = parse_version(have), parse_version(wanted)
    if mine is None or theirs is None:
        return None
    width = max(len(mine), len(theirs))
    return mine + (0,) * (width - len(mine)) >= theirs + (0,) * (width - len(theirs))


def version_from_stats(stats: Any) -> str | None:
    """The `comfyui_version` of a `/system_stats` reply, None when it is not there."""
    system = stats.get("system") if isinstance(stats, dict) else None
    version = system.get("comfyui_version") if isinstance(system, dict) else None
    return str(version) if version else None


@dataclass(frozen=True)
class Entry:
    """One node class or flag: the oldest version known to have it, when it went, and why."""

    name: str
    since: str | None
    removed: str | None
    source: str


@dataclass(frozen=True)
class NoOp:
    """A flag a version accepts but does not act on (unless `unless` is also given)."""

    flag: str
    since: str
    unless: str | None
    reason: str


@dataclass(frozen=True)
class VersionTable:
    nodes: dict[str, Entry]
    flags: dict[str, Entry]
    noops: dict[str, NoOp]
    fast_values: tuple[str, ...]

    def node_advice(self, class_type: str, have: str | None = None) -> str | None:
        """"update ComfyUI to 0.13.0 or newer (you have 0.3.64)" for a newer core node, else None."""
        entry = self.nodes.get(class_type)
        if entry is None or entry.since is None:
            return None
        yours = f" (you have {have})" if have else ""
        return f"update ComfyUI to {entry.since} or newer{yours}; {class_type} is a core node there"

    def flag_unknown_reason(self, flag: str, have: str | None) -> str | None:
        """Why version `have` would refuse `flag` (too old or already removed), else None."""
        entry = self.flags.get(flag)
        if entry is None or have is None:
            return None
        if entry.removed and at_least(have, entry.removed):
            return f"ComfyUI {have} no longer has {flag} (gone by {entry.removed}: {entry.source})"
        if entry.since and at_least(have, entry.since) is False:
            return f"ComfyUI {have} does not know {flag} yet (it came by {entry.since}: {entry.source})"
        return None

    def noop_reason(self, flag: str, have: str | None, flags: Sequence[str] = ()) -> str | None:
        """Why `flag` changes nothing on version `have` next to `flags`, else None."""
        noop = self.noops.get(flag)
        if noop is None or not at_least(have, noop.since):
            return None
        if noop.unless and noop.unless in flags:
            return None
        return noop.reason


def _entries(section: dict[str, Any]) -> dict[str, Entry]:
    return {name: Entry(name, data.get("since"), data.get("removed"), data.get("source", ""))
            for name, data in section.items()}


@lru_cache(maxsize=1)
def version_table() -> VersionTable:
    """The bundled table (read once)."""
    data = tomllib.loads(read_text("comfyui_versions.toml"))
    noops = {flag: NoOp(flag, d["since"], d.get("unless"), d["reason"])
             for flag, d in data.get("noop", {}).items()}
    return VersionTable(_entries(data.get("nodes", {})), _entries(data.get("flags", {})), noops,
                        tuple(data.get("fast", {}).get("values", ())))


__all__ = ["Entry", "NoOp", "VersionTable", "at_least", "parse_version", "version_from_stats",
           "version_table"]
