"""Play 3 synchronised 832×1216 clips (16, 32, 32 fps) for 10 s in the compare view and print
dropped frames (target 0), frame-step latency (target ≤ 50 ms) and the process's memory.

Runs offscreen (QT_QPA_PLATFORM=offscreen unless set). Dropped frames are frames of the fastest
clip that were due during playback but never painted; step latency is the time from a step to
the end of the repaint that shows it, measured while the clips are still decoding (from the
start, where the decoders are, and from the middle, ahead of them: there every frame is decoded
on demand) and once they are in memory.

With `--clips 4 --frames 321` (issue 13's case: 4 clips × 321 frames at 832×1216, 5 GiB of
frames) the clips are longer than the player's memory budget and stream through a window around
the playhead; the target is then ≤ 1.5 GiB resident at full size, 0 dropped frames.

    python bench/bench_player.py [--seconds 10] [--size 832x1216] [--window 1600x900]
                                 [--clips 3] [--frames 161] [--clips-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from qtloop import rss_bytes, spin, spin_until  # noqa: E402
from wan22_gui.app import App  # noqa: E402
from wan22_gui.core.base.paths import AppPaths  # noqa: E402
from wan22_gui.core.video.testclip import write_test_clip  # noqa: E402
from wan22_gui.gui.context import AppContext  # noqa: E402
from wan22_gui.gui.tasks import TaskRunner  # noqa: E402
from wan22_gui.gui.player.compare import CompareView  # noqa: E402
from wan22_gui.gui.player.view import ClipSource  # noqa: E402




def make_clips(folder: Path, size: tuple[int, int], count: int = 3,
               frames: int = 161) -> list[ClipSource]:
    """A 16 fps source and `count - 1` interpolations of it at 32 fps (`frames` frames each;
    with `frames` above 161 the source has as many frames too, as in issue 13's case). Clips
    already in `folder` under their name (a `--clips-dir` of an earlier run) are used as they are."""
    started = time.perf_counter()
    source_frames = (frames - 1) // 2 + 1 if frames <= 161 else frames
    tag = f"{size[0]}x{size[1]}_{frames}"
    clips = [ClipSource(_clip(folder / f"source16_{tag}.mp4", frames=source_frames, fps=16,
                              size=size, grain=24, speed=2), "Source")]
    for i in range(count - 1):
        path = _clip(folder / f"clip{i}_32_{tag}.mp4", frames=frames, fps=32, size=size,
                     grain=24 + 8 * i, speed=1)
        clips.append(ClipSource(path, f"{chr(65 + i)} ×2"))
    print(f"clips ready in {time.perf_counter() - started:.1f} s: {source_frames} @16 fps, "
          f"{frames} @32 fps ×{count - 1}, {size[0]}×{size[1]}")
    return clips


def _clip(path: Path, **how) -> Path:
    """The clip at `path`, written first when missing (under another name until complete, so
    an interrupted run leaves no half clip to reuse)."""
    if not path.is_file():
        partial = path.with_name(f"partial_{path.name}")
        write_test_clip(partial, **how).replace(path)
    return path


class RssWatch:
    """The highest resident memory seen, sampled every 50 ms on the event loop."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self.timer = QTimer()
        self.timer.timeout.connect(self.sample)
        self.timer.start(50)

    def sample(self) -> None:
        self.peak = max(self.peak, rss_bytes())


class PaintProbe:
    """Records, for every repaint of the canvas, which frame of the fastest clip it showed."""

    def __init__(self, view: CompareView, clip: int) -> None:
        self.view, self.clip, self.frames = view, clip, []
        canvas = view.player.canvas
        original = canvas.paintEvent

        def paint(event):
            original(event)
            clock = view.player.clock
            if clock is not None and canvas.panels and canvas.panels[clip].frame is not None:
                self.frames.append(clock.timeline.frame_at(clip, clock.tick))
            self.last_paint = time.perf_counter()

        canvas.paintEvent = paint
        self.last_paint = 0.0

    def dropped(self, count: int) -> tuple[int, int]:
        """(frames never painted, frames painted) over the recorded run, loops unrolled."""
        shown, missed, previous = 0, 0, None
        for frame in self.frames:
            if previous is not None and frame != previous:
                step = frame - previous if frame > previous else frame + count - previous
                missed += step - 1
                shown += 1
            previous = frame
        return missed, shown


REPAINTS: list[float] = []  # ms of each step's final repaint alone (where a slow step goes)


def step_latencies(view: CompareView, steps: int) -> list[float]:
    """ms from a frame step to the end of the repaint that shows every panel's exact new
    frame (a panel that still shows the frame before, marked as decoding, does not count)."""
    player = view.player
    times = []
    REPAINTS.clear()
    for _ in range(steps):
        started = time.perf_counter()
        player.clock.step(+1)
        spin_until(lambda: not player.waiting_for_frames(), 5.0)
        painted = time.perf_counter()
        player.canvas.repaint()
        done = time.perf_counter()
        times.append((done - started) * 1000)
        REPAINTS.append((done - painted) * 1000)
    return times


def repaint_share() -> str:
    return (f"; of which the last repaint: median {statistics.median(REPAINTS):.1f} ms, "
            f"max {max(REPAINTS):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="832x1216")
    parser.add_argument("--window", default="1600x900")
    parser.add_argument("--clips", type=int, default=3, help="clips in the compare view (2–4)")
    parser.add_argument("--frames", type=int, default=161, help="frames of each 32 fps clip")
    parser.add_argument("--clips-dir", type=Path, default=None,
                        help="keep the test clips here and reuse them in later runs (writing "
                             "4 clips of 321 frames takes minutes on 2 cores)")
    parser.add_argument("--budget-gib", type=float, default=1.5,
                        help="resident-memory target for the process while playing")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    window = tuple(int(v) for v in args.window.split("x"))
    _app = QApplication.instance() or QApplication([])  # held for the whole run
    with tempfile.TemporaryDirectory(prefix="wan22-bench-") as tmp:
        folder = args.clips_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        clips = make_clips(folder, size, args.clips, args.frames)
        import gc

        gc.collect()
        before = rss_bytes()
        core = App.build(AppPaths.under(Path(tmp) / "home"))
        ctx = AppContext(app=core, tasks=TaskRunner())
        view = CompareView(ctx, clips)
        view.resize(*window)
        view.show()
        watch = RssWatch()
        opened = time.perf_counter()
        spin_until(lambda: view.player.clock is not None, 30)
        player = view.player
        spin_until(lambda: not player.waiting_for_frames(), 30)  # the first picture is up
        print(f"first picture after {(time.perf_counter() - opened) * 1000:.0f} ms")
        started = time.perf_counter()
        player.clock.end()  # far beyond what is decoded: the caches seek there first
        spin_until(lambda: not player.waiting_for_frames(), 10)
        player.canvas.repaint()
        jump = (time.perf_counter() - started) * 1000
        player.clock.home()
        spin_until(lambda: not player.waiting_for_frames(), 10)
        cold = step_latencies(view, 10)  # while the caches are still filling
        cold_paint = repaint_share()
        player.clock.seek(player.clock.timeline.tick_count // 2)  # ahead of the decoders
        spin_until(lambda: not player.waiting_for_frames(), 10)
        ahead = step_latencies(view, 10)  # every step needs a frame not decoded yet
        ahead_paint = repaint_share()
        spin_until(lambda: all(c.complete for c in player.caches), 60)
        loaded = time.perf_counter() - opened
        memory = sum(c.nbytes for c in player.caches) / 2**30
        sizes = {f"{c.size[0]}×{c.size[1]}" for c in player.caches}
        held = sum(c.capacity for c in player.caches)
        total = sum(c.frame_count for c in player.caches)
        how = (f"streaming: {held} of {total} frames held around the playhead"
               if any(c.streaming for c in player.caches) else f"all {total} frames held")
        print(f"caches settled in {loaded:.2f} s ({how}; {memory:.2f} GiB of frames, at "
              f"{', '.join(sorted(sizes))})")
        warm = step_latencies(view, 30)
        warm_paint = repaint_share()
        probe = PaintProbe(view, clip=1)
        player.clock.home()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        player.clock.play()
        spin(int(args.seconds * 1000))
        player.clock.pause()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        watch.sample()
        missed, shown = probe.dropped(player.caches[1].frame_count)
        due = int(wall * 32)
        print(f"played {wall:.1f} s on a {window[0]}×{window[1]} window: {shown} frame changes of "
              f"the 32 fps clips painted (~{due} due), dropped frames: {missed} [target 0: "
              f"{'OK' if missed == 0 else 'MISSED'}]; GUI process CPU {cpu / wall * 100:.0f}% of one core")
        peak = watch.peak / 2**30
        print(f"resident memory of the process: peak {peak:.2f} GiB while open and playing "
              f"({before / 2**30:.2f} GiB before the player; app {peak:.2f} / target "
              f"{args.budget_gib:.2f} = {peak / args.budget_gib:.2f}) "
              f"[{'OK' if peak <= args.budget_gib else 'MISSED'}]")
        print(f"jump to the last frame while decoding (End): {jump:.1f} ms")
        for name, values, paint in (
                ("while decoding", cold, cold_paint),
                ("while decoding, from the middle (frames not decoded yet)", ahead, ahead_paint),
                ("from memory", warm, warm_paint)):
            print(f"frame-step latency {name}: median {statistics.median(values):.1f} ms, "
                  f"max {max(values):.1f} ms [target ≤ 50 ms: "
                  f"{'OK' if max(values) <= 50 else 'MISSED'}]{paint}")
        print(f"machine load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        view.shutdown()
        view.close()
        view.deleteLater()
        spin(50)
        ctx.tasks.shutdown()
        core.close()


if __name__ == "__main__":
    main()
