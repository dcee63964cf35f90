"""`wan22 batch`: every image of a folder (or the images named) becomes a job on the app's
queue; then the jobs run and a contact sheet of their first frames is written.

    wan22 batch shots/ --prompt "the camera pushes in" --seconds 3
    wan22 batch shots/ --prompts-csv prompts.csv          # image,prompt[,negative,seed]
    wan22 batch shots/ --seeds increment --seed 100       # sidecar shots/x.txt prompts when present
    wan22 batch shots/a.png shots/b.png --sweep shift=5,8 split=2/2,3/1 --dry-run
    wan22 batch shots/ --queue-only                       # the app's queue runs them later
    wan22 batch --contact-sheet batch-20250101-120000-ab12

Exit codes: 0 all jobs succeeded (or queued, or the plan printed), 1 some job failed or bad
input, 3 no ComfyUI at the address.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from wan22_gui.core.base.errors import InputError

HELP = "queue a job per image of a folder (prompts per image, seed policy, parameter sweep)"
EXIT_SERVER = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="*", type=Path, metavar="FOLDER|IMAGE",
                        help="a folder of images, or image files")
    parser.add_argument("--prompt", default="", help="the prompt for every image (images with "
                        "a sidecar NAME.txt use theirs)")
    parser.add_argument("--negative", help="negative prompt for every job (default: the template's)")
    parser.add_argument("--prompts-csv", type=Path, metavar="CSV",
                        help="per-image prompts: rows image,prompt[,negative,seed]; the batch "
                             "is the images it names")
    parser.add_argument("--seeds", choices=("fixed", "increment", "random"), default="random",
                        help="one seed for all, +1 per image, or a new one per job (default)")
    parser.add_argument("--seed", type=int, help="the seed of --seeds fixed/increment")
    parser.add_argument("--sweep", nargs="+", default=[], metavar="NAME=V1,V2",
                        help="a grid of jobs per image: seed=1,2 shift=5,8 split=2/2,3/1")
    parser.add_argument("--frames", type=int, help="frames, 4n+1 (default 81)")
    parser.add_argument("--seconds", type=float, help="length in seconds instead of --frames")
    parser.add_argument("--width", type=int, help="width for every job (default: fit each image)")
    parser.add_argument("--height", type=int, help="height for every job")
    parser.add_argument("--no-lora", dest="lora", action="store_false", default=True,
                        help="20-step runs without the LoRA")
    parser.add_argument("--server", help="ComfyUI address (default: the one in the settings)")
    parser.add_argument("--dry-run", action="store_true", help="print the jobs, queue nothing")
    parser.add_argument("--queue-only", action="store_true",
                        help="queue the jobs and return (the app's queue runs them)")
    parser.add_argument("--contact-sheet", metavar="BATCH_ID",
                        help="write the contact sheet of an earlier batch and exit")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    if args.contact_sheet:
        app = App.build(history=True)
        try:
            print(f"contact sheet: {_sheet(app, args.contact_sheet)}")
            return 0
        finally:
            app.close()
    plan = _plan(args)  # every input problem shows before the app or a server is touched
    from wan22_gui.core.jobs.batch import batch_summary

    print(f"{plan.batch_id}: {len(plan.items)} job(s)")
    for line in batch_summary(plan):
        print(line)
    if args.dry_run:
        return 0
    return _queue_and_run(plan, args)


def _plan(args: argparse.Namespace):
    from wan22_gui.cli.generate import _frames
    from wan22_gui.core.jobs import batch

    if not args.images and not args.prompts_csv:
        raise InputError("Name a folder of images (or image files), or a --prompts-csv.")
    if args.prompts_csv and args.prompt:
        raise InputError("--prompt and --prompts-csv both give the prompts.", "Use one of them.")
    if args.seed is not None and args.seeds == "random":
        raise InputError("--seed needs --seeds fixed or --seeds increment.")
    if (args.width is None) != (args.height is None):
        raise InputError("Give --width and --height together (or neither, to fit each image).")
    folder = next((p for p in args.images if p.is_dir()), None)
    if args.prompts_csv:
        entries = batch.read_prompt_csv(args.prompts_csv, base=folder)
    else:
        files: list[Path] = []
        for path in args.images:
            if path.is_dir():
                files.extend(batch.images_in(path))
            elif path.is_file():
                files.append(path)
            else:
                raise InputError(f"{path} does not exist.", "Give a folder or image files.")
        entries = batch.with_sidecars(files)
    settings = batch.BatchSettings(
        prompt=args.prompt, negative_prompt=args.negative, frames=_frames(args.frames, args.seconds),
        width=args.width, height=args.height, use_lora=args.lora, seed_policy=args.seeds,
        seed=args.seed, sweep=batch.parse_sweep(args.sweep))
    return batch.plan_batch(entries, settings)


def _queue_and_run(plan, args: argparse.Namespace) -> int:
    from wan22_gui.app import App
    from wan22_gui.core.comfy.connection import ServerInfo
    from wan22_gui.core.jobs.batch import queue_batch

    app = App.build(jobs=True)
    try:
        queue = app.jobs
        url = args.server or app.settings.get("server.url")
        done = threading.Event()
        results: dict = {}
        job_ids: list[str] = []

        def on_finished(result) -> None:
            if result.job_id in job_ids:
                results[result.job_id] = result
                text = result.outputs[0] if result.outputs else result.error
                print(f"  {len(results)}/{len(job_ids)} {result.status}: {text}", flush=True)
                if len(results) == len(job_ids):
                    done.set()

        queue.finished.connect(on_finished)
        job_ids.extend(queue_batch(plan, queue, app.paths.data_dir))
        print(f"queued {len(job_ids)} job(s) as {plan.batch_id}")
        if args.queue_only:
            return 0
        if not _reachable(url):
            print(f"wan22 batch: no ComfyUI answers at {url}; the jobs stay queued for the app "
                  f"(or run `wan22 batch --contact-sheet {plan.batch_id}` after they ran).",
                  file=sys.stderr)
            return EXIT_SERVER
        app.connection.set(ServerInfo(url, "attached"))
        queue.start()
        while not done.wait(1.0):
            if queue.paused:  # by the user in the app, or itself (a full disk): never ends
                why = queue.pause_reason or "it was paused in the app"
                print(f"wan22 batch: the queue is paused ({why}); {len(results)}/{len(job_ids)} "
                      "jobs done, the rest stay queued.", file=sys.stderr)
                return 1
        print(f"contact sheet: {_sheet(app, plan.batch_id)}")
        return 0 if all(r.status == "succeeded" for r in results.values()) else 1
    finally:
        app.close()


def _reachable(url) -> bool:
    from wan22_gui.core.base.errors import ServerUnavailable
    from wan22_gui.core.comfy.client import ComfyClient

    try:
        client = ComfyClient(url, timeout=5.0)
    except InputError:
        raise
    try:
        client.system_stats()
        return True
    except ServerUnavailable:
        return False
    finally:
        client.close()


def _sheet(app, batch_id: str) -> Path:
    from wan22_gui.core.jobs.batch import load_manifest, write_contact_sheet

    manifest = load_manifest(app.paths.data_dir, batch_id)
    return write_contact_sheet(manifest, app.history,
                               app.paths.output_dir / "batches" / f"{batch_id}_contact.png")
