"""The player / compare view: one clock for clips of different rates, keys, zoom locked across
panels, wipe and difference as painted, export, and bad clips."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QToolButton

from wan22_gui.app import App
from wan22_gui.core.video import frame_cache
from wan22_gui.core.video.reader import probe
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.core.video.writer import ClipWriter
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.tasks import TaskRunner
from wan22_gui.gui.player.compare import CompareView
from wan22_gui.gui.player.view import ClipSource


@pytest.fixture
def ctx(app_paths):
    core = App.for_gui(app_paths)
    context = AppContext(app=core, tasks=TaskRunner())
    yield context
    context.tasks.shutdown()
    core.close()


@pytest.fixture
def open_view(qtbot, ctx):
    views = []

    def make(clips, **kw):
        view = CompareView(ctx, clips, **kw)
        qtbot.addWidget(view)
        view.resize(900, 600)
        view.show()
        views.append(view)
        return view

    yield make
    for view in views:
        view.shutdown()


def _ready(qtbot, view):
    qtbot.waitUntil(lambda: view.player.clock is not None, timeout=10000)
    qtbot.waitUntil(lambda: not view.player.waiting_for_frames(), timeout=10000)


def _numbered_clip(path: Path, frames: int, fps: float) -> Path:
    """Frame i is a flat grey of value 10*i (+5), so the frame shown can be read from a pixel."""
    with ClipWriter(path, fps, (64, 48)) as out:
        for i in range(frames):
            out.write(np.full((48, 64, 3), 5 + 10 * i, np.uint8))
    return path


def _solid_clip(path: Path, color, frames=5, fps=16.0) -> Path:
    with ClipWriter(path, fps, (64, 48)) as out:
        for _ in range(frames):
            out.write(np.full((48, 64, 3), color, np.uint8))
    return path


def _shown_index(view, panel: int) -> int:
    frame = view.player.canvas.panels[panel].frame
    return int(round((float(frame[..., :3].mean()) - 5) / 10))


def test_16_and_32_fps_clips_step_together_frame_exactly(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 9, 16), "Source"),
                      ClipSource(_numbered_clip(tmp_path / "b.mp4", 17, 32), "×2", 1.5)])
    _ready(qtbot, view)
    seen = []
    for _ in range(6):
        seen.append((_shown_index(view, 0), _shown_index(view, 1)))
        qtbot.keyClick(view.player, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: not view.player.waiting_for_frames(), timeout=5000)
    # Shift steps the common clock: the 16 fps clip holds each frame while the 32 fps clip
    # shows two
    assert seen == [(0, 0), (0, 1), (1, 2), (1, 3), (2, 4), (2, 5)]
    qtbot.keyClick(view.player, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.player.clock.timeline.frames_at(view.player.clock.tick) == [2, 5]
    qtbot.keyClick(view.player, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: not view.player.waiting_for_frames(), timeout=5000)
    assert (_shown_index(view, 0), _shown_index(view, 1)) == (8, 16)
    qtbot.keyClick(view.player, Qt.Key.Key_Home)
    assert view.player.clock.tick == 0
    label = view.player.canvas.panels[1].label
    assert "×2" in label and "32 fps" in label and "17 frames" in label and "1.5 s" in label


def test_a_step_to_a_frame_still_decoding_keeps_the_picture_then_shows_the_exact_one(
        qtbot, open_view, tmp_path, monkeypatch):
    gate = threading.Event()  # frames after the first wait for it in the decoder
    real_convert = frame_cache.convert

    def gated_convert(frame, *, size=None, bgra=False, out=None):
        owner = out.base if out is not None and out.base is not None else out
        if out is not None and (out.ctypes.data - owner.ctypes.data) // out.nbytes >= 1:
            gate.wait(10)
        return real_convert(frame, size=size, bgra=bgra, out=out)

    monkeypatch.setattr(frame_cache, "convert", gated_convert)
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 9, 16), "Source")])
    try:
        _ready(qtbot, view)
        view.player._poll.stop()  # only the cache's frame_ready may bring the frame in
        qtbot.keyClick(view.player, Qt.Key.Key_Right)
        panel = view.player.canvas.panels[0]
        assert view.player.waiting_for_frames() and not panel.exact
        assert _shown_index(view, 0) == 0, "the picture before stays up, not a black panel"
        assert "frame 2" in panel.label, "the label already names the frame being decoded"
        gate.set()
        qtbot.waitUntil(lambda: not view.player.waiting_for_frames(), timeout=5000)
        assert _shown_index(view, 0) == 1 and view.player.canvas.panels[0].exact
    finally:
        gate.set()


def test_space_plays_and_pauses_and_playback_advances(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 17, 16), "Source")])
    _ready(qtbot, view)
    clock = view.player.clock
    qtbot.keyClick(view.player, Qt.Key.Key_Space)
    assert clock.playing
    qtbot.waitUntil(lambda: clock.tick > 0, timeout=5000)
    qtbot.keyClick(view.player, Qt.Key.Key_Space)
    assert not clock.playing
    stopped_at = clock.tick
    qtbot.wait(150)
    assert clock.tick == stopped_at


def test_without_loop_playback_stops_at_the_end(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 5, 32), "Source")])
    _ready(qtbot, view)
    clock = view.player.clock
    view.player.controls.loop_button.setChecked(False)
    clock.play()
    qtbot.waitUntil(lambda: not clock.playing, timeout=5000)
    assert clock.tick == clock.timeline.tick_count - 1


def test_wipe_shows_clip_a_left_of_the_handle_and_b_right(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_solid_clip(tmp_path / "red.mp4", (0, 0, 220)), "Red"),
                      ClipSource(_solid_clip(tmp_path / "blue.mp4", (220, 0, 0)), "Blue")])
    _ready(qtbot, view)
    view.set_layout("wipe")
    canvas = view.player.canvas
    canvas.split = 0.3
    image = canvas.grab().toImage()
    video = canvas._target(canvas.panel_rects()[0], (64, 48))
    y = int(video.center().y())
    left = image.pixelColor(int(video.left() + video.width() * 0.15), y)
    right = image.pixelColor(int(video.left() + video.width() * 0.6), y)
    assert left.red() > 180 and left.blue() < 60
    assert right.blue() > 180 and right.red() < 60
    # dragging the handle moves the split
    handle = QPoint(int(video.left() + video.width() * 0.3), y)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=handle)
    qtbot.mouseMove(canvas, QPoint(int(video.left() + video.width() * 0.8), y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(video.left() + video.width() * 0.8), y))
    assert canvas.split == pytest.approx(0.8, abs=0.03)


def test_difference_shows_the_amplified_difference(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_solid_clip(tmp_path / "a.mp4", (100, 100, 100)), "A"),
                      ClipSource(_solid_clip(tmp_path / "b.mp4", (100, 100, 130)), "B")])
    _ready(qtbot, view)
    view.set_layout("difference")
    assert view.gain.isVisible()
    canvas = view.player.canvas
    video = canvas._target(canvas.panel_rects()[0], (64, 48))
    point = video.center().toPoint()
    color = canvas.grab().toImage().pixelColor(point)
    assert color.red() == pytest.approx(120, abs=14)  # |130-100| × 4
    assert color.green() < 20 and color.blue() < 20
    view.gain.setValue(8)
    color = canvas.grab().toImage().pixelColor(point)
    assert color.red() > 230  # × 8 clips at 255


def test_zoom_and_pan_are_locked_across_panels(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(write_test_clip(tmp_path / "a.mp4", frames=5, fps=16, size=(64, 48)), "A"),
                      ClipSource(write_test_clip(tmp_path / "b.mp4", frames=9, fps=32, size=(64, 48)), "B")])
    _ready(qtbot, view)
    canvas = view.player.canvas
    one_to_one = view.player.controls.findChild(QToolButton, "zoom_1to1_button")
    qtbot.mouseClick(one_to_one, Qt.MouseButton.LeftButton)
    assert canvas.zoom == 1.0 and view.player.controls.zoom_label.text() == "100%"
    rects = canvas.panel_rects()
    first, second = (canvas._target(r, (64, 48)) for r in rects)
    assert first.width() == second.width() == 64
    canvas.set_zoom(4.0)
    start = rects[0].center()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, start + QPoint(40, 0))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPoint(40, 0))
    first, second = (canvas._target(r, (64, 48)) for r in canvas.panel_rects())
    assert first.left() - rects[0].left() == pytest.approx(second.left() - rects[1].left())
    assert canvas.center.x() < 0.5  # dragged right: looking further left in both
    canvas.set_zoom(None)
    assert canvas.center == QPointF(0.5, 0.5)


def test_export_writes_the_comparison_at_the_highest_fps(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 9, 16), "Source"),
                      ClipSource(_numbered_clip(tmp_path / "b.mp4", 17, 32), "×2")])
    _ready(qtbot, view)
    with qtbot.waitSignal(view.exported, timeout=20000) as done:
        view.export_to(tmp_path / "out.mp4")
    info = probe(done.args[0])
    assert info.fps == 32 and info.width == 128
    assert "Exported" in view.export_status.text()


def test_a_corrupt_clip_is_reported_not_crashed_on(qtbot, ctx, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    view = CompareView(ctx, [ClipSource(bad, "Broken")])
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.player.failed, timeout=10000) as failed:
        view.show()
    assert "bad.mp4" in failed.args[0]
    assert "Cannot play" in view.player.status.text()
    view.shutdown()


def test_clips_over_the_memory_budget_stream_at_full_size(qtbot, open_view, tmp_path):
    clip = write_test_clip(tmp_path / "a.mp4", frames=40, fps=16, size=(128, 96))
    budget = 128 * 96 * 4 * 40 // 2
    view = open_view([ClipSource(clip, "A")], budget_bytes=budget)
    _ready(qtbot, view)
    cache = view.player.caches[0]
    assert cache.streaming and cache.nbytes <= budget
    assert view.player.canvas.panels[0].frame.shape == (96, 128, 4), "full size, not shrunk"
    qtbot.waitUntil(lambda: "Streaming" in view.player.status.text(), timeout=5000)
    # a jump past the window shows the exact frame as soon as it is decoded
    view.player.clock.seek(view.player.clock.timeline.tick_count - 5)
    qtbot.waitUntil(lambda: view.player.canvas.panels[0].exact, timeout=5000)
    assert view.player.canvas.panels[0].frame.shape == (96, 128, 4)
    # 1:1 still means one *video* pixel per screen pixel
    view.player.canvas.set_zoom(1.0)
    target = view.player.canvas._target(view.player.canvas.panel_rects()[0], (128, 96))
    assert target.width() == 128


def _steps(qtbot, view, key, presses=3, modifier=Qt.KeyboardModifier.NoModifier):
    seen = []
    for _ in range(presses):
        qtbot.keyClick(view.player, key, modifier)
        qtbot.waitUntil(lambda: not view.player.waiting_for_frames(), timeout=5000)
        seen.append((_shown_index(view, 0), _shown_index(view, 1)))
    return seen


def test_arrows_step_one_frame_of_the_selected_clip(qtbot, open_view, tmp_path):
    """A 16 fps source beside its 48 fps RIFE ×3: one press is one source frame, not 1/48 s;
    after choosing the other clip (or clicking its panel) one press is one of its frames."""
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 9, 16), "Source"),
                      ClipSource(_numbered_clip(tmp_path / "b.mp4", 25, 48), "RIFE ×3")])
    _ready(qtbot, view)
    assert view.player.step_clip == 0 and view.step_clip.currentIndex() == 0
    assert _steps(qtbot, view, Qt.Key.Key_Right) == [(1, 3), (2, 6), (3, 9)]
    assert _steps(qtbot, view, Qt.Key.Key_Left, 1) == [(2, 6)]
    canvas = view.player.canvas
    second = canvas.panel_rects()[1].center()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=second)  # pick the RIFE panel
    assert view.step_clip.currentIndex() == 1 and canvas.selected == 1
    assert _steps(qtbot, view, Qt.Key.Key_Right, 2) == [(2, 7), (2, 8)]
    assert _steps(qtbot, view, Qt.Key.Key_Right, 1, Qt.KeyboardModifier.ShiftModifier) == [(3, 9)]
    view.step_clip.setCurrentIndex(0)
    qtbot.mouseClick(view.player.controls.findChild(QToolButton, "step_forward_button"),
                     Qt.MouseButton.LeftButton)  # the transport button steps the same way
    qtbot.waitUntil(lambda: not view.player.waiting_for_frames(), timeout=5000)
    assert (_shown_index(view, 0), _shown_index(view, 1)) == (4, 12)


@pytest.mark.parametrize("keys", [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
                                  (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)])
def test_esc_and_ctrl_w_close_the_player(qtbot, open_view, tmp_path, keys):
    view = open_view([ClipSource(_numbered_clip(tmp_path / "a.mp4", 9, 16), "Source")])
    _ready(qtbot, view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=3000)
    qtbot.keyClick(view.player, *keys)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert view.player.caches == []  # closing frees the decoded frames


def test_wipe_and_difference_show_the_two_clips_picked(qtbot, open_view, tmp_path):
    view = open_view([ClipSource(_solid_clip(tmp_path / "red.mp4", (0, 0, 220)), "Red"),
                      ClipSource(_solid_clip(tmp_path / "green.mp4", (0, 220, 0)), "Green"),
                      ClipSource(_solid_clip(tmp_path / "blue.mp4", (220, 0, 0)), "Blue")])
    _ready(qtbot, view)
    assert not view.first_clip.isVisible()  # only wipe and difference use the pair
    view.set_layout("wipe")
    assert view.first_clip.isVisible() and view.second_clip.isVisible()
    view.second_clip.setCurrentIndex(2)  # Red vs Blue, not the first two
    canvas = view.player.canvas
    assert canvas.pair == (0, 2)
    canvas.split = 0.5
    image = canvas.grab().toImage()
    video = canvas._target(canvas.panel_rects()[0], (64, 48))
    y = int(video.center().y())
    left = image.pixelColor(int(video.left() + video.width() * 0.25), y)
    right = image.pixelColor(int(video.left() + video.width() * 0.75), y)
    assert left.red() > 180 and left.green() < 60
    assert right.blue() > 180 and right.green() < 60
    view.first_clip.setCurrentIndex(2)  # the same clip twice: the other side moves away
    assert canvas.pair[0] == 2 and canvas.pair[1] != 2
    with qtbot.waitSignal(view.exported, timeout=20000) as done:
        view.export_to(tmp_path / "wipe.mp4")
    assert probe(done.args[0]).width == 64  # one panel: the picked pair, wiped


def test_full_size_frames_shown_smaller_keep_their_picture(qtbot):
    """Frames are shrunk for the screen before painting: the halves of a red | blue frame stay
    where they are, in their colours, and magnified frames still paint."""
    from PySide6.QtGui import QColor

    from wan22_gui.gui.player.canvas import ClipCanvas, PanelFrame

    frame = np.zeros((1216, 832, 4), np.uint8)
    frame[:, :416] = (0, 0, 255, 255)  # BGRA: red on the left
    frame[:, 416:] = (255, 0, 0, 255)  # blue on the right
    canvas = ClipCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.set_panels([PanelFrame(frame, (832, 1216))])
    for zoom in (None, 4.0):
        canvas.set_zoom(zoom)
        picture = canvas.grab().toImage()
        target = canvas._target(canvas.panel_rects()[0], (832, 1216))
        y = int(target.center().y()) if zoom is None else 150
        left = QColor(picture.pixel(int(target.left() + target.width() * 0.25), y))
        right = QColor(picture.pixel(int(target.left() + target.width() * 0.75), y))
        if zoom is not None:  # magnified around the middle: left and right of the seam
            left, right = QColor(picture.pixel(150, y)), QColor(picture.pixel(250, y))
        assert (left.red(), left.blue()) == (255, 0), zoom
        assert (right.red(), right.blue()) == (0, 255), zoom
