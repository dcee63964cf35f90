"""Time the built-in interpolation engine: 81 -> 161 frames at 832×1216 (target ≤ 10 s on a
2-core machine), in one process and in worker processes, with PSNR against the true middle
frames and against a plain 50/50 blend.

    python bench/bench_interpolation.py [--frames 81] [--size 832x1216] [--workers 0 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from wan22_gui.core.interpolation.builtin import interpolate_builtin
from wan22_gui.core.video.reader import probe, read_frames
from wan22_gui.core.video.testclip import TestScene, write_test_clip


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-9))


def quality(source: Path, output: Path, scene: TestScene, pairs: int, tmp: Path) -> dict[str, float]:
    """Mean PSNR of in-between frames against the true scene at t+0.5: the engine's frames as
    computed and as written to the mp4 (the app's writer: H.264, full chroma), and a plain
    50/50 blend written the same way."""
    from wan22_gui.core.interpolation.flow import FlowInterpolator
    from wan22_gui.core.video.writer import ClipWriter

    src = list(read_frames(source))
    out = list(read_frames(output))
    sample = list(range(0, pairs, max(1, pairs // 10)))
    blend_path = tmp / "blend.mp4"
    with ClipWriter(blend_path, 32, (src[0].shape[1], src[0].shape[0])) as writer:
        for i in range(pairs):
            writer.write(src[i])
            writer.write(cv2.addWeighted(src[i], 0.5, src[i + 1], 0.5, 0))
        writer.write(src[pairs])
    blend = list(read_frames(blend_path))
    engine = FlowInterpolator()
    truth = {i: scene.frame(i + 0.5) for i in sample}
    return {
        "flow_computed": float(np.mean([psnr(engine.between(src[i], src[i + 1], [0.5])[0], truth[i])
                                        for i in sample])),
        "flow_file": float(np.mean([psnr(out[2 * i + 1], truth[i]) for i in sample])),
        "blend_file": float(np.mean([psnr(blend[2 * i + 1], truth[i]) for i in sample])),
        "source_file": float(np.mean([psnr(src[i], scene.frame(i)) for i in sample])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=81)
    parser.add_argument("--size", default="832x1216")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--grain", type=int, default=24,
                        help="texture size of the test scene in pixels (8 = noise, hard to encode)")
    parser.add_argument("--speed", type=float, default=2.0, help="motion per frame (1 = slow)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    print(f"machine: {os.cpu_count()} cores; clip {args.frames} frames at {width}×{height}, 16 fps")
    with tempfile.TemporaryDirectory(prefix="wan22-bench-") as tmp:
        source = Path(tmp) / "source.mp4"
        write_test_clip(source, frames=args.frames, fps=16, size=(width, height), speed=args.speed,
                        grain=args.grain)
        for workers in args.workers:
            dest = Path(tmp) / f"out_{workers}.mp4"
            cpu0, started = time.process_time(), time.perf_counter()
            interpolate_builtin(source, dest, 2, workers=workers)
            wall = time.perf_counter() - started
            info = probe(dest)
            where = "in-process" if workers == 0 else f"{workers} spawned workers"
            verdict = "OK" if wall <= 10.0 else "over the 10 s target"
            print(f"built-in ×2, {where}: {args.frames} -> {info.frame_count} frames at "
                  f"{info.fps:g} fps in {wall:.2f} s ({wall / (args.frames - 1) * 1000:.0f} ms per "
                  f"in-between; parent CPU {time.process_time() - cpu0:.1f} s) [{verdict}]")
        scene = TestScene(width, height, speed=args.speed, grain=args.grain)
        q = quality(source, dest, scene, args.frames - 1, Path(tmp))
        print("PSNR against the true middle frames (mean of 10 pairs):")
        print(f"  optical flow, as computed  {q['flow_computed']:.2f} dB")
        gap = q["flow_computed"] - q["flow_file"]
        verdict = "OK" if gap <= 0.5 else "over the 0.5 dB target"
        print(f"  optical flow, in the mp4   {q['flow_file']:.2f} dB  "
              f"(app {q['flow_file']:.2f} / reference {q['flow_computed']:.2f} = {gap:.2f} dB lost) "
              f"[{verdict}]")
        print(f"  plain blend, in an mp4     {q['blend_file']:.2f} dB  "
              f"(flow {q['flow_file'] - q['blend_file']:+.2f} dB)")
        print(f"  (source frames in their mp4: {q['source_file']:.2f} dB: the encoder's ceiling)")


if __name__ == "__main__":
    main()
