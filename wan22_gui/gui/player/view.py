"""The player: 1–4 clips on one clock, decoded off the GUI thread, painted by a timer.

Each clip is decoded by a FrameCache (background threads): whole when the clips fit the memory
budget, else streamed at full size through a window of frames around the playhead, with a small
preview of every frame for scrubbing — so memory does not grow with clip length. For a frame
that is not there yet the view shows its preview (or keeps the picture it shows), marked as not
the exact frame ("Decoding…" when there is nothing), asks its cache for the frame and swaps it in
as soon as the cache says it is ready, so stepping or scrubbing never waits for the whole clip. While the user steps, the
caches' sequential decoding pauses (`STEP_HOLD_S`), which leaves the CPU to the requested frames
and the repaint. Keys: Space play/pause, ←/→ one frame of the selected clip (`step_clip`),
Shift+←/→ one step of the common clock, Home/End.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wan22_gui.core.base.settings import declare
from wan22_gui.core.video.frame_cache import FrameCache
from wan22_gui.core.video.timeline import Timeline
from wan22_gui.core.workflow.calculator import describe_duration
from wan22_gui.gui import bridge
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.canvas import ClipCanvas, PanelFrame
from wan22_gui.gui.player.clock import PlaybackClock
from wan22_gui.gui.player.controls import PlayerControls

log = logging.getLogger("wan22.gui")

BUDGET_KEY = "player.memory_budget_mb"
declare(BUDGET_KEY, 0)  # 0 = an eighth of the RAM, at most 1 GiB (longer clips stream)
_LOADING_POLL_MS = 40
STEP_HOLD_S = 0.25  # sequential decoding waits this long after a step, seek or jump


@dataclass(frozen=True)
class ClipSource:
    """A clip to play and how to label it.

    Attributes:
        path: the video.
        title: its method / origin ("Source", "RIFE ×2 (ComfyUI, rife49)").
        seconds: how long the interpolation took (None for a source clip).
    """

    path: Path
    title: str
    seconds: float | None = None


def memory_budget(settings) -> int:
    """Bytes all of a player's frame caches may use together."""
    configured = int(settings.get(BUDGET_KEY, 0) or 0)
    if configured > 0:
        return configured << 20
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        ram = 8 << 30
    return int(min(ram // 8, 1 << 30))


class PlayerView(QWidget):
    """Canvas + transport bar over a list of clips.

    Signals:
        loaded(): every clip is open (decoding may still go on); `clock` exists from here on.
        failed(str): a clip could not be opened; the message says which and why.
    """

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, ctx: AppContext, clips: list[ClipSource], parent: QWidget | None = None,
                 *, budget_bytes: int | None = None, autoplay: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("player_view")
        self.autoplay = autoplay  # start playing once the clips are open (Play in the gallery)
        self.step_clip = 0  # whose frames the arrow keys step
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.ctx = ctx
        self.clips = list(clips)
        self.caches: list[FrameCache] = []
        self.clock: PlaybackClock | None = None
        self.controls: PlayerControls | None = None
        self.canvas = ClipCanvas()
        self.status = QLabel("Opening clips…")
        self.status.setObjectName("player_status")
        self._closed = False
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.canvas, 1)
        self._layout.addWidget(self.status)
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._poll_loading)
        self._budget = budget_bytes if budget_bytes is not None else memory_budget(ctx.app.settings)
        # start from the event loop, so whoever made this view can connect to loaded/failed first
        QTimer.singleShot(0, self._start_loading)

    # -- loading (worker thread, then GUI thread) -------------------------------------------

    def _start_loading(self) -> None:
        if self._closed:
            return
        budget = self._budget
        self.ctx.tasks.run_in_background(lambda: self._open(budget), self._on_open, self._on_fail)

    def _open(self, budget: int) -> list[FrameCache]:
        caches: list[FrameCache] = []
        try:
            for clip in self.clips:
                caches.append(FrameCache(clip.path, budget_bytes=budget // len(self.clips)))
        except Exception:
            for cache in caches:
                cache.close()
            raise
        return caches

    def _on_open(self, caches: list[FrameCache]) -> None:
        if self._closed:
            for cache in caches:
                cache.close()
            return
        self.caches = caches
        timeline = Timeline.for_clips([c.info.fps for c in caches], [c.info.frame_count for c in caches])
        self.clock = PlaybackClock(timeline, self)
        self.controls = PlayerControls(self.clock)
        self.controls.zoom_requested.connect(self.canvas.set_zoom)
        self.controls.step_requested.connect(self.step)
        self.canvas.view_changed.connect(self._on_view_changed)
        self._layout.insertWidget(1, self.controls)
        self.clock.tick_changed.connect(self._on_tick)
        for cache in caches:
            bridge.subscribe(self, cache.frame_ready, self._on_frame_ready)
        self.show_tick(0)
        self._poll.start(_LOADING_POLL_MS)
        self._update_status()
        self.setFocus()
        self.loaded.emit()
        if self.autoplay:
            self.clock.play()

    def _on_fail(self, exc: BaseException) -> None:
        text = getattr(exc, "user_text", lambda: str(exc))()
        self.status.setText(f"Cannot play: {text}")
        self.status.setStyleSheet("color: #d9534f;")
        self.failed.emit(text)

    # -- showing ----------------------------------------------------------------------------

    def panel_label(self, index: int, frame: int) -> str:
        """Two lines: the method, then fps, frame count, interpolation time, current frame."""
        return f"{self.clips[index].title}\n{self.clip_facts(index)} · frame {frame + 1}"

    def clip_facts(self, index: int) -> str:
        """'32 fps · 5.03 s (161 frames) · made in 4.2 s' (the time only for
        interpolations)."""
        clip, info = self.clips[index], self.caches[index].info
        parts = [f"{info.fps:g} fps", describe_duration(info.frame_count, info.fps)]
        if clip.seconds is not None:
            parts.append(f"made in {clip.seconds:.1f} s")
        return " · ".join(parts)

    def show_tick(self, tick: int) -> None:
        """Put every clip's frame for `tick` on the canvas. A frame not decoded yet is asked
        for; meanwhile the panel shows its preview (or keeps its picture), marked as not exact."""
        shown = self.canvas.panels
        panels = []
        for i, cache in enumerate(self.caches):
            index = self.clock.timeline.frame_at(i, tick)
            frame = cache.frame(index)
            exact = frame is not None
            if not exact:
                cache.request(index)
                frame = cache.preview(index)
                if frame is None and i < len(shown) and not cache.streaming:
                    frame = shown[i].frame  # a held-whole clip's slots are never reused
            panels.append(PanelFrame(frame, (cache.info.width, cache.info.height),
                                     self.panel_label(i, index), exact=exact))
        self.canvas.set_panels(panels)

    def waiting_for_frames(self) -> bool:
        """True while a panel does not show its exact frame yet (it is being decoded)."""
        return any(not p.exact for p in self.canvas.panels)

    def _on_tick(self, tick: int) -> None:
        if not self.clock.playing:  # stepping or seeking: the user waits for these frames
            for i, cache in enumerate(self.caches):
                cache.pause_background(STEP_HOLD_S, near=self.clock.timeline.frame_at(i, tick))
        self.show_tick(tick)

    def _on_frame_ready(self, _index: int) -> None:
        """A requested frame is in (called on the GUI thread): show it now, not at the next poll."""
        if not self._closed and self.clock is not None and self.waiting_for_frames():
            self.show_tick(self.clock.tick)

    def _poll_loading(self) -> None:
        if self.waiting_for_frames():
            self.show_tick(self.clock.tick)
        self._update_status()
        if all(c.complete for c in self.caches) and not self.waiting_for_frames():
            self._poll.stop()

    def _update_status(self) -> None:
        notes = [self._memory_note()]
        errors = [c.error.user_text() for c in self.caches if c.error is not None]
        notes.extend(errors)
        self.status.setText("  ·  ".join(notes))

    def _memory_note(self) -> str:
        """'Decoded 40/81 frames', 'All frames in memory' or, for clips longer than the budget,
        'Streaming: 120 frames around the playhead in memory (of 1284)'."""
        done = sum(c.ready_count for c in self.caches)
        total = sum(c.frame_count for c in self.caches)
        if any(c.streaming for c in self.caches):
            return f"Streaming: {done} frames around the playhead in memory (of {total})"
        return f"Decoded {done}/{total} frames" if done < total else "All frames in memory"

    def _on_view_changed(self) -> None:
        if self.controls is not None:
            self.controls.show_zoom(self.canvas.zoom, self.canvas.effective_zoom())

    # -- keys and lifetime ------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        if self.clock is None:
            return super().keyPressEvent(event)
        common = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        actions = {
            Qt.Key.Key_Space: self.clock.toggle,
            Qt.Key.Key_Left: lambda: self.step(-1, common=common),
            Qt.Key.Key_Right: lambda: self.step(+1, common=common),
            Qt.Key.Key_Home: self.clock.home,
            Qt.Key.Key_End: self.clock.end,
        }
        action = actions.get(Qt.Key(event.key()))
        if action is None:
            return super().keyPressEvent(event)
        action()
        event.accept()

    def set_step_clip(self, index: int) -> None:
        """Whose frames ←/→ step (clamped to the clips); the canvas marks that panel."""
        self.step_clip = min(max(int(index), 0), len(self.clips) - 1)
        self.canvas.set_selected(self.step_clip if len(self.clips) > 1 else None)

    def step(self, direction: int, *, common: bool = False) -> None:
        """One frame of the selected clip back/forward, or with `common` one step of the
        common clock (the next instant where any clip changes)."""
        if self.clock is None:
            return
        if common:
            self.clock.step(direction)
        else:
            self.clock.step_frame(self.step_clip, direction)

    def shutdown(self) -> None:
        """Stop playing and decoding; frees the frame memory."""
        self._closed = True
        self._poll.stop()
        bridge.unsubscribe_all(self)
        if self.clock is not None:
            self.clock.pause()
        for cache in self.caches:
            cache.close()
        self.caches = []
        self.canvas.set_panels([])
