"""`wan22 launch`: start ComfyUI in the foreground with a preset, streaming its log;
Ctrl+C stops it (gracefully, then by force)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wan22_gui.app import App
    from wan22_gui.core.server.setup import LaunchSetup

HELP = "start ComfyUI with the recommended (or a named) preset and stream its log; Ctrl+C stops it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default=None, help="preset name, or auto (default: settings)")
    parser.add_argument("--comfyui", metavar="PATH", help="ComfyUI folder (default: settings)")
    parser.add_argument("--port", type=int, help="port (default: settings, 8188)")
    parser.add_argument("--listen", metavar="ADDR",
                        help="address to listen on (default 127.0.0.1; others expose ComfyUI, "
                             "which has no authentication, to the network)")
    parser.add_argument("--attention", choices=["sdpa", "sage", "flash"],
                        help="attention backend (default: the preset's)")
    parser.add_argument("--extra", metavar="FLAGS", help="more ComfyUI flags, quoted as one string")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    app = App.build(server=True)
    try:
        return _launch(app, args)
    finally:
        app.close()  # stops ComfyUI if it still runs


def _launch(app: App, args: argparse.Namespace) -> int:
    from wan22_gui.core.server import launcher as L

    setup = _setup(app, args)
    plan, install = setup.plan, setup.install
    print(f"{install.describe()}\npreset {plan.preset.name}: {plan.preset.title}")
    for finding in setup.findings:
        print(f"doctor {finding.level}: {finding.message} {finding.fix}", file=sys.stderr)
    if setup.help_problem:
        print(f"doctor: {setup.help_problem}", file=sys.stderr)
    controller = setup.controller
    controller.log_line.connect(lambda line: print(line, flush=True))
    try:
        plan = setup.start()
    except L.ComfyAlreadyRunning as exc:
        print(f"wan22 launch: {exc} Nothing was started.\nUse it as it is (the app's Attach), "
              "or choose another --port.", file=sys.stderr)
        return 1
    try:
        if controller.wait_ready(None):
            print(f"[wan22] ComfyUI (pid {controller.process.pid}) is ready at {plan.url} "
                  "(Ctrl+C stops it)", flush=True)
        while controller.state in (L.STATE_STARTING, L.STATE_READY):
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("[wan22] stopping ComfyUI ...", flush=True)
        setup.stop()
        return 0
    crash = controller.last_crash
    if crash is not None:
        print(f"wan22 launch: {crash.sentence}\n{crash.fix}", file=sys.stderr)
        return 1
    return 0


def _setup(app: App, args: argparse.Namespace) -> LaunchSetup:
    """The launch setup the GUI panel uses too, with this run's options (not saved)."""
    from wan22_gui.core.base.errors import LaunchError
    from wan22_gui.core.server.choice import parse_extra_args
    if args.extra is not None:
        parse_extra_args(args.extra)  # unreadable quotes are an error here, not a note
    setup = app.launch_setup(remember=False)  # this run's options are not saved
    setup.choose(preset=args.preset, port=args.port, listen=args.listen,
                 attention=args.attention, extra_args=args.extra)
    setup.detect_gpus()
    setup.load_install(args.comfyui)
    if setup.plan is None or setup.plan_problem:  # e.g. the saved preset no longer exists
        raise LaunchError(setup.plan_problem or "There is no launch to run.",
                          "Choose a preset with --preset (list them with `wan22 presets`).")
    return setup
