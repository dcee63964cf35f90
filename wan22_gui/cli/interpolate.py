"""`wan22 interpolate`: make a ×2/×3/×4 version of a clip, recorded in the history.

    wan22 interpolate clip.mp4                       # built-in optical flow, no ComfyUI needed
    wan22 interpolate clip.mp4 --method rife -m 2    # RIFE in the ComfyUI at --server
    wan22 interpolate --job 20250101-120000-ab12cd34 --method film
    wan22 interpolate clip.mp4 --compare side.mp4    # also export source | result side by side
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow.calculator import describe_duration

HELP = "interpolate a clip ×2/×3/×4 (built-in optical flow, or RIFE/FILM in ComfyUI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("clip", nargs="?", type=Path, help="the video to interpolate")
    parser.add_argument("--job", help="interpolate the output of this history job instead")
    parser.add_argument("--method", choices=("builtin", "rife", "film"), default="builtin",
                        help="builtin (optical flow, any machine), rife or film (in ComfyUI)")
    parser.add_argument("-m", "--multiplier", type=int, default=2, choices=(2, 3, 4),
                        help="frames ×m: (n-1)·m+1 frames at fps·m (default 2)")
    parser.add_argument("--model", "--rife-model", dest="model",
                        help="RIFE/FILM model file or checkpoint to use, as the server lists it "
                             "(ComfyUI only; default: the app picks)")
    parser.add_argument("--server", help="ComfyUI address (default: the one in the settings)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the built-in engine (default: one per core)")
    parser.add_argument("--compare", type=Path, metavar="MP4",
                        help="also export the source and the result side by side to this file")
    parser.add_argument("--metrics", action="store_true",
                        help="print the figures of source and result (warping error, flicker, "
                             "PSNR/SSIM); with --compare also write them next to the export")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers must be 0 (work in this process) or more, not "
                         f"{args.workers}.", "Leave it out to use one worker per core.")
    if args.compare:  # before the interpolation runs: its time is not wasted on a bad path
        check_writable_file(args.compare, "--compare")
    app = App.build(history=True)
    try:
        source, parent = _source(app.history, args)
        url = args.server or app.settings.get("server.url")
        actions = app.gallery_actions(server_url=lambda: url, workers=args.workers)
        if sys.stderr.isatty():
            actions.interpolation_progress.connect(_print_progress)
        result = actions.interpolate_file(source, args.method, args.multiplier,
                                          parent_id=parent, model=args.model)
        print(f"{result.label}: {result.output}")
        if result.note:  # the built-in engine stood in for RIFE/FILM: say which ran and why
            print(f"  {result.note}")
        print(f"  {describe_duration(result.frame_count, result.fps)} at {result.fps:g} fps, "
              f"interpolation took {result.seconds:.1f} s (job {result.job_id})")
        rows = _metrics(source, result) if args.metrics else None
        if args.compare:
            _export(source, result, args.compare, rows)
        return 0
    finally:
        app.close()


def _source(history, args) -> tuple[Path, str | None]:
    """The clip and its parent job: from --job, or the job whose output the clip is."""
    if args.job:
        record = history.get(args.job)
        if record is None or not record.outputs:
            raise InputError(f"History has no job {args.job} with an output.",
                             "List jobs with `wan22 history`.")
        return Path(record.outputs[0]), record.job_id
    if args.clip is None:
        raise InputError("Name a clip or a --job to interpolate.")
    clip = args.clip.resolve()
    for record in history.list(include_deleted=True):
        if str(clip) in record.outputs and record.kind == "generate":
            return clip, record.job_id
    return clip, None


def check_writable_file(dest: Path, option: str) -> None:
    """Refuse a destination that is a folder or whose folder cannot take a new file."""
    import tempfile

    from wan22_gui.core.base.errors import storage_reason

    if dest.is_dir():
        raise InputError(f"{option} {dest} is a folder.",
                         "Give a file name in it, such as compare.mp4.")
    folder = dest.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".wan22-probe-"):
            pass  # a real write: permissions, read-only disks and full disks all show here
    except OSError as exc:
        raise InputError(f"{option} {dest} cannot be written: {storage_reason(exc)} "
                         f"({folder}).", "Choose a folder you can write to.") from None


def _metrics(source: Path, result) -> list:
    from wan22_gui.core.interpolation.metrics import compare_metrics, metrics_table

    rows = compare_metrics([(source, "Source"), (result.output, result.label)])
    print(metrics_table(rows))
    return rows


def _export(source: Path, result, dest: Path, rows: list | None = None) -> None:
    from wan22_gui.core.interpolation.metrics import write_sidecar
    from wan22_gui.core.video.export import ExportClip, export_compare
    from wan22_gui.core.video.reader import probe

    info = probe(source)
    labels = [f"Source · {info.fps:g} fps · {info.frame_count} frames",
              f"{result.label} · {result.fps:g} fps · {result.frame_count} frames · {result.seconds:.1f} s"]
    if rows:  # the figures as a caption on each panel
        labels = [f"{text} · {row.caption()}" for text, row in zip(labels, rows)]
    clips = [ExportClip(source, labels[0]), ExportClip(result.output, labels[1])]
    video = export_compare(clips, dest)
    print(f"compare: {video}")
    if rows:
        for path in write_sidecar(video, rows):
            print(f"figures: {path}")


def _print_progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    print(f"\r  {done}/{total} pairs", end=end, file=sys.stderr, flush=True)
