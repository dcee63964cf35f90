"""One real Wan 2.2 job through the app's own launcher, job runner and GPU sampler.

On a machine with an NVIDIA GPU and a ComfyUI install (with the Wan 2.2 model files in place),
this does what a user does in the window, without the window:
  detect the GPU -> pick its preset -> ask the doctor -> start ComfyUI -> sample NVML at 10 Hz ->
  run the two-pass job -> download the clip -> record per-phase timings and metrics.
Everything is written to OUT/real_run.json (samples, phase events, the history row, the launch
plan, doctor findings, the last ComfyUI log lines), so the live graph can be redrawn from it
anywhere (`bench/show_recorded_run.py`).

    python bench/real_gpu_run.py --comfyui PATH --image start.jpg --out DIR \
        [--width 832 --height 1216 --frames 81] [--extra "--front-end-root X"]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from wan22_gui.app import App
    from wan22_gui.core.base.paths import AppPaths

    args.out.mkdir(parents=True, exist_ok=True)
    core = App.build(AppPaths.under(args.out / "home"), history=True, server=True,
                     telemetry=True)
    record: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    try:
        return _run(core, args, record)
    finally:
        core.close()  # stops the ComfyUI we launched and the sampler
        (args.out / "real_run.json").write_text(json.dumps(record, indent=1, default=str))
        print(f"recorded to {args.out / 'real_run.json'}", flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comfyui", required=True, help="ComfyUI folder")
    parser.add_argument("--image", type=Path, required=True, help="start image")
    parser.add_argument("--out", type=Path, required=True, help="folder for the record and clip")
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=1216)
    parser.add_argument("--frames", type=int, default=81)
    parser.add_argument("--preset", default="auto")
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--extra", default="", help="more ComfyUI flags, as one string")
    parser.add_argument("--rate", type=float, default=10.0, help="NVML samples per second")
    parser.add_argument("--ready-timeout", type=float, default=300.0)
    return parser.parse_args(argv)


def _run(core, args: argparse.Namespace, record: dict) -> int:
    from wan22_gui.core.server.cache import launcher_cache
    from wan22_gui.core.server.choice import parse_extra_args, plan_from_settings, resolve_install
    from wan22_gui.core.server.doctor import check, load_flag_table

    report = core.gpus.report()
    record["gpus"] = [g.__dict__ for g in report.gpus]
    record["gpu_problem"] = report.problem
    install = resolve_install(args.comfyui, core.settings)
    plan = plan_from_settings(core.settings, core.presets, report, install=install,
                              preset=args.preset, port=args.port,
                              extra_args=parse_extra_args(args.extra))
    record["preset"] = plan.preset.name
    record["argv"] = list(plan.argv() if callable(plan.argv) else plan.argv)
    record["env"] = dict(plan.env)
    print(f"{install.describe()}\npreset {plan.preset.name}: {plan.preset.title}", flush=True)
    table, problem = load_flag_table(install, launcher_cache(core.paths))
    findings = check(plan.flags, plan.env, table=table, version=install.version)
    record["doctor"] = [f"{f.level}: {f.message} {f.fix}" for f in findings] + (
        [f"flag table: {problem}"] if problem else [])
    for line in record["doctor"]:
        print("doctor", line, flush=True)

    sampler = core.sampler
    sampler.set_rate(args.rate)
    sampler.start()
    controller = core.server
    started = time.time()
    controller.start_plan(plan)
    ready = controller.wait_ready(args.ready_timeout)
    record["launch_seconds"] = time.time() - started
    record["ready"] = ready
    print(f"ready={ready} after {record['launch_seconds']:.1f} s", flush=True)
    if not ready:
        crash = controller.last_crash
        record["crash"] = crash.__dict__ if crash else None
        record["log_tail"] = controller.process.lines()[-80:] if controller.process else []
        return 1
    sampler.set_pid(controller.process.pid)
    code = _run_job(core, args, plan.url, record)
    record["log_tail"] = controller.process.lines()[-80:]
    record["samples"] = {k: v.tolist() for k, v in sampler.snapshot().items()}
    return code


def _run_job(core, args: argparse.Namespace, url: str, record: dict) -> int:
    from wan22_gui.core.jobs.runner import JobRunner
    from wan22_gui.core.comfy.session import ServerSession
    from wan22_gui.core.jobs.wiring import metrics_fn
    from wan22_gui.core.workflow.spec import JobSpec

    session = ServerSession(url).open()
    try:
        runner = JobRunner(session.client, session.watcher, core.history, args.out,
                           metrics_fn=metrics_fn(core.sampler))
        phases: list = []
        runner.phase.connect(phases.append)
        runner.progress.connect(lambda job, phase, step, total, eta: print(
            f"  {phase} step {step}/{total}", flush=True))
        spec = JobSpec(image=str(args.image), prompt="The white dragon warrior turns its head.",
                       width=args.width, height=args.height, frames=args.frames)
        result = runner.run(spec)
        record["phases"] = [e.__dict__ for e in phases]
        row = core.history.get(result.job_id)
        record["job"] = row.__dict__ if row else None
        record["result"] = {"status": result.status, "timings": result.timings,
                            "outputs": [str(p) for p in result.outputs], "error": result.error}
        print(f"job {result.status}: {json.dumps(result.timings, default=str)}", flush=True)
        if row is not None:
            print(f"metrics: {json.dumps(row.metrics, default=str)}", flush=True)
        return 0 if result.status == "succeeded" else 1
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main())
