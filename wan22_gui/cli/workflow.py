"""`wan22 workflow`: convert, check and explain workflows, and do the frame arithmetic.

    wan22 workflow convert my_workflow.json -o my_workflow.api.json
    wan22 workflow check my_workflow.json --server http://127.0.0.1:8188
    wan22 workflow build --frames 49 --width 832 --height 480 --no-lora > graph.json
    wan22 workflow calc --seconds 5 --interpolate 2

Exit codes: 0 fine, 1 problems found (check) or the file is not a workflow, 3 no ComfyUI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "convert a workflow to API format, check it against a server, or compute frames"

EXIT_OK, EXIT_PROBLEMS, EXIT_SERVER = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    convert = sub.add_parser("convert", help="UI or API JSON -> API JSON, with its roles")
    convert.add_argument("file", type=Path)
    convert.add_argument("-o", "--output", type=Path, help="write the API graph here")
    check = sub.add_parser("check", help="validate a workflow against a running ComfyUI")
    check.add_argument("file", type=Path)
    check.add_argument("--server", help="ComfyUI address (default: the one in the settings)")
    build = sub.add_parser("build", help="print the Wan 2.2 i2v graph for some settings")
    build.add_argument("--image", default="input.png", help="LoadImage file name on the server")
    build.add_argument("--prompt", default="")
    build.add_argument("--width", type=int, default=640)
    build.add_argument("--height", type=int, default=640)
    build.add_argument("--frames", type=int, default=81)
    build.add_argument("--fps", type=float, default=16)
    build.add_argument("--seed", type=int)
    build.add_argument("--no-lora", dest="lora", action="store_false", default=True)
    build.add_argument("--sage", action="store_true", help="add the SageAttention patch nodes")
    calc = sub.add_parser("calc", help="frames <-> seconds, latent size, interpolation")
    calc.add_argument("--frames", type=int)
    calc.add_argument("--seconds", type=float)
    calc.add_argument("--fps", type=float, default=16)
    calc.add_argument("--width", type=int, default=640)
    calc.add_argument("--height", type=int, default=640)
    calc.add_argument("--interpolate", type=int, choices=(2, 3, 4))


def run(args: argparse.Namespace, out: Any = None) -> int:
    out = out or sys.stdout
    return {"convert": _convert, "check": _check, "build": _build, "calc": _calc}[args.action](
        args, out)


def _convert(args: argparse.Namespace, out: Any) -> int:
    from wan22_gui.core.workflow.importer import load_workflow_file

    imported = load_workflow_file(args.file)
    print(f"{args.file.name}: {imported.source_format.upper()} format, "
          f"{len(imported.graph)} nodes", file=out)
    for role, node_id in sorted(imported.roles.items()):
        print(f"  {role:13} #{node_id} {imported.graph[node_id]['class_type']}", file=out)
    for line in [imported.missing_text(), *imported.notes, *imported.warnings]:
        if line:
            print(f"  ! {line}", file=out)
    if args.output:
        args.output.write_text(json.dumps(imported.graph, indent=1, ensure_ascii=False),
                               encoding="utf-8")
        print(f"API graph written to {args.output}", file=out)
    return EXIT_OK


def _check(args: argparse.Namespace, out: Any) -> int:
    from wan22_gui.core.comfy.client import ComfyClient
    from wan22_gui.core.base.errors import ServerUnavailable
    from wan22_gui.core.comfy.versions import version_from_stats
    from wan22_gui.core.workflow.importer import import_notes, load_workflow_file
    from wan22_gui.core.workflow.validate import validate

    url = args.server or _settings_url()
    client = ComfyClient(url)
    try:
        info = client.object_info()
        version = version_from_stats(client.system_stats())
    except ServerUnavailable as exc:
        print(f"wan22 workflow: {exc.user_text()}", file=sys.stderr)
        return EXIT_SERVER
    finally:
        client.close()
    imported = load_workflow_file(args.file, info)
    problems = validate(imported.graph, info, comfyui_version=version)
    for problem in problems:
        print(f"- {problem}", file=out)
    for note in import_notes(imported, info, comfyui_version=version):
        print(f"  note: {note}", file=out)
    print(f"{args.file.name}: " + (f"{len(problems)} problem(s)" if problems else
                                   f"ready to queue on {url}"), file=out)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _build(args: argparse.Namespace, out: Any) -> int:
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    spec = JobSpec(image=args.image, prompt=args.prompt, width=args.width, height=args.height,
                   frames=args.frames, fps=args.fps, seed=args.seed, use_lora=args.lora,
                   sage_attention=args.sage)
    print(json.dumps(build_wan_i2v(spec, args.image).graph, indent=1, ensure_ascii=False),
          file=out)
    return EXIT_OK


def _calc(args: argparse.Namespace, out: Any) -> int:
    from wan22_gui.core.workflow import calculator as calc

    _check_calc(args)
    frames = calc.snap_frames(args.frames) if args.frames is not None else \
        calc.frames_for_seconds(args.seconds if args.seconds is not None else 5.0, args.fps)
    m = calc.clip_math(calc.snap_size(args.width), calc.snap_size(args.height), frames, args.fps,
                       args.interpolate)
    lat = m.latent
    if args.frames is not None and frames != args.frames:
        print(f"{args.frames} frames is not 4n+1; using {frames}", file=out)
    print(f"{calc.describe_duration(frames, args.fps)} at {args.fps:g} fps", file=out)
    print(f"latent {lat.channels}×{lat.frames}×{lat.height}×{lat.width}, "
          f"{lat.tokens} tokens per step", file=out)
    if m.interpolated_frames:
        print(f"after ×{args.interpolate}: "
              f"{calc.describe_duration(m.interpolated_frames, m.interpolated_fps or args.fps)} "
              f"at {m.interpolated_fps:g} fps", file=out)
    return EXIT_OK


def _check_calc(args: argparse.Namespace) -> None:
    """The job limits apply to the calculator too (a length in range is still snapped)."""
    from wan22_gui.core.base.errors import InputError
    from wan22_gui.core.workflow import limits

    problems = [limits.FPS_RANGE.problem(args.fps),
                limits.SIDE.problem(args.width) and limits.side_problem("width", args.width),
                limits.SIDE.problem(args.height) and limits.side_problem("height", args.height)]
    if args.frames is not None:
        problems.append(limits.FRAMES.problem(args.frames))
    if args.seconds is not None:
        problems.append(limits.seconds_problem(args.seconds))
    problems = [p for p in problems if p]
    if problems:
        raise InputError(" ".join(problems), "Change the arguments and run again.")


def _settings_url() -> str:
    from wan22_gui.core.base.paths import AppPaths
    from wan22_gui.core.base.settings import Settings

    return Settings.load(AppPaths.default().settings_file).get("server.url")  # checked later
