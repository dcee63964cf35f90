"""`wan22 export-script --preset NAME --format sh|bat`: a launch script for a preset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write a .sh or .bat that starts ComfyUI with a preset (reasons as comments)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="auto", help="preset name, or auto (default)")
    parser.add_argument("--format", choices=["sh", "bat"], default="bat" if sys.platform ==
                        "win32" else "sh", help="script type (default: this system's)")
    parser.add_argument("--comfyui", metavar="PATH", help="ComfyUI folder (default: settings)")
    parser.add_argument("--port", type=int, help="port (default: settings, 8188)")
    parser.add_argument("--listen", metavar="ADDR", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--out", metavar="FILE", help="write here instead of printing")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App
    from wan22_gui.core.server.choice import plan_from_settings, resolve_install
    from wan22_gui.core.server.scripts import render_script, write_script

    app = App.build()
    try:
        install = resolve_install(args.comfyui, app.settings)
        plan = plan_from_settings(app.settings, app.presets, app.gpus.report(), install=install,
                                  preset=args.preset, port=args.port, listen=args.listen)
        if args.out:
            path = write_script(plan, args.format, Path(args.out))
            print(f"wrote {path} (preset {plan.preset.name})")
        else:
            sys.stdout.write(render_script(plan, args.format))
        return 0
    finally:
        app.close()
