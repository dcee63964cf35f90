"""`wan22 max-frames`: find the largest frame count that runs without running out of GPU memory.

    wan22 max-frames portrait.png --resolution 832x1216 --out results/5090
    wan22 max-frames portrait.png --resolution 832x1216 --preset rtx-5090 --comfyui ~/ComfyUI \\
        --low 81 --high 241 --out results/5090

Bisection over 4n+1 frame counts: every probe is a real job (recorded in the history, kind
"bench"), and every probe is written to DIR/max_frames/*.json, which `wan22 bench` reports show.
Exit codes: 0 found, 1 the search stopped early (an error that is not an OOM, no server),
2 bad arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from wan22_gui.cli.bench import run_cancellable
from wan22_gui.core.bench.spec import ATTENTION_CHOICES

HELP = "find the largest frame count (4n+1) that fits in GPU memory, by bisection"

EXIT_OK, EXIT_STOPPED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, help="the start image")
    parser.add_argument("--resolution", default="832x1216", help="WIDTHxHEIGHT (default 832x1216)")
    parser.add_argument("--low", type=int, default=17, help="smallest frame count to try (17)")
    parser.add_argument("--high", type=int, default=241, help="largest frame count to try (241)")
    parser.add_argument("--preset", default="", help="launch preset (default: the server's, or "
                        "the one chosen for the GPU with --comfyui)")
    parser.add_argument("--attention", choices=ATTENTION_CHOICES, default="default")
    parser.add_argument("--no-lora", dest="lora", action="store_false", default=True,
                        help="the 20-step workflow without the 4-step LoRA")
    parser.add_argument("--prompt", default="a gentle camera move, natural motion")
    parser.add_argument("--seed", type=int, default=42)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", help="use the ComfyUI at this address")
    where.add_argument("--comfyui", type=Path, metavar="PATH",
                       help="start ComfyUI from this folder (restarted after a crash)")
    parser.add_argument("--port", type=int, help="port for --comfyui")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for the probes (DIR/max_frames/*.json) and their clips")


def build_spec(args: argparse.Namespace) -> Any:
    """A one-cell spec for the search (raises InputError for a bad image or resolution)."""
    from wan22_gui.core.bench.spec import parse_spec

    config = {"name": _config_name(args), "preset": args.preset, "attention": args.attention,
              "lora": args.lora}
    data = {"name": "max-frames", "images": [str(args.image.resolve())],
            "resolutions": [args.resolution], "frames": [args.low], "repeats": 1, "warmup": 0,
            "prompt": args.prompt, "seed": args.seed, "configs": [config]}
    return parse_spec(data, base_dir=Path.cwd())


def _config_name(args: argparse.Namespace) -> str:
    parts = [args.preset or "server preset", "4-step LoRA" if args.lora else "20 steps"]
    if args.attention != "default":
        parts.append(args.attention)
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App
    from wan22_gui.core.bench.maxframes import MaxFramesSearch
    from wan22_gui.core.bench.wiring import open_benchmark

    spec = build_spec(args)
    app = App.build(history=True, telemetry=True)
    try:
        setup = open_benchmark(app.bench_services(), spec, args.out, server_url=args.server,
                               comfyui=args.comfyui, port=args.port)
        try:
            search = MaxFramesSearch(spec, spec.configs[0], args.out, setup.cells, setup.server)
            return _search(search, args.low, args.high, sys.stdout, sys.stderr)
        finally:
            setup.close()
    finally:
        app.close()


def _search(search: Any, low: int, high: int, out: TextIO, err: TextIO) -> int:
    result = run_cancellable(lambda: search.run(low, high, on_probe=lambda p: _print_probe(p, out)),
                             search.cancel, err, "wan22 max-frames: cancelling the running probe…")
    if result is None:
        return EXIT_INTERRUPTED
    print(result.summary() + ".", file=out)
    if result.stopped:
        return EXIT_INTERRUPTED if result.stopped == "cancelled" else EXIT_STOPPED
    return EXIT_OK


def _print_probe(probe: Any, out: TextIO) -> None:
    took = f"{probe.seconds:7.1f} s" if probe.seconds is not None else " " * 9
    peak = f"  peak {probe.peak_vram_bytes / 1024**3:.1f} GiB" if probe.peak_vram_bytes else ""
    note = f"  {probe.error.splitlines()[0]}" if probe.error and not probe.fits else ""
    verdict = "fits" if probe.fits else probe.status
    print(f"{probe.frames:>5} frames: {verdict:<9} {took}{peak}{note}", file=out, flush=True)
