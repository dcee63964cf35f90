"""`wan22 generate`: one image-to-video job from the terminal, recorded in the history.

    wan22 generate dragon.jpg --frames 81 --width 832 --height 1216 --prompt "it roars"
    wan22 generate dragon.jpg --seconds 3 --no-lora --seed 42
    wan22 generate dragon.jpg --workflow my_wan_workflow.json --server http://gpu-box:8188
    wan22 generate dragon.jpg --interpolate rife      # also a 32 fps clip, in the same prompt
    wan22 generate dragon.jpg --end-image dragon_landed.jpg   # first/last-frame i2v
    wan22 generate dragon.jpg --lora wings.safetensors:1:0.5 --phases 3
    wan22 generate dragon.jpg --model-format Q4_K_M    # the server's GGUF pair (ComfyUI-GGUF)
    wan22 generate --extend 20261202-1200-ab12 --overlap 5 --color-match   # continue a clip

Same runner as the GUI queue, so the history row, timings and output names are the same.
Exit codes: 0 done, 1 the job failed, 2 bad arguments or input, 3 no ComfyUI at the address,
4 out of GPU memory, 5 the disk holding the app's data is full (the clip, if it was made, is
kept and printed), 130 interrupted (Ctrl-C cancels the job on the server).

A job an earlier run left behind (that process was killed) is finished first: its clip is
downloaded from ComfyUI's history, or it is marked failed. Jobs of a process still running
(the GUI, another `wan22 generate`) are never touched.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wan22_gui.cli.model_args import add_model_arguments, model_changes, resolve_format
from wan22_gui.core.base.errors import InputError, ServerUnavailable, WorkflowError
from wan22_gui.core.workflow.calculator import INTERPOLATION_MULTIPLIERS
from wan22_gui.core.workflow.spec import INTERPOLATION_METHODS

if TYPE_CHECKING:
    from wan22_gui.app import App

HELP = "generate a video from an image in ComfyUI (Wan 2.2 14B i2v), with progress"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SERVER, EXIT_OOM, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_DISK_FULL = 5
DEFAULT_MAX_SIDE = 832


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, nargs="?", help="the start image (not with --extend)")
    parser.add_argument("--extend", metavar="CLIP",
                        help="continue a clip (a history id or a video file): the new part "
                             "starts from its last frames and both are joined into one clip")
    parser.add_argument("--overlap", type=int, default=1, metavar="N",
                        help="with --extend: frames the parts share, 4k+1 (1, 5, 9…; default "
                             "1), crossfaded in the joined clip")
    parser.add_argument("--color-match", action="store_true",
                        help="with --extend: match the new part's colours to the clip's")
    parser.add_argument("--end-image", type=Path, metavar="IMAGE",
                        help="the last frame: the clip goes from the start image to this one "
                             "(ComfyUI's WanFirstLastFrameToVideo)")
    parser.add_argument("--frames", type=int, help="frames, 4n+1 (default 81 = 5 s at 16 fps)")
    parser.add_argument("--seconds", type=float, help="length in seconds instead of --frames")
    parser.add_argument("--width", type=int, help="width, a multiple of 16 (default: fit the "
                        f"image's shape, longest side {DEFAULT_MAX_SIDE})")
    parser.add_argument("--height", type=int, help="height, a multiple of 16")
    parser.add_argument("--prompt", default="", help="what should happen in the clip")
    parser.add_argument("--negative", help="negative prompt (default: the template's)")
    parser.add_argument("--no-lora", dest="lora", action="store_false", default=True,
                        help="20-step run without the 4-step LightX2V LoRA")
    parser.add_argument("--seed", type=int, help="fixed seed (default: a new random one)")
    parser.add_argument("--steps", type=int, help="sampling steps (default: 4 LoRA / 20)")
    parser.add_argument("--split", type=int, help="steps of the high-noise model")
    parser.add_argument("--cfg", type=float, help="CFG scale (default: 1 LoRA / 3.5)")
    parser.add_argument("--shift", type=float, help="ModelSamplingSD3 shift (default 5 / 8)")
    add_model_arguments(parser)
    parser.add_argument("--server", help="ComfyUI address (default: the one in the settings)")
    parser.add_argument("--backend", metavar="NAME",
                        help="run on this backend of `wan22 backends list` (instead of --server)")
    parser.add_argument("--workflow", type=Path, metavar="FILE",
                        help="your own workflow (UI or API JSON); the job's settings are "
                             "written into its image, prompt, size, length and seed nodes")
    parser.add_argument("--interpolate", choices=INTERPOLATION_METHODS, metavar="rife|film",
                        help="after generation, interpolate in the same ComfyUI prompt with "
                             "RIFE or FILM (needs their nodes); both clips are saved")
    parser.add_argument("--rife-model", metavar="FILE",
                        help="RIFE model for --interpolate rife, as the server lists it (e.g. "
                             "rife_v4.26.safetensors in models/frame_interpolation/ for the "
                             "core nodes, or rife49.pth for the pack); default: the app picks")
    parser.add_argument("--multiplier", type=int, choices=INTERPOLATION_MULTIPLIERS,
                        help="frames multiplier for --interpolate (default 2: 16 → 32 fps)")
    parser.add_argument("--output-dir", type=Path, help="where the video goes "
                        "(default: the app's output folder)")
    parser.add_argument("--name-pattern", help="output name pattern, e.g. "
                        "'{source}_{width}x{height}_{seconds}s' (default: the app's)")
    parser.add_argument("--quiet", action="store_true", help="print only the result")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    app = App.build(history=True)
    try:
        return _generate(app, args, sys.stdout, sys.stderr)
    finally:
        app.close()


def _generate(app: App, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from wan22_gui.core.jobs.runner import NAME_PATTERN_KEY, JobRunner
    from wan22_gui.core.jobs.wiring import server_preset
    from wan22_gui.core.comfy.session import ServerSession

    try:
        spec = build_spec(args, app.history)
        build = _workflow_builder(args.workflow) if args.workflow else None
    except (InputError, WorkflowError) as exc:
        print(f"wan22 generate: {exc.user_text()}", file=err)
        return EXIT_USAGE
    try:
        url = _server_url(app, args)
        session = ServerSession(url).open()
    except ServerUnavailable as exc:
        print(f"wan22 generate: {exc.user_text()}", file=err)
        return EXIT_SERVER
    except InputError as exc:  # an address that is no http(s) URL
        print(f"wan22 generate: {exc.user_text()}", file=err)
        return EXIT_USAGE
    pattern = args.name_pattern or str(app.settings.get(NAME_PATTERN_KEY))
    try:
        try:
            spec = resolve_format(spec, getattr(args, "model_format", None), session.client)
        except InputError as exc:
            print(f"wan22 generate: {exc.user_text()}", file=err)
            return EXIT_USAGE
        if args.workflow:
            lacking = _classes_the_server_lacks(session.client, args.workflow)
            if lacking:
                print(f"wan22 generate: {args.workflow.name} needs {len(lacking)} node "
                      f"type(s) this ComfyUI ({url}) does not have:", file=err)
                for item in lacking:
                    print(f"  - {item.sentence()}", file=err)
                return EXIT_FAILED
        runner = JobRunner(session.client, session.watcher, app.history,
                           args.output_dir or app.paths.output_dir, name_pattern=pattern,
                           preset=server_preset(session.client, app.presets))
        finish_left_jobs(runner, app.history, err)
        # progress on stderr: stdout carries only the result paths, for scripts
        printer = ProgressPrinter(err if not args.quiet else None)
        runner.phase.connect(printer.on_phase)
        runner.progress.connect(printer.on_progress)
        if args.backend:  # the job's row names the backend, as the pool's jobs do
            runner.finished.connect(lambda r: app.history.update(r.job_id, backend=args.backend))
        return _run_job(runner, spec, build, app.history, out, err)
    finally:
        session.close()


def _server_url(app: App, args: argparse.Namespace) -> Any:
    """--backend NAME's address, else --server, else the settings' (the client checks it)."""
    if getattr(args, "backend", None):
        from wan22_gui.cli.backends import backend_url

        return backend_url(app.settings, args.backend)
    return args.server or app.settings.get("server.url")


def finish_left_jobs(runner: Any, history: Any, err: TextIO) -> None:
    """Recover jobs on this server whose process is gone (a killed earlier run)."""
    from wan22_gui.core.jobs import lease

    url = runner.client.base_url.rstrip("/")
    for record in lease.dead_jobs(history):
        if (record.server_url or "").rstrip("/") != url or not lease.take_over(history, record):
            continue
        print(f"wan22 generate: finishing job {record.job_id}, left by an earlier run that "
              "ended…", file=err)
        try:
            result = runner.recover(record)
        except Exception as exc:  # never stops this run's own job
            from wan22_gui.core.base.messages import describe_exception

            print(f"wan22 generate: job {record.job_id} could not be finished: "
                  f"{describe_exception(exc)}", file=err)
            continue
        told = ", ".join(map(str, result.outputs)) or result.error or ""
        print(f"wan22 generate: job {record.job_id} {result.status}: {told}", file=err)


def build_spec(args: argparse.Namespace, history: Any = None) -> Any:
    """The JobSpec the arguments ask for. Raises InputError with what to change."""
    from wan22_gui.core.images import load_image
    from wan22_gui.core.workflow import calculator as calc

    if getattr(args, "extend", None):
        return _checked(_extend_spec(args, history))
    if getattr(args, "color_match", False) or getattr(args, "overlap", 1) != 1:
        raise InputError("--overlap and --color-match only apply with --extend.",
                         "Add --extend CLIP, or leave them out.")
    if args.image is None:
        raise InputError("Give a start image, or --extend CLIP to continue a clip.",
                         "e.g. wan22 generate dragon.jpg, or wan22 generate --extend CLIP")
    image = load_image(args.image)  # refuses missing files and non-images right away
    end_image = load_image(args.end_image) if args.end_image else None
    if end_image is not None and args.workflow:
        raise InputError("--end-image needs the app's own workflow, not --workflow.",
                         "Leave out one of them.")
    spec = _common_spec(args, calc.fit_to_aspect(image.width, image.height, DEFAULT_MAX_SIDE))
    return _checked(spec.replace(image=str(image.path),
                                 end_image=str(end_image.path) if end_image else None))


def _common_spec(args: argparse.Namespace, fit: tuple[int, int]) -> Any:
    """The settings every job takes from the arguments; `fit` is the size when none is given."""
    from wan22_gui.core.workflow.spec import JobSpec

    frames = _frames(args.frames, args.seconds)
    # `is None`, not `or`: --width 0 must be refused below, not replaced by the fit
    width = fit[0] if args.width is None else args.width
    height = fit[1] if args.height is None else args.height
    if args.multiplier is not None and not args.interpolate:
        raise InputError("--multiplier only applies with --interpolate.",
                         "Add --interpolate rife (or film), or leave out --multiplier.")
    rife_model = getattr(args, "rife_model", None)
    if rife_model and args.interpolate != "rife":
        raise InputError("--rife-model only applies with --interpolate rife.",
                         "Add --interpolate rife, or leave out --rife-model.")
    spec = JobSpec(prompt=args.prompt, width=width, height=height,
                   frames=frames, use_lora=args.lora, seed=args.seed, steps=args.steps,
                   split_step=args.split, cfg=args.cfg, shift=args.shift,
                   interpolation=args.interpolate, interpolation_multiplier=args.multiplier or 2,
                   interpolation_model=rife_model or None)
    if args.negative is not None:
        spec = spec.replace(negative_prompt=args.negative)
    if hasattr(args, "loras"):  # namespaces made by other commands lack the model arguments
        spec = spec.replace(**model_changes(args, spec.models))
    return spec


def _extend_spec(args: argparse.Namespace, history: Any) -> Any:
    """--extend: the clip's size and rate; the job runner takes the start frames from it."""
    from wan22_gui.core.jobs.extend import resolve_clip
    from wan22_gui.core.video.reader import probe

    if args.image is not None or args.workflow or args.end_image:
        raise InputError("--extend starts from the clip's own last frames, in the app's "
                         "workflow: leave out the start image, --end-image and --workflow.",
                         'e.g. wan22 generate --extend CLIP --prompt "it flies away"')
    clip = resolve_clip(args.extend, history)
    info = probe(clip.path)
    spec = _common_spec(args, (info.width, info.height))
    return spec.replace(extend_clip=str(clip.path), extend_overlap=args.overlap,
                        extend_color_match=bool(args.color_match), extend_parent=clip.job_id,
                        fps=info.fps)


