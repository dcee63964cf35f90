"""Run records and the results file (`results.jsonl` in the output folder) that makes runs resumable.

Every attempt is appended as one JSON line and flushed at once, so an interrupted benchmark loses
at most the run in progress. The newest record of a run key wins. A run counts as finished when its
newest record has a final status; cancelled runs and runs that never reached a server do not.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from wan22_gui.core.base.redact import redact

log = logging.getLogger("wan22.bench")

RESULTS_FILE = "results.jsonl"
ENV_FILE = "environment.json"  # written by the runner, read by the outputs
# status -> whether a resumed benchmark treats the run as done.
STATUSES = {
    "succeeded": True,
    "oom": True,       # out of GPU memory: a result of the cell
    "error": True,     # ComfyUI reported an execution error, or the run timed out
    "crashed": True,   # the server died during the run
    "skipped": True,   # not run on purpose (an earlier repeat of the cell ran out of memory)
    "cancelled": False,
    "not_run": False,  # no suitable server (launch failed, server down): try again on resume
}
FAILED_STATUSES = ("oom", "error", "crashed")
# What `retry_failed` runs again (skipped repeats follow the OOM that caused them).
RETRY_STATUSES = FAILED_STATUSES + ("skipped",)


@dataclass
class RunRecord:
    """One run (measured or warm-up) as stored and exported.

    Times are in seconds; `timings` maps phase names (CONTRACTS §5) to seconds; `metrics` is the
    telemetry summary (`peak_vram_bytes`, `mean_gpu_util`, `energy_wh`, ...). `outputs` are paths
    relative to the output folder when they lie inside it.
    """

    run_key: str
    cell_id: str
    config: str
    settings: dict[str, Any]
    image: str
    width: int
    height: int
    frames: int
    fps: int
    repeat: int
    warmup: bool
    status: str
    started_at: float
    finished_at: float
    total_s: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    server_url: str = ""
    job_id: str = ""
    prompt_id: str = ""
    session: str = ""
    seed: int | None = None

    @property
    def is_final(self) -> bool:
        return STATUSES.get(self.status, False)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class ResultStore:
    """The append-only results file of one output folder. Thread-safe."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / RESULTS_FILE
        self._lock = threading.Lock()
        self.skipped_lines = 0

    def append(self, record: RunRecord) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        line = redact(record.to_json()) + "\n"  # an error text may quote a proxy's header
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def load(self) -> list[RunRecord]:
        """Every record in file order. Unreadable lines (a run cut off mid-write) are skipped."""
        if not self.path.exists():
            return []
        records, bad = [], 0
        with self._lock:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(RunRecord.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                bad += 1
                log.warning("%s line %d unreadable, ignored: %s", self.path, number, exc)
        self.skipped_lines = bad
        return records

    def latest(self) -> dict[str, RunRecord]:
        """The newest record of each run key."""
        return latest_by_key(self.load())

    def finished_keys(self, *, retry_failed: bool = False) -> set[str]:
        """Run keys a resumed benchmark skips (with retry_failed, failed runs are run again)."""
        done = set()
        for key, record in self.latest().items():
            if record.is_final and not (retry_failed and record.status in RETRY_STATUSES):
                done.add(key)
        return done


def latest_by_key(records: Iterable[RunRecord]) -> dict[str, RunRecord]:
    latest: dict[str, RunRecord] = {}
    for record in records:
        latest[record.run_key] = record
    return latest
