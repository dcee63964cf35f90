"""`wan22 compare-metrics`: the compare view's figures for clips, as a table.

    wan22 compare-metrics source.mp4 rife_x2.mp4 film_x2.mp4     # the first clip is the source
    wan22 compare-metrics a.mp4 b.mp4 --reference 2 --json out.json

Per clip: warping error (built-in optical flow), flicker, PSNR/SSIM against the reference at the
timestamps both have a frame. `--json`/`--csv` write the same figures to files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wan22_gui.core.base.errors import InputError

HELP = "temporal-consistency figures of clips (warping error, flicker, PSNR/SSIM vs the source)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("clips", nargs="+", type=Path, metavar="CLIP",
                        help="the videos; the first is the source the others are compared with")
    parser.add_argument("--reference", type=int, default=1, metavar="N",
                        help="which clip (1 = the first) is the source (default 1)")
    parser.add_argument("--sidecar", type=Path, metavar="VIDEO",
                        help="write VIDEO.metrics.json and VIDEO.metrics.csv (as an export does)")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.core.interpolation.metrics import compare_metrics, metrics_table, write_sidecar

    if not 1 <= args.reference <= len(args.clips):
        raise InputError(f"--reference {args.reference} is not one of the {len(args.clips)} clips.",
                         f"Give a number from 1 to {len(args.clips)}.")
    rows = compare_metrics([(path, path.name) for path in args.clips], reference=args.reference - 1)
    print(metrics_table(rows))
    if args.sidecar:
        for path in write_sidecar(args.sidecar, rows):
            print(f"figures: {path}")
    return 0
