"""`wan22 gpus`: the NVIDIA GPUs NVML sees, and the preset each would get."""

from __future__ import annotations

import argparse
import json

HELP = "list NVIDIA GPUs (name, VRAM, driver, CUDA, compute capability) and their presets"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App
    from wan22_gui.core.gpu import comfy_gpu_index
    import os

    app = App.build()
    try:
        report, book = app.gpus.report(), app.presets
        if args.json:
            print(json.dumps(report.to_dict(), indent=2))
            return 0
        if not report.gpus:
            print(report.problem)
            print(f"Recommended preset: {book.choose(None).name}")
            return 0
        print(f"NVIDIA driver {report.driver_version or '?'}, "
              f"CUDA {report.cuda_version or '?'} (highest the driver supports)")
        used = comfy_gpu_index([], os.environ)
        for gpu in report.gpus:
            marker = "  <- ComfyUI will use this one" if gpu.index == used else ""
            print(f"  {gpu.summary()}, preset {book.choose(gpu).name}{marker}")
        return 0
    finally:
        app.close()
