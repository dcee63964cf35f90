"""`wan22 presets [--show NAME]`: the launch presets, or one preset's flags with their reasons."""

from __future__ import annotations

import argparse
import textwrap

HELP = "list the ComfyUI launch presets, or show one with the reason for each flag"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", metavar="NAME", help="show one preset in full")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    app = App.build()
    try:
        book = app.presets
        for problem in book.problems:
            print(f"warning: {problem}")
        if args.show:
            _show(book.get(args.show))
            return 0
        gpu = app.gpus.report().gpus[0] if app.gpus.report().gpus else None
        recommended = book.choose(gpu).name
        for preset in book.presets:
            mark = "*" if preset.name == recommended else " "
            print(f"{mark} {preset.name:<14} {preset.title:<30} {' '.join(preset.argv())}")
        print(f"\n* recommended for {gpu.name if gpu else 'this machine (no NVIDIA GPU)'}. "
              "Details: wan22 presets --show NAME")
        return 0
    finally:
        app.close()


def _show(preset) -> None:
    wrap = textwrap.TextWrapper(width=96, initial_indent="      ", subsequent_indent="      ")
    print(f"{preset.name}: {preset.title}  ({preset.source})")
    print(wrap.fill(preset.description))
    print("  flags:" if preset.args else "  flags: none")
    for spec in preset.args:
        era = f"   (only {spec.era()})" if spec.era() else ""
        print(f"    {' '.join(spec.argv())}{era}")
        print(wrap.fill(spec.reason))
    print("  environment:" if preset.env else "  environment: none")
    for name, spec in preset.env.items():
        print(f"    {name}={spec.value}")
        print(wrap.fill(spec.reason))
    print(f"  attention: {preset.attention}")
