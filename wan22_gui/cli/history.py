"""`wan22 history`: the most recent jobs, as a table or as JSON.

    wan22 history                 # last 20 jobs
    wan22 history --limit 5 --json
    wan22 history --status failed
    wan22 history delete ID [ID ...]   # outputs (and interpolations) to the system trash
    wan22 history fetch ID             # download a finished clip left on the server again
        [--server URL] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wan22_gui.core.base.errors import Wan22Error

from wan22_gui.core.history import KINDS, STATUSES

if TYPE_CHECKING:
    from wan22_gui.app import App

HELP = "list recent jobs (parameters, status, timings, outputs) from the history"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="history_command", metavar="ACTION")
    delete = sub.add_parser("delete", help="move jobs' videos (and their interpolations) to the "
                                           "system trash and hide the jobs from the history")
    delete.add_argument("job_ids", nargs="+", metavar="ID", help="history job ids")
    fetch = sub.add_parser("fetch", help="download again the finished clips a job left on "
                                         "ComfyUI when their download failed")
    fetch.add_argument("job_id", metavar="ID", help="history job id")
    fetch.add_argument("--server", metavar="URL",
                       help="the ComfyUI to ask (default: the one the job ran on)")
    fetch.add_argument("--output-dir", type=Path, metavar="DIR",
                       help="where the files go (default: where the job meant to put them)")
    parser.add_argument("--limit", type=int, default=20, help="how many jobs (default 20)")
    parser.add_argument("--json", action="store_true", help="full records as JSON")
    parser.add_argument("--status", choices=STATUSES, help="only jobs with this status")
    parser.add_argument("--kind", choices=KINDS, help="only jobs of this kind")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    app = App.build(history=True)
    try:
        if getattr(args, "history_command", None) == "delete":
            return _delete(app, args.job_ids)
        if getattr(args, "history_command", None) == "fetch":
            return _fetch(app, args.job_id, args.server, args.output_dir)
        records = app.history.list(kind=args.kind, status=args.status,
                                    limit=max(1, args.limit))
        if args.json:
            json.dump([r.to_dict() for r in records], sys.stdout, indent=2, ensure_ascii=False)
            print()
        else:
            print_table(records, sys.stdout)
        return 0
    finally:
        app.close()


def _delete(app: App, job_ids: list[str]) -> int:
    """`wan22 history delete`: the gallery's delete (GalleryActions), from the terminal."""
    from wan22_gui.core.video.thumbnails import ThumbnailCache

    actions = app.gallery_actions(
        forget_thumbnail=ThumbnailCache(app.paths.thumbnail_dir).forget)
    print(actions.delete(job_ids).summary())
    return 0


def _fetch(app: App, job_id: str, server: str | None, output_dir: Path | None) -> int:
    """`wan22 history fetch`: the Gallery's "Download again", from the terminal."""
    try:
        paths = app.gallery_actions().download_again(job_id, server_url=server, dest=output_dir)
    except Wan22Error as exc:
        print(f"wan22 history fetch: {exc.user_text()}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"Downloaded {path}")
    return 0


def print_table(records: list[Any], out: TextIO) -> None:
    if not records:
        print("No jobs yet. Make one with `wan22 generate IMAGE` or in the app.", file=out)
        return
    print(f"{'job':<24} {'when':<16} {'status':<11} {'size':<10} {'frames':>6} "
          f"{'time':>8} {'peak VRAM':>9}  result", file=out)
    for r in records:
        p = r.params or {}
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at))
        size = f"{p.get('width', '?')}×{p.get('height', '?')}" if p else "—"
        took = f"{r.duration:.1f} s" if r.duration is not None else "—"
        peak = r.metrics.get("peak_vram_bytes") if r.metrics else None
        vram = f"{peak / 2**30:.1f} GiB" if peak else "—"
        result = r.outputs[0] if r.outputs else ((r.error or {}).get("message") or r.label or "")
        print(f"{r.job_id:<24} {when:<16} {r.status:<11} {size:<10} {p.get('frames', '—'):>6} "
              f"{took:>8} {vram:>9}  {result}", file=out)
