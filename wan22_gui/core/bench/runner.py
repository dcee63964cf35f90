"""BenchmarkRunner: runs a spec cell by cell, survives OOMs and server crashes, resumes, cancels.

The runner knows nothing about ComfyUI itself. It drives two small interfaces:
- a `CellRunner` that performs one run (backed by the app's JobRunner in `bench.wiring`), and
- a `ServerManager` that provides a server with the launch flags a configuration needs and
  recovers from a crash (a launched ComfyUI is restarted; a server given by URL is waited for).
Tests drive it with scripted fakes of both.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from wan22_gui.core.bench.matrix import Cell, PlannedRun, expand, group_by_launch, measured_runs
from wan22_gui.core.bench.results import ENV_FILE, ResultStore, RunRecord
from wan22_gui.core.bench.spec import BenchSpec, LaunchConfig, spec_to_toml
from wan22_gui.core.bench.stats import EtaEstimator
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.redact import redact_data
from wan22_gui.core.base.signals import Signal

log = logging.getLogger("wan22.bench")

SPEC_COPY = "spec.toml"


@dataclass(frozen=True)
class RunRequest:
    """What a CellRunner gets for one run.

    `seed` differs between runs of a cell on purpose: ComfyUI answers a prompt it has run
    before from its cache, which would make every repeat after the first measure nothing.
    """

    cell: Cell
    run_key: str
    warmup: bool
    spec: BenchSpec
    output_dir: Path  # outputs of this run belong here (inside the benchmark's folder)
    timeout_s: float
    seed: int
    on_activity: Callable[[str], None] | None = None  # short text: "High-noise pass 3/4"


def seed_for(spec: BenchSpec, run: PlannedRun) -> int:
    """The spec's seed + the repeat index for measured runs (reproducible); warm-ups get a
    seed from the clock, so a warm-up is never answered from the cache of an earlier session."""
    if run.warmup:
        return spec.seed + 1_000_003 + (time.time_ns() // 1000) % 1_000_000_007
    return spec.seed + run.index


@dataclass
class RunOutcome:
    """What a CellRunner reports. `status`: succeeded, oom, error, crashed or cancelled."""

    status: str
    total_s: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    error: str = ""
    job_id: str = ""
    prompt_id: str = ""


class CellRunner(Protocol):
    def run(self, request: RunRequest) -> RunOutcome: ...

    def cancel(self) -> None: ...


class ServerMismatch(Wan22Error):
    """The server cannot be given the launch flags a configuration needs (e.g. one given by URL)."""


class ServerManager(Protocol):
    url: str | None

    def ensure(self, launch: LaunchConfig) -> bool:
        """Make a server with these launch flags ready; True when it was (re)started, so models
        are not loaded yet. Raises ServerMismatch or another Wan22Error when it cannot."""
        ...

    def recover(self) -> bool:
        """After a crash: restart (or wait for) the server; True when one answers again."""
        ...

    def environment(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class BenchProgress:
    """Progress of measured runs (warm-ups are extra work between them)."""

    done: int
    total: int
    current: str
    warmup: bool
    eta_s: float | None
    elapsed_s: float
    counts: dict[str, int]

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass
class BenchSummary:
    """The outcome of one `run()` call."""

    out_dir: Path
    planned: int
    already_done: int
    counts: dict[str, int]
    cancelled: bool
    server_lost: bool
    elapsed_s: float
    csv_path: Path | None = None
    report_path: Path | None = None
    report_error: str = ""


class BenchmarkRunner:
    """Runs one spec into one output folder. Use a new runner for each run.

    Signals (emitted on the thread that calls `run`):
        progress(BenchProgress): after every run and when a run starts.
        recorded(RunRecord): a run (measured or warm-up) was written to the results file.
        message(str): a line for the log view ("Restarting ComfyUI ...").
        activity(str): what the current job is doing, forwarded from the cell runner.
    """

    def __init__(self, spec: BenchSpec, out_dir: Path, cells: CellRunner, server: ServerManager,
                 *, retry_failed: bool = False, write_outputs: bool = True) -> None:
        self.spec = spec
        self.out_dir = Path(out_dir)
        self.store = ResultStore(self.out_dir)
        self._cells = cells
        self._server = server
        self._retry_failed = retry_failed
        self._write_outputs = write_outputs
        self._cancel = threading.Event()
        self.progress = Signal("bench.progress")
        self.recorded = Signal("bench.recorded")
        self.message = Signal("bench.message")
        self.activity = Signal("bench.activity")
        self._eta = EtaEstimator()
        self._counts: dict[str, int] = {}
        self._session = time.strftime("%Y%m%d-%H%M%S")
        self._warmups = 0
        self._done = self._total = 0
        self._oom_cells: set[str] = set()
        self._needs_warmup = True
        self._last_config: Any = None
        self._server_lost = False
        self._t0 = time.monotonic()
        self._pending: list[PlannedRun] = []

    # ---- public -------------------------------------------------------------------------------

    def plan(self) -> tuple[list[PlannedRun], list[PlannedRun]]:
        """(every measured run of the spec, those not finished in the output folder yet)."""
        runs = measured_runs(self.spec, expand(self.spec))
        done = self.store.finished_keys(retry_failed=self._retry_failed)
        return runs, [r for r in runs if r.key not in done]

    def cancel(self) -> None:
        """Stop after interrupting the current run (safe from any thread)."""
        self._cancel.set()
        self._cells.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> BenchSummary:
        """Run every unfinished measured run (blocking; call it off the GUI thread)."""
        self._t0 = time.monotonic()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / SPEC_COPY).write_text(spec_to_toml(self.spec), encoding="utf-8")
        runs, self._pending = self.plan()
        self._total, self._done = len(runs), len(runs) - len(self._pending)
        already_done = self._done
        self._load_history()
        if self._done:
            self._say(f"Resuming: {self._done} of {self._total} runs already finished.")
        self._emit_progress("", False)
        for launch, group in group_by_launch(list(self._pending)):
            if self.cancelled or self._server_lost:
                break
            if self._prepare_server(launch, group):
                for run in group:
                    if self.cancelled or self._server_lost:
                        break
                    self._run_one(run)
        if self._server_lost:
            self._give_up_remaining()
        return self._finish(already_done)

    # ---- steps --------------------------------------------------------------------------------

    def _load_history(self) -> None:
        for record in self.store.latest().values():
            self._eta.add(record)
            if record.status == "oom" and not record.warmup and not self._retry_failed:
                self._oom_cells.add(record.cell_id)

    def _prepare_server(self, launch: LaunchConfig, group: list[PlannedRun]) -> bool:
        self._say(f"ComfyUI for the next {len(group)} runs: {launch.describe()}.")
        try:
            self._needs_warmup = self._server.ensure(launch)
        except Wan22Error as exc:
            self._say(f"Cannot run {len(group)} runs: {exc.user_text()}")
            for run in group:
                self._record_without_server(run, "not_run", exc.user_text())
            return False
        self._save_environment(launch)
        return True

    def _run_one(self, run: PlannedRun) -> None:
        if self.spec.stop_cell_on_oom and run.cell.cell_id in self._oom_cells:
            self._record_without_server(
                run, "skipped", "Not run: an earlier repeat of this cell ran out of GPU memory.")
            return
        if run.cell.config != self._last_config:
            self._needs_warmup = True  # another LoRA / model patch / workflow to load first
            self._last_config = run.cell.config
        if self._needs_warmup and self.spec.warmup:
            self._warm_up(run.cell)
        if self.cancelled or self._server_lost:
            return
        self._execute(run)

    def _warm_up(self, cell: Cell) -> None:
        self._needs_warmup = False
        for _ in range(self.spec.warmup):
            if self.cancelled or self._server_lost:
                return
            self._warmups += 1
            self._execute(PlannedRun(cell, self._warmups, warmup=True, session=self._session))

    def _execute(self, run: PlannedRun) -> None:
        self._emit_progress(run.cell.label, run.warmup)
        request = RunRequest(run.cell, run.key, run.warmup, self.spec,
                             self.out_dir / "clips" / run.cell.cell_id, self.spec.timeout_s,
                             seed_for(self.spec, run), self.activity.emit)
        started = time.time()
        outcome = self._call_cell_runner(request)
        record = self._make_record(run, outcome, started, time.time())
        record.seed = request.seed
        self._store(record, run)
        if outcome.status == "oom":
            self._oom_cells.add(run.cell.cell_id)
            self._needs_warmup = True  # ComfyUI unloads every model after an OOM
        elif outcome.status == "crashed":
            self._recover()

    def _call_cell_runner(self, request: RunRequest) -> RunOutcome:
        try:
            return self._cells.run(request)
        except Wan22Error as exc:
            return RunOutcome("error", error=exc.user_text())
        except Exception as exc:  # a bug in one run must not lose the whole benchmark
            log.exception("benchmark run %s failed unexpectedly", request.run_key)
            return RunOutcome("error", error=f"Unexpected error: {exc!r} (see the log).")

    def _recover(self) -> None:
        self._say("ComfyUI stopped during the run; bringing it back.")
        try:
            recovered = self._server.recover()
        except Wan22Error as exc:
            self._say(exc.user_text())
            recovered = False
        if recovered:
            self._say("ComfyUI is back; the benchmark goes on.")
            self._needs_warmup = True
        else:
            self._say("ComfyUI did not come back; the remaining runs are left for a later resume.")
            self._server_lost = True

    def _give_up_remaining(self) -> None:
        for run in list(self._pending):
            self._record_without_server(
                run, "not_run", "ComfyUI was not answering; run the benchmark again to resume.")

    def _finish(self, already_done: int) -> BenchSummary:
        summary = BenchSummary(self.out_dir, self._total, already_done,
                               dict(self._counts), self.cancelled, self._server_lost,
                               time.monotonic() - self._t0)
        if self._write_outputs:
            self._say("Writing the CSV and the HTML report.")
            from wan22_gui.core.bench.outputs import write_outputs

            try:
                summary.csv_path, summary.report_path = write_outputs(self.out_dir, self.spec)
            except (OSError, Wan22Error) as exc:
                summary.report_error = f"The report could not be written: {exc}"
                self._say(summary.report_error)
        self._emit_progress("", False)
        return summary

    # ---- records ------------------------------------------------------------------------------

    def _make_record(self, run: PlannedRun, outcome: RunOutcome, started: float,
                     finished: float) -> RunRecord:
        cell = run.cell
        return RunRecord(
            run_key=run.key, cell_id=cell.cell_id, config=cell.config.name,
            settings=cell.config.settings(), image=cell.image.name, width=cell.width,
            height=cell.height, frames=cell.frames, fps=self.spec.fps, repeat=run.index,
            warmup=run.warmup, status=outcome.status, started_at=started, finished_at=finished,
            total_s=outcome.total_s, timings=dict(outcome.timings), metrics=dict(outcome.metrics),
            outputs=[self._relative(p) for p in outcome.outputs], error=outcome.error,
            server_url=self._server.url or "", job_id=outcome.job_id,
            prompt_id=outcome.prompt_id, session=self._session,
        )

    def _record_without_server(self, run: PlannedRun, status: str, reason: str) -> None:
        now = time.time()
        self._store(self._make_record(run, RunOutcome(status, error=reason), now, now), run)

    def _store(self, record: RunRecord, run: PlannedRun) -> None:
        self.store.append(record)
        self._eta.add(record)
        if not run.warmup:
            self._counts[record.status] = self._counts.get(record.status, 0) + 1
            if run in self._pending:
                self._pending.remove(run)
            self._done += int(record.is_final)  # a cancelled or not_run run is still to do
        self._emit_progress("", False)
        self.recorded.emit(record)

    def _relative(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.out_dir.resolve()).as_posix()
        except ValueError:
            return str(path)

    # ---- reporting ----------------------------------------------------------------------------

    def _save_environment(self, launch: LaunchConfig) -> None:
        path = self.out_dir / ENV_FILE
        try:
            env = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError):
            env = {}
        try:
            snapshot = self._server.environment()
        except Wan22Error as exc:
            snapshot = {"problem": exc.user_text()}
        env.setdefault("servers", {})[launch.describe()] = snapshot
        env["captured_at"] = time.time()
        path.write_text(json.dumps(redact_data(env), indent=2, default=str), encoding="utf-8")

    def _emit_progress(self, current: str, warmup: bool) -> None:
        eta = self._eta.remaining(run.cell for run in self._pending)
        self.progress.emit(BenchProgress(self._done, self._total, current, warmup, eta,
                                         time.monotonic() - self._t0, dict(self._counts)))

    def _say(self, text: str) -> None:
        log.info("%s", text)
        self.message.emit(text)