def _checked(spec: Any) -> Any:
    problems = spec.problems()
    if problems:
        raise InputError(" ".join(problems), "Change the arguments and run again.")
    return spec


def _frames(frames: int | None, seconds: float | None) -> int:
    """The frame count of --frames or --seconds, refused (not clamped) outside the limits."""
    from wan22_gui.core.workflow import calculator as calc
    from wan22_gui.core.workflow import limits

    if seconds is not None:
        problem = limits.seconds_problem(seconds)
        if problem:
            raise InputError(f"--seconds {seconds:g}: {problem}",
                             "Give a length such as --seconds 5 (81 frames).")
        from_seconds = calc.frames_for_seconds(seconds)
        if frames is not None and frames != from_seconds:
            raise InputError(f"--frames {frames} and --seconds {seconds:g} disagree "
                             f"({seconds:g} s is {from_seconds} frames).", "Give only one.")
        return from_seconds
    if frames is None:
        return 81
    problem = limits.frames_problem(frames)
    if problem:
        nearest = calc.snap_frames(frames) if limits.FRAMES.problem(frames) is None else None
        raise InputError(f"--frames {frames}: {problem}",
                         f"The nearest valid count is {nearest}." if nearest else
                         f"Use 4n+1 frames between 1 and {limits.MAX_FRAMES} (81 = 5 s).")
    return frames


