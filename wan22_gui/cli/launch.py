"""`wan22 launch`: start ComfyUI in the foreground with a preset, streaming its log;
Ctrl+C stops it (gracefully, then by force)."""

from __future__ import annotations

import argparse
import sys
import time

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

    core = App.build(server=True)
    try:
        return _launch(core, args)
    finally:
        core.close()  # stops ComfyUI if it still runs


def _launch(core, args: argparse.Namespace) -> int:
    from wan22_gui.core.server import launcher as L
    from wan22_gui.core.server.cache import launcher_cache
    from wan22_gui.core.server.choice import parse_extra_args, plan_from_settings, resolve_install
    from wan22_gui.core.server.doctor import check, load_flag_table

    install = resolve_install(args.comfyui, core.settings)
    extra = parse_extra_args(args.extra) if args.extra is not None else None
    plan = plan_from_settings(core.settings, core.presets, core.gpus.report(), install=install,
                              preset=args.preset, port=args.port, listen=args.listen,
                              attention=args.attention, extra_args=extra)
    print(f"{install.describe()}\npreset {plan.preset.name}: {plan.preset.title}")
    table, problem = load_flag_table(install, launcher_cache(core.paths))
    for finding in check(plan.flags, plan.env, table=table, version=install.version):
        print(f"doctor {finding.level}: {finding.message} {finding.fix}", file=sys.stderr)
    if problem:
        print(f"doctor: {problem}", file=sys.stderr)
    controller = core.server
    controller.log_line.connect(lambda line: print(line, flush=True))
    try:
        plan = controller.check_port(plan)
    except L.ComfyAlreadyRunning as exc:
        print(f"wan22 launch: {exc} Nothing was started.\nUse it as it is (the app's Attach), "
              "or choose another --port.", file=sys.stderr)
        return 1
    controller.start_plan(plan)
    try:
        if controller.wait_ready(None):
            print(f"[wan22] ComfyUI (pid {controller.process.pid}) is ready at {plan.url} "
                  "(Ctrl+C stops it)", flush=True)
        while controller.state in (L.STATE_STARTING, L.STATE_READY):
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("[wan22] stopping ComfyUI ...", flush=True)
        controller.stop()
        return 0
    crash = controller.last_crash
    if crash is not None:
        print(f"wan22 launch: {crash.sentence}\n{crash.fix}", file=sys.stderr)
        return 1
    return 0
