"""`wan22 env-snapshot [--out FILE]`: GPU, driver, CUDA, ComfyUI/Python/torch, flags, env as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "save an environment snapshot (GPU, driver, CUDA, ComfyUI/Python/torch, flags) as JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help="write here instead of printing")
    parser.add_argument("--comfyui", metavar="PATH", help="ComfyUI folder (default: settings)")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App
    from wan22_gui.core.base.errors import Wan22Error
    from wan22_gui.core.server.snapshot import collect_snapshot, write_snapshot

    app = App.build(server=True)  # no history database, no sampling
    try:
        setup = app.launch_setup(remember=False)
        setup.detect_gpus()
        try:
            setup.load_install(args.comfyui)
        except Wan22Error:
            pass  # recorded in setup.problems, reported below
        snapshot = collect_snapshot(setup)
        if args.out:
            print(f"wrote {write_snapshot(snapshot, Path(args.out))}")
        else:
            sys.stdout.write(json.dumps(snapshot, indent=2, default=str) + "\n")
        for problem in snapshot["problems"]:
            print(f"note: {problem}", file=sys.stderr)
        return 0
    finally:
        app.close()
