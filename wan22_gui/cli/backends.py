"""`wan22 backends`: the ComfyUI servers the one queue runs on.

    wan22 backends list
    wan22 backends add h100 --url https://gpu.example.org:8443 --token-ref h100-token
    wan22 backends add 5090 --local --cuda-device 1 --port 8190 --preset rtx5090 --pin 5090
    wan22 backends pause 5090 / resume 5090 / remove 5090

`list` asks each backend `/system_stats` once and says whether it answers and with which GPU.
A token is never given here: `--token-ref` names the keyring entry that holds it.
Exit codes: 0 done, 1 a backend did not answer (list), 2 a wrong name or argument.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

HELP = "list, add, remove, pause or resume the ComfyUI backends of the queue"

EXIT_OK, EXIT_DOWN, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="every backend, whether it answers, its GPU")
    add = sub.add_parser("add", help="add a remote (--url) or local (--local) backend")
    add.add_argument("name")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the remote ComfyUI's address")
    where.add_argument("--local", action="store_true", help="a ComfyUI the app launches")
    add.add_argument("--token-ref", help="keyring entry holding an auth token (remote)")
    add.add_argument("--cuda-device", type=int, help="GPU index for --local")
    add.add_argument("--port", type=int, help="port for --local")
    add.add_argument("--preset", help="launch preset for --local (default: auto-detect)")
    add.add_argument("--pin", action="append", default=[], help="a tag jobs can require")
    for action in ("remove", "pause", "resume"):
        sub.add_parser(action, help=f"{action} a backend").add_argument("name")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from wan22_gui.core.backends.store import BackendStore
    from wan22_gui.core.base.errors import InputError
    from wan22_gui.core.base.paths import AppPaths
    from wan22_gui.core.base.settings import Settings

    out, err = out or sys.stdout, err or sys.stderr
    store = BackendStore(Settings.load(AppPaths.default().settings_file))
    try:
        return _ACTIONS[args.action](store, args, out)
    except InputError as exc:
        print(f"wan22 backends: {exc.user_text()}", file=err)
        return EXIT_USAGE


def _list(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    from wan22_gui.core.backends.pool import BackendPool

    specs = store.list()
    if not specs:
        print("No backends yet: the queue uses the one server of the settings. "
              "Add one with `wan22 backends add NAME --url URL`.", file=out)
        return EXIT_OK
    pool = BackendPool(store)
    pool.probe_all()
    down = False
    for state in pool.states():
        pins = f" [pins: {', '.join(state.spec.pins)}]" if state.spec.pins else ""
        gpu = f" (GPU {state.spec.cuda_device})" if state.spec.kind == "local" else ""
        print(f"{state.spec.kind:6} {state.words}{gpu}{pins}", file=out)
        down = down or not (state.usable or state.spec.paused)
    return EXIT_DOWN if down else EXIT_OK


def _add(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    from wan22_gui.core.backends.spec import BackendSpec

    if args.local:
        spec = BackendSpec(args.name, "local", cuda_device=args.cuda_device, port=args.port,
                           preset=args.preset, pins=tuple(args.pin))
    else:
        spec = BackendSpec(args.name, "remote", url=args.url, token_ref=args.token_ref,
                           pins=tuple(args.pin))
    store.add(spec)
    print(f"Added {spec.name} ({spec.kind}, {spec.base_url}).", file=out)
    return EXIT_OK


def _remove(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    store.remove(args.name)
    print(f"Removed {args.name}; its jobs in the history keep its name.", file=out)
    return EXIT_OK


def _pause(store: Any, args: argparse.Namespace, out: TextIO) -> int:
    paused = args.action == "pause"
    store.set_paused(args.name, paused)
    print(f"{args.name}: {'paused (it finishes its job, takes no new one)' if paused else 'resumed'}.",
          file=out)
    return EXIT_OK


def backend_url(settings: Any, name: str) -> str:
    """The address of backend `name` (for `--backend` on generate and bench)."""
    from wan22_gui.core.backends.store import BackendStore

    return BackendStore(settings).get(name).base_url


_ACTIONS = {"list": _list, "add": _add, "remove": _remove, "pause": _pause, "resume": _pause}
