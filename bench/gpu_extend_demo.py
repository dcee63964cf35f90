"""Extend a clip end to end through the app's job runner: two parts, joined, and the seam.

Part 1 is a plain image-to-video job; part 2 extends it (`JobSpec.extend_clip`: its start is
part 1's last N frames, sent as one multi-frame picture) and the runner joins the two. The
record holds the frame counts (part 1, part 2, overlap, joined, and the frames actually in the
joined file) and the seam figures: the mean absolute difference between neighbouring frames
across the join against the same within the parts (`core/video/extend.seam_measure`).

Against a running ComfyUI (or the test stand-in):
    python bench/gpu_extend_demo.py --server http://127.0.0.1:PORT --out DIR
Or it starts a ComfyUI source folder itself (models already in its models/ folder, e.g. the
random-weight files of the wan-gpu tools):
    python bench/gpu_extend_demo.py --comfyui PATH --out DIR [--width 832 --height 480
        --frames 33 --overlap 5 --color-match] [--record bench/records/h200_extend.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    args.out = args.out.resolve()  # ComfyUI runs in its own folder: its flags need full paths
    args.out.mkdir(parents=True, exist_ok=True)
    record: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    server = _start_comfyui(args) if args.comfyui else None
    try:
        url = args.server or f"http://127.0.0.1:{args.port}"
        code = _run(url, args, record)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(record, indent=1, default=str))
        print(f"recorded to {args.record}", flush=True)
    return code


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", help="address of a running ComfyUI")
    where.add_argument("--comfyui", type=Path, help="ComfyUI source folder to start")
    parser.add_argument("--out", type=Path, required=True, help="folder for the clips")
    parser.add_argument("--record", type=Path, default=ROOT / "bench/records/h200_extend.json")
    parser.add_argument("--image", type=Path, help="start image (default: a drawn one)")
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--frames", type=int, default=33, help="frames of each part (4n+1)")
    parser.add_argument("--overlap", type=int, default=5, help="frames shared (4k+1)")
    parser.add_argument("--color-match", action="store_true")
    parser.add_argument("--port", type=int, default=8190, help="port for --comfyui")
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    return parser.parse_args(argv)


def _start_comfyui(args: argparse.Namespace) -> subprocess.Popen:
    """ComfyUI with an empty front-end folder (no front-end package needed) and no API nodes."""
    empty = args.out / "empty_frontend"
    empty.mkdir(parents=True, exist_ok=True)
    log = (args.out / "console.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "main.py", "--listen", "127.0.0.1", "--port", str(args.port),
         "--front-end-root", str(empty), "--disable-api-nodes"],
        cwd=args.comfyui, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + args.ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ComfyUI exited during start-up; see {args.out / 'console.log'}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/system_stats", timeout=2)
            return process
        except OSError:
            time.sleep(1)
    process.terminate()
    raise SystemExit(f"ComfyUI was not ready within {args.ready_timeout:.0f} s")


def _start_image(args: argparse.Namespace) -> Path:
    if args.image:
        return args.image
    from PIL import Image, ImageDraw

    path = args.out / "extend_start.png"
    picture = Image.new("RGB", (args.width, args.height), (30, 70, 120))
    ImageDraw.Draw(picture).ellipse((args.width // 3, args.height // 4, args.width // 2,
                                     args.height // 2), fill=(230, 200, 90))
    picture.save(path)
    return path


def _run(url: str, args: argparse.Namespace, record: dict) -> int:
    from wan22_gui.core.base.paths import AppPaths
    from wan22_gui.core.comfy.session import ServerSession
    from wan22_gui.core.history import HistoryStore
    from wan22_gui.core.jobs.runner import JobRunner
    from wan22_gui.core.workflow.spec import JobSpec

    history = HistoryStore(AppPaths.under(args.out / "home").history_db)
    session = ServerSession(url).open()
    try:
        runner = JobRunner(session.client, session.watcher, history, args.out)
        spec = JobSpec(image=str(_start_image(args)), prompt="The golden sun drifts right.",
                       width=args.width, height=args.height, frames=args.frames, seed=1)
        first = _part(runner, spec, record, "part1")
        if first is None:
            return 1
        second = _part(runner, spec.replace(
            image="", seed=2, extend_clip=str(first.outputs[0]), extend_overlap=args.overlap,
            extend_color_match=args.color_match, extend_parent=first.job_id), record, "part2")
        if second is None:
            return 1
        _measure(history.get(second.job_id), record)
        return 0
    finally:
        session.close()
        history.close()


def _part(runner, spec, record: dict, name: str):
    started = time.monotonic()
    result = runner.run(spec)
    record[name] = {"status": result.status, "seconds": round(time.monotonic() - started, 1),
                    "timings": result.timings, "outputs": [str(p) for p in result.outputs],
                    "error": result.error}
    print(f"{name}: {result.status} in {record[name]['seconds']} s {result.outputs}", flush=True)
    return result if result.status == "succeeded" else None


def _measure(row, record: dict) -> None:
    from wan22_gui.core.video.extend import seam_measure
    from wan22_gui.core.video.reader import read_frames

    frames = dict(row.params["extend_frames"])
    joined = Path(row.outputs[0])
    frames["in_file"] = sum(1 for _ in read_frames(joined))
    frames["expected"] = frames["first"] + frames["second"] - frames["overlap"]
    seam = seam_measure(read_frames(joined), frames["first"], frames["overlap"])
    record["frames"] = frames
    record["seam"] = {"across": round(seam.across, 3), "within": round(seam.within, 3),
                      "ratio": round(seam.ratio, 3)}
    record["joined"] = str(joined)
    print(f"frames {json.dumps(frames)}\nseam {json.dumps(record['seam'])}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
