"""Run the stand-in as its own process, the way a launcher starts ComfyUI.

    python -m tests.fakes.comfy_standin --port 0 --root DIR [--object-info PATH ...]
        [--faults JSON] [--custom-nodes] [--startup-delay S] [ComfyUI flags ...]

Prints ``READY http://127.0.0.1:<port>`` on stdout once listening, ComfyUI-like console lines on
stderr ("To see the GUI go to: ...", "got prompt", "Prompt executed in X seconds", ...), and
serves until SIGTERM or SIGINT. Unknown flags (``--reserve-vram 1``) are accepted and show up in
``/system_stats`` ``argv``, so a launcher's command line can be checked there.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.fakes.comfy_standin.catalog import APP_CUSTOM_NODES
from tests.fakes.comfy_standin.faults import Faults
from tests.fakes.comfy_standin.server import StandinServer, print_banner


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.comfy_standin",
                                     description="Stand-in ComfyUI 0.3.64 server for tests.")
    parser.add_argument("--port", type=int, default=8188, help="0 picks a free port")
    parser.add_argument("--listen", nargs="?", const="0.0.0.0", default="127.0.0.1",
                        help="address to bind (a comma list binds its first entry)")
    parser.add_argument("--root", "--base-directory", dest="root", type=Path, default=None,
                        help="folder holding input/, output/, temp/, models/ (a temp dir if omitted)")
    parser.add_argument("--object-info", type=Path, action="append", default=[],
                        help="extra /object_info dump whose classes the server also offers")
    parser.add_argument("--custom-nodes", action="store_true",
                        help="offer " + ", ".join(APP_CUSTOM_NODES))
    parser.add_argument("--node", action="append", default=[],
                        help="offer one class from the recorded custom-node dump")
    parser.add_argument("--profile", default="0.3.64", choices=("0.3.64", "0.38.1"),
                        help="the ComfyUI version to play (0.38.1 adds the newer core nodes)")
    parser.add_argument("--faults", default="{}", help='JSON, e.g. \'{"oom_above_frames": 49}\'')
    parser.add_argument("--max-upload-size", type=float, default=100, help="MB, like ComfyUI")
    parser.add_argument("--startup-delay", type=float, default=0.0,
                        help="seconds to wait before listening (a slow cold start)")
    parser.add_argument("--wan-models", action="store_true",
                        help="place empty files with the Wan 2.2 template's model names")
    return parser.parse_known_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, _unknown = _parse(argv)
    try:
        faults = Faults(**json.loads(args.faults))
    except (ValueError, TypeError) as error:
        print(f"--faults: {error}", file=sys.stderr)
        return 2
    root = args.root or Path(tempfile.mkdtemp(prefix="comfy-standin-"))
    nodes = list(APP_CUSTOM_NODES) if args.custom_nodes else []
    server = StandinServer(
        root, faults=faults, extra_nodes=[*nodes, *args.node], object_info_paths=args.object_info,
        host=args.listen.split(",")[0], port=args.port, max_upload_size=int(args.max_upload_size * 1024 * 1024),
        argv=["main.py", *argv], console_stream=sys.stderr,
        on_die=lambda: os._exit(faults.die_exit_code), profile=args.profile)
    if args.wan_models:
        server.models.install_wan()
    print_banner(server.console, server)
    time.sleep(max(0.0, args.startup_delay))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        url = server.start()
    except OSError as error:  # like ComfyUI: a busy port is an OSError and exit code 1
        print(f"OSError: [Errno {error.errno}] error while attempting to bind on address "
              f"({args.listen!r}, {args.port}): {error.strerror}", file=sys.stderr, flush=True)
        return 1
    print(f"READY {url}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.console("\nStopped server")
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