def _workflow_builder(path: Path) -> Any:
    from wan22_gui.core.workflow.builder import BuiltWorkflow
    from wan22_gui.core.workflow.importer import apply_spec, load_workflow_file
    from wan22_gui.core.workflow.validate import refuse_broken_structure

    imported = load_workflow_file(path)
    refuse_broken_structure(imported.graph)  # before any server is asked
    if imported.missing_roles:
        raise InputError(f"{path.name}: {imported.missing_text()}",
                         "Use a Wan image-to-video workflow (LoadImage → WanImageToVideo → two "
                         "KSamplerAdvanced → VAEDecode → SaveVideo).")

    def build(spec: Any, image_name: str) -> Any:
        graph = apply_spec(imported, spec, image_name, seed=spec.seed)
        return BuiltWorkflow(graph, dict(imported.roles), spec.seed)

    return build


def _classes_the_server_lacks(client: Any, path: Path) -> list:
    """Every node class of the workflow the server lacks (ComfyUI itself names only the first)."""
    from wan22_gui.core.comfy.versions import version_from_stats
    from wan22_gui.core.workflow.importer import load_workflow_file
    from wan22_gui.core.workflow.server_fit import blocking, missing_classes

    info = client.object_info()
    imported = load_workflow_file(path, info)
    version = version_from_stats(client.system_stats())
    return blocking(missing_classes(imported.graph, info, comfyui_version=version))


