"""Max-frames results: what one search tried and found, saved as `max_frames/<name>.json`.

Below the benchmark runner (no import of it), so the report and the recommendations read saved
searches without pulling in the search itself (`maxframes.py`, which drives the runner).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("wan22.bench")

MAX_FRAMES_DIR = "max_frames"


@dataclass
class Probe:
    """One tried frame count."""

    frames: int
    status: str
    seconds: float | None = None
    peak_vram_bytes: int | None = None
    error: str = ""
    t: float = field(default_factory=time.time)

    @property
    def fits(self) -> bool:
        return self.status == "succeeded"


@dataclass
class MaxFramesResult:
    """What the search found. `largest_ok` None: not even `low` fits."""

    label: str
    width: int
    height: int
    preset: str
    low: int
    high: int
    largest_ok: int | None = None
    smallest_fail: int | None = None
    probes: list[Probe] = field(default_factory=list)
    stopped: str = ""  # why the search ended early ("" when it finished)

    @property
    def finished(self) -> bool:
        return not self.stopped

    def summary(self) -> str:
        where = f"{self.label} at {self.width}×{self.height}"
        if self.stopped:
            return f"{where}: search stopped ({self.stopped})"
        if self.largest_ok is None:
            return f"{where}: even {self.low} frames ran out of memory"
        if self.smallest_fail is None:
            return f"{where}: {self.largest_ok} frames fit (the upper bound; no OOM found)"
        return (f"{where}: {self.largest_ok} frames fit; {self.smallest_fail} frames "
                "ran out of memory")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MaxFramesResult":
        probes = [Probe(**p) for p in data.get("probes", [])]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "probes"}
        return cls(**fields, probes=probes)


def load_results(out_dir: Path) -> list[MaxFramesResult]:
    """Every saved search in an output folder (unreadable files are skipped with a warning)."""
    results = []
    for path in sorted((Path(out_dir) / MAX_FRAMES_DIR).glob("*.json")):
        try:
            results.append(MaxFramesResult.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError) as exc:
            log.warning("max-frames result %s unreadable, ignored: %s", path, exc)
    return results
