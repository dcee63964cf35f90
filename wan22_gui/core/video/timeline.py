"""The common clock of the compare view: which frame of each clip shows at each tick.

All clips start at t = 0. The clock ticks at the least common multiple of the clips' frame rates
when that is small (16, 32, 48 fps -> 96 ticks/s, so every frame lasts a whole number of ticks),
otherwise at the highest rate. At tick k (time t = k / tick_fps) clip i shows frame
floor(t * fps_i), clamped to its last frame: the frame whose time interval [f/fps, (f+1)/fps)
contains t. The arithmetic is done with fractions so 16 vs 32 vs 48 fps never drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

# Above this the clock uses the highest fps instead of the LCM (29.97 and 16 would give 1000s).
MAX_LCM_TICK_FPS = 240
_RATE_DENOMINATOR_LIMIT = 1001  # enough for NTSC rates such as 30000/1001


def exact_rate(fps: float) -> Fraction:
    """The rational frame rate closest to `fps` (16.0 -> 16, 29.97 -> 30000/1001)."""
    if fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"frame rate must be positive, got {fps}")
    return Fraction(fps).limit_denominator(_RATE_DENOMINATOR_LIMIT)


def _lcm(a: Fraction, b: Fraction) -> Fraction:
    numerator = math.lcm(a.numerator, b.numerator)
    return Fraction(numerator, math.gcd(a.denominator, b.denominator))


@dataclass(frozen=True)
class Timeline:
    """A clock shared by 1–4 clips.

    Attributes:
        rates: each clip's exact frame rate.
        frame_counts: each clip's number of frames.
        tick_rate: ticks per second of the clock.
    """

    rates: tuple[Fraction, ...]
    frame_counts: tuple[int, ...]
    tick_rate: Fraction

    @classmethod
    def for_clips(
        cls, fps: list[float], frame_counts: list[int], *, tick_fps: float | None = None
    ) -> "Timeline":
        """Build the clock for clips with these rates and lengths.

        Args:
            fps: frame rate of each clip.
            frame_counts: frames in each clip (at least 1).
            tick_fps: force a tick rate (the exporter uses the highest fps); by default the
                LCM of the rates, or the highest rate when the LCM is above MAX_LCM_TICK_FPS.
        """
        if not fps or len(fps) != len(frame_counts):
            raise ValueError("need one frame count per clip")
        rates = tuple(exact_rate(f) for f in fps)
        if tick_fps is not None:
            tick = exact_rate(tick_fps)
        else:
            tick = rates[0]
            for rate in rates[1:]:
                tick = _lcm(tick, rate)
            if tick > MAX_LCM_TICK_FPS:
                tick = max(rates)
        return cls(rates, tuple(max(1, int(n)) for n in frame_counts), tick)

    @property
    def tick_fps(self) -> float:
        return float(self.tick_rate)

    @property
    def duration(self) -> Fraction:
        """Seconds until the longest clip's last frame ends."""
        return max(Fraction(n) / r for n, r in zip(self.frame_counts, self.rates))

    @property
    def tick_count(self) -> int:
        """Number of ticks; the last valid tick is tick_count - 1."""
        return max(1, math.ceil(self.duration * self.tick_rate))

    def time_of(self, tick: int) -> Fraction:
        """The instant (seconds) that `tick` stands for."""
        return Fraction(tick) / self.tick_rate

    def frame_at(self, clip: int, tick: int) -> int:
        """Frame index of clip `clip` shown at `tick`, clamped to the clip."""
        tick = min(max(tick, 0), self.tick_count - 1)
        index = math.floor(self.time_of(tick) * self.rates[clip])
        return min(index, self.frame_counts[clip] - 1)

    def frames_at(self, tick: int) -> list[int]:
        """Frame index of every clip at `tick`."""
        return [self.frame_at(i, tick) for i in range(len(self.rates))]

    def tick_for_time(self, seconds: float) -> int:
        """The tick showing time `seconds` (clamped)."""
        tick = math.floor(Fraction(seconds).limit_denominator(10**6) * self.tick_rate)
        return min(max(tick, 0), self.tick_count - 1)

    def tick_of_frame(self, clip: int, frame: int) -> int:
        """The first tick at which clip `clip` shows `frame`."""
        return min(math.ceil(Fraction(frame) / self.rates[clip] * self.tick_rate), self.tick_count - 1)

    def step(self, tick: int, direction: int) -> int:
        """The nearest tick before/after `tick` where any clip shows another frame (or `tick`
        itself when nothing changes any more in that direction).

        The finest step of the common clock (Shift+arrow in the player): one key press always
        changes the picture (with a 96 ticks/s clock a single tick often would not) and all
        panels move to the same instant.
        """
        if direction > 0:
            candidates = [
                self.tick_of_frame(i, self.frame_at(i, tick) + 1)
                for i in range(len(self.rates))
                if self.frame_at(i, tick) + 1 < self.frame_counts[i]
            ]
            later = [c for c in candidates if c > tick]
            return min(later) if later else min(max(tick, 0), self.tick_count - 1)
        start = self._segment_start(tick)
        return self._segment_start(start - 1) if start > 0 else 0

    def step_frame(self, tick: int, clip: int, direction: int) -> int:
        """The first tick of clip `clip`'s previous/next frame: one press, one frame of that
        clip (a 16 fps source next to a 48 fps RIFE ×3 moves 1/16 s, not 1/48 s).

        At the clip's first or last frame the tick stays (clamped to the clock).
        """
        tick = min(max(tick, 0), self.tick_count - 1)
        frame = self.frame_at(clip, tick)
        if direction > 0:
            if frame + 1 >= self.frame_counts[clip]:
                return tick
            return self.tick_of_frame(clip, frame + 1)
        if frame == 0:
            return 0
        return self.tick_of_frame(clip, frame - 1)

    def _segment_start(self, tick: int) -> int:
        """The first tick of the run of ticks that show the same frames as `tick`."""
        tick = min(max(tick, 0), self.tick_count - 1)
        return max(self.tick_of_frame(i, self.frame_at(i, tick)) for i in range(len(self.rates)))