def _run_job(runner: Any, spec: Any, build: Any, history: Any, out: TextIO,
             err: TextIO) -> int:
    from wan22_gui.core.history import new_job_id

    job_id = new_job_id()
    box: dict[str, Any] = {}
    done = threading.Event()  # not Thread.join: a Ctrl-C inside join() can break a later join

    def work() -> None:
        try:
            box["result"] = runner.run(spec, job_id=job_id, build=build)
        except Exception as exc:  # told in words below, not as a thread's traceback
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="wan22-generate", daemon=True).start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        print("\nwan22 generate: cancelling the job on the server…", file=err)
        runner.cancel(job_id)
        if not done.wait(30):
            print("wan22 generate: ComfyUI did not confirm; the job may still run there.",
                  file=err)
        return EXIT_INTERRUPTED
    if "error" in box:
        from wan22_gui.core.base.diskspace import is_disk_full
        from wan22_gui.core.base.messages import describe_exception

        print(f"wan22 generate: {describe_exception(box['error'])}", file=err)
        return EXIT_DISK_FULL if is_disk_full(box["error"]) else EXIT_FAILED
    return _report(box.get("result"), history, out, err)


def _report(result: Any, history: Any, out: TextIO, err: TextIO) -> int:
    if result is None:
        print("wan22 generate: the job ended without a result (see the log).", file=err)
        return EXIT_FAILED
    if result.reason == "disk_full":
        for path in result.outputs:  # on disk, though the history could not say so
            print(path, file=out)
        print(f"wan22 generate: {result.error}", file=err)
        print("Free some space on that disk. The clip above is kept, though the history may "
              "not list it.", file=err)
        return EXIT_DISK_FULL
    record = history.get(result.job_id)
    if result.status == "succeeded":
        from wan22_gui.core.jobs.phases import phase_title

        for path in result.outputs:
            print(path, file=out)
        seed = (record.params or {}).get("seed") if record else None
        took = f" in {record.duration:.1f} s" if record and record.duration is not None else ""
        timing = " · ".join(f"{phase_title(k)} {v:.1f} s" for k, v in result.timings.items())
        print(f"Job {result.job_id} done{took} (seed {seed}): {timing}", file=err)
        child = history.get(result.interpolation_job_id) if result.interpolation_job_id else None
        if child is not None and child.outputs:
            print(f"{child.label}: {child.outputs[0]}", file=err)
        if result.interpolation_note:  # the built-in engine stood in for RIFE/FILM
            print(result.interpolation_note, file=err)
        return EXIT_OK
    error = (record.error if record else None) or {}
    for path in result.outputs:  # a clip made before a failed interpolation is kept
        print(path, file=out)
    print(f"wan22 generate: {result.error}", file=err)
    if error.get("hint"):
        print(error["hint"], file=err)
    for line in (error.get("log_tail") or [])[-10:]:
        print(f"  | {line}", file=err)
    if result.status in ("cancelled", "interrupted"):
        return EXIT_INTERRUPTED
    if result.oom:
        return EXIT_OOM
    if result.reason == "server_unavailable":
        return EXIT_SERVER
    return EXIT_USAGE if result.reason == "input" else EXIT_FAILED


class ProgressPrinter:
    """Prints phase changes and sampler steps as plain lines (fine in logs and terminals), on
    stderr, so stdout holds only the result paths a script reads."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self.t0 = time.monotonic()
        self._last: tuple[str, int] | None = None

    def _line(self, text: str) -> None:
        if self.out is not None:
            print(f"[{time.monotonic() - self.t0:6.1f}s] {text}", file=self.out, flush=True)

    def on_phase(self, event: Any) -> None:
        from wan22_gui.core.jobs.phases import phase_title

        # An "oom"/"error" mark is not printed: the final report says it once, with the hint.
        if event.state == "start":
            self._line(f"{phase_title(event.phase)}…")

    def on_progress(self, job_id: str, phase: str, step: int, total: int,
                    eta: float | None) -> None:
        from wan22_gui.core.jobs.phases import phase_title

        if self._last == (phase, step):
            return
        self._last = (phase, step)
        left = f" — ETA {eta:.0f} s" if eta is not None else ""
        self._line(f"{phase_title(phase)}: step {step}/{total}{left}")
