"""The playback clock of the player and compare view: one Timeline, one QTimer.

Playing follows the wall clock (QElapsedTimer), not the number of timer shots, so a late timer
shows the right instant instead of drifting; frames that were due but never painted are
counted as dropped (for the benchmark and the status line).
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

from wan22_gui.core.video.timeline import Timeline

SPEEDS = (0.25, 0.5, 1.0, 2.0)


class PlaybackClock(QObject):
    """Current tick, play/pause, loop and speed over a Timeline.

    Signals:
        tick_changed(int): the instant shown changed (by playing, stepping or seeking).
        playing_changed(bool)
    """

    tick_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, timeline: Timeline, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self.tick = 0
        self.loop = True
        self.speed = 1.0
        self.dropped = 0
        self.painted = 0
        self._fastest = max(range(len(timeline.rates)), key=lambda i: timeline.rates[i])
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._advance)
        self._elapsed = QElapsedTimer()
        self._start_tick = 0

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.playing:
            return
        if self.tick >= self.timeline.tick_count - 1:
            self.tick = 0  # playing from the end starts over
        self._restart_clock()
        fastest = float(self.timeline.rates[self._fastest]) * self.speed
        self._timer.start(max(1, int(500 / fastest)))  # twice per frame of the fastest clip
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        if self.playing:
            self.pause()
            self.play()

    def seek(self, tick: int) -> None:
        """Show `tick` (clamped); keeps playing from there if playing."""
        tick = min(max(int(tick), 0), self.timeline.tick_count - 1)
        self._set_tick(tick)
        if self.playing:
            self._restart_clock()

    def step(self, direction: int) -> None:
        """Pause and move to the previous/next instant where any clip's frame changes (one
        tick of the common clock, as far as the picture shows)."""
        self.pause()
        self._set_tick(self.timeline.step(self.tick, direction))

    def step_frame(self, clip: int, direction: int) -> None:
        """Pause and move one frame of clip `clip` back/forward (the others follow the clock)."""
        self.pause()
        self._set_tick(self.timeline.step_frame(self.tick, clip, direction))

    def home(self) -> None:
        self.seek(0)

    def end(self) -> None:
        self.pause()
        self._set_tick(self.timeline.tick_count - 1)

    def reset_counters(self) -> None:
        self.dropped = 0
        self.painted = 0

    def _restart_clock(self) -> None:
        self._start_tick = self.tick
        self._elapsed.restart()

    def _advance(self) -> None:
        seconds = self._elapsed.nsecsElapsed() / 1e9 * self.speed
        tick = self._start_tick + int(seconds * self.timeline.tick_fps)
        last = self.timeline.tick_count - 1
        if tick > last:
            if not self.loop:
                self._set_tick(last)
                self.pause()
                return
            tick = tick % (last + 1)
            self._start_tick, self.tick = tick, tick
            self._elapsed.restart()
            self.tick_changed.emit(tick)
            return
        if tick != self.tick:
            before = self.timeline.frame_at(self._fastest, self.tick)
            after = self.timeline.frame_at(self._fastest, tick)
            self.dropped += max(0, after - before - 1)
            self.painted += 1
            self._set_tick(tick)

    def _set_tick(self, tick: int) -> None:
        if tick != self.tick:
            self.tick = tick
            self.tick_changed.emit(tick)
