"""Scheduler overhead: 4 stand-in ComfyUI server processes on free ports, 200 short jobs in one queue.

For each backend, the idle gap is the time from one job's end (its row's `finished_at`) to the
start of the next job it takes (`started_at`): the scheduler's dispatch latency plus the
lane's turn-around. The reference is the same short jobs submitted directly to one server by
one `JobRunner` in a loop (no queue, no scheduler): the gap between its jobs is what any client
pays. Printed as app / reference / ratio for the p50 and p99 gap, and the jobs per second.

    PYTHONPATH=. python bench/bench_scheduler.py [--backends 4] [--jobs 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from tests.fakes.comfy_standin import install_wan_models
from tests.fakes.comfy_standin.process import StandinProcess
from wan22_gui.core.backends.pool import BackendPool
from wan22_gui.core.backends.scheduler import Scheduler
from wan22_gui.core.backends.spec import BackendSpec
from wan22_gui.core.backends.store import BackendStore
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.workflow.spec import JobSpec

FAST = FollowTimes(poll=0.05, cancel_retry=0.2)
FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def job_spec(picture: Path) -> JobSpec:
    return JobSpec(image=str(picture), prompt="bench", width=160, height=96, frames=5, seed=1)


def gaps_of(records: list) -> dict[str, list[float]]:
    """Per backend: seconds from a job's end to the start of the next one there."""
    by_backend: dict[str, list] = {}
    for rec in records:
        by_backend.setdefault(rec.backend or "direct", []).append(rec)
    gaps: dict[str, list[float]] = {}
    for name, recs in by_backend.items():
        recs.sort(key=lambda r: r.started_at or 0.0)
        gaps[name] = [max(0.0, b.started_at - a.finished_at) for a, b in zip(recs, recs[1:])
                      if a.finished_at and b.started_at]
    return gaps


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_pool(root: Path, servers: list[StandinProcess], jobs: int, picture: Path):
    history = HistoryStore(root / "pool.sqlite3")
    store = BackendStore(Settings(None))
    for i, server in enumerate(servers):
        store.add(BackendSpec(f"b{i}", "remote", url=server.url))
    pool = BackendPool(store, interval_s=0.5)
    pool.probe_all()
    scheduler = Scheduler(history, pool, root / "out-pool", times=FAST,
                          session_factory=lambda url: ServerSession(url).open())
    added = [scheduler.add(job_spec(picture)) for _ in range(jobs)]
    t0 = time.monotonic()
    pool.start()
    scheduler.start()
    while not all(history.get(r.job_id).status in FINAL for r in added):
        threading.Event().wait(0.05)
    wall = time.monotonic() - t0
    scheduler.close()
    pool.close()
    records = [history.get(r.job_id) for r in added]
    history.close()
    return records, wall


def run_direct(root: Path, server: StandinProcess, jobs: int, picture: Path):
    history = HistoryStore(root / "direct.sqlite3")
    session = ServerSession(server.url).open()
    runner = JobRunner(session.client, session.watcher, history, root / "out-direct", times=FAST)
    t0 = time.monotonic()
    results = [runner.run(job_spec(picture)) for _ in range(jobs)]
    wall = time.monotonic() - t0
    session.close()
    records = [history.get(r.job_id) for r in results]
    history.close()
    return records, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        picture = root / "pic.png"
        Image.new("RGB", (160, 96), (90, 120, 200)).save(picture)
        servers = []
        for i in range(args.backends):
            install_wan_models(root / f"comfy{i}")
            # each its own process, as real servers are (no shared interpreter lock)
            servers.append(StandinProcess(root / f"comfy{i}", faults={"step_seconds": 0.005}))
        try:
            pool_records, pool_wall = run_pool(root, servers, args.jobs, picture)
            per_server = max(1, args.jobs // args.backends)
            ref_records, ref_wall = run_direct(root, servers[0], per_server, picture)
        finally:
            for server in servers:
                server.stop()
    bad = [r for r in pool_records if r.status != "succeeded"]
    pool_gaps, ref_gaps = gaps_of(pool_records), gaps_of(ref_records)["direct"]
    every = [g for gaps in pool_gaps.values() for g in gaps]
    print(f"scheduler: {args.jobs} jobs on {args.backends} stand-ins "
          f"({len(bad)} did not succeed); reference: {per_server} jobs straight to one server")
    for q in (0.5, 0.99):
        app, ref = pct(every, q) * 1000, pct(ref_gaps, q) * 1000
        print(f"  idle gap p{int(q * 100)}: app {app:.1f} ms / reference {ref:.1f} ms / "
              f"ratio {app / max(ref, 0.01):.2f}")
    for name, gaps in sorted(pool_gaps.items()):
        print(f"  {name}: {len(gaps) + 1} jobs, gap p50 {pct(gaps, 0.5) * 1000:.1f} ms, "
              f"p99 {pct(gaps, 0.99) * 1000:.1f} ms, max {max(gaps, default=0) * 1000:.1f} ms")
    app_rate, ref_rate = args.jobs / pool_wall, per_server / ref_wall
    print(f"  throughput: app {app_rate:.2f} jobs/s / reference {ref_rate:.2f} jobs/s "
          f"(one server) / ratio {app_rate / ref_rate:.2f} (ideal {args.backends})")
    print(f"  mean job: app {statistics.mean(r.duration or 0 for r in pool_records):.3f} s, "
          f"reference {statistics.mean(r.duration or 0 for r in ref_records):.3f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
