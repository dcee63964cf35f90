"""Two ComfyUI servers launched by the app taking one queue of 4 jobs (issue 15, on a GPU).

The app's pool launches one local backend per entry of `--cuda-devices` (the same GPU twice by
default: two servers on one GPU, each on its own port, each started with `--cuda-device N`),
the scheduler sends the 4 jobs to whichever is free, and every second both backends'
`/system_stats` VRAM is sampled. Written to OUT/h200_pool_2servers.json: per job its backend,
status and timings; per backend its launch argv and VRAM samples.

    python bench/gpu_pool_demo.py --comfyui PATH --image start.jpg --out DIR \
        [--cuda-devices 0,0] [--width 832 --height 480 --frames 33] [--extra "FLAGS"]
    python bench/gpu_pool_demo.py --standins --image start.jpg --out DIR   (CPU check)

The models are the random-weight Wan files (`make_tiny_wan.py`) in PATH/models.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from wan22_gui.app import App
    from wan22_gui.core.base.paths import AppPaths

    args.out.mkdir(parents=True, exist_ok=True)
    core = App.build(AppPaths.under(args.out / "home"), history=True)
    record: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "backends": {}}
    standins: list = []
    try:
        return _run(core, args, record, standins)
    finally:
        for process in standins:
            process.stop()
        core.close()
        path = args.out / "h200_pool_2servers.json"
        path.write_text(json.dumps(record, indent=1, default=str))
        print(f"recorded to {path}", flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--comfyui", help="ComfyUI folder: the app launches the backends")
    where.add_argument("--standins", action="store_true", help="stand-in servers (CPU check)")
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cuda-devices", default="0,0", help="one backend per index")
    parser.add_argument("--base-port", type=int, default=8290)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--frames", type=int, default=33)
    parser.add_argument("--preset", default="auto")
    parser.add_argument("--extra", default="", help="more ComfyUI flags, as one string")
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    parser.add_argument("--timeout", type=float, default=3000.0, help="for all the jobs")
    return parser.parse_args(argv)


def _run(core, args: argparse.Namespace, record: dict, standins: list) -> int:
    from wan22_gui.core.backends.pool import BackendPool
    from wan22_gui.core.backends.scheduler import Scheduler, session_factory_for
    from wan22_gui.core.backends.spec import BackendSpec
    from wan22_gui.core.backends.store import BackendStore
    from wan22_gui.core.base.settings import Settings

    store = BackendStore(Settings(None))
    devices = [int(d) for d in args.cuda_devices.split(",")]
    for i, device in enumerate(devices):
        if args.standins:
            standins.append(_standin(args.out / f"standin{i}"))
            store.add(BackendSpec(f"gpu{device}-{i}", "remote", url=standins[-1].url))
        else:
            store.add(BackendSpec(f"gpu{device}-{i}", "local", cuda_device=device,
                                  port=args.base_port + i, preset=args.preset))
    pool = BackendPool(store, interval_s=1.0, timeout_s=5.0)
    if not args.standins and not _launch_all(core, pool, store, args, record):
        pool.close()
        return 1
    pool.probe_all()
    scheduler = Scheduler(core.history, pool, args.out / "clips",
                          session_factory=session_factory_for(unreachable_timeout=60.0))
    try:
        return _queue_and_follow(core, pool, scheduler, args, record)
    finally:
        scheduler.close()
        pool.close()  # stops the servers it launched


def _standin(root: Path):
    from tests.fakes.comfy_standin import install_wan_models
    from tests.fakes.comfy_standin.process import StandinProcess

    install_wan_models(root)
    return StandinProcess(root, faults={"step_seconds": 0.2})


def _launch_all(core, pool, store, args: argparse.Namespace, record: dict) -> bool:
    from wan22_gui.core.server.choice import parse_extra_args, resolve_install, resolve_preset

    install = resolve_install(args.comfyui, core.settings)
    report = core.gpus.report()
    extra = parse_extra_args(args.extra)
    preset, _ = resolve_preset(core.presets, args.preset, report, extra)
    for spec in store.list():
        started = time.time()
        plan = pool.launch(spec.name, install, preset, extra_args=extra)
        record["backends"][spec.name] = {"argv": list(plan.argv() if callable(plan.argv)
                                                      else plan.argv), "url": plan.url,
                                         "preset": preset.name, "vram": []}
        ready = pool.controller(spec.name).wait_ready(args.ready_timeout)
        record["backends"][spec.name]["launch_seconds"] = time.time() - started
        print(f"{spec.name}: ready={ready} at {plan.url} ({time.time() - started:.1f} s)",
              flush=True)
        if not ready:
            process = pool.controller(spec.name).process
            record["backends"][spec.name]["log_tail"] = process.lines()[-80:] if process else []
            return False
    return True


def _queue_and_follow(core, pool, scheduler, args, record: dict) -> int:
    from wan22_gui.core.workflow.spec import JobSpec

    spec = JobSpec(image=str(args.image), prompt="The white dragon warrior turns its head.",
                   width=args.width, height=args.height, frames=args.frames)
    jobs = [scheduler.add(spec, label=f"pool job {i + 1}") for i in range(args.jobs)]
    scheduler.message.connect(lambda text: text and print(text, flush=True))
    t0 = time.time()
    pool.start()
    scheduler.start()
    while time.time() - t0 < args.timeout:
        for state in pool.states():
            entry = record["backends"].setdefault(state.name, {"vram": []})
            gpu = state.gpu
            entry["vram"].append({"t": round(time.time() - t0, 2), "state": state.state,
                                  "used": gpu.vram_used if gpu else None,
                                  "total": gpu.vram_total if gpu else None,
                                  "job": scheduler.running().get(state.name)})
        if all(core.history.get(j.job_id).status in FINAL for j in jobs):
            break
        threading.Event().wait(1.0)
    record["wall_seconds"] = time.time() - t0
    record["jobs"] = [_job_entry(core.history.get(j.job_id), t0) for j in jobs]
    for job in record["jobs"]:
        print(f"{job['label']}: {job['status']} on {job['backend']} "
              f"({job['start']}..{job['end']} s) {job['error'] or ''}", flush=True)
    return 0 if all(j["status"] == "succeeded" for j in record["jobs"]) else 1


def _job_entry(rec, t0: float) -> dict:
    def rel(t):
        return round(t - t0, 2) if t else None

    return {"job_id": rec.job_id, "label": rec.label, "backend": rec.backend,
            "status": rec.status, "start": rel(rec.started_at), "end": rel(rec.finished_at),
            "timings": rec.timings, "outputs": rec.outputs, "server_url": rec.server_url,
            "error": (rec.error or {}).get("message")}


if __name__ == "__main__":
    sys.exit(main())
