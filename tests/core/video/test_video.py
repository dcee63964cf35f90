"""Probing, thumbnails (good, corrupt, truncated files), the frame cache, composition and export.

Clips are tiny (64×48, 9–17 frames) and written per test with OpenCV.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.video import compose
from wan22_gui.core.video.export import ExportClip, export_compare
from wan22_gui.core.video import frame_cache
from wan22_gui.core.video.frame_cache import FrameCache
from wan22_gui.core.video.reader import probe, read_frames
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.core.video.thumbnails import ThumbnailCache


@pytest.fixture
def clip16(tmp_path):
    return write_test_clip(tmp_path / "clip16.mp4", frames=9, fps=16, size=(64, 48), speed=2)


@pytest.fixture
def clip32(tmp_path):
    return write_test_clip(tmp_path / "clip32.mp4", frames=17, fps=32, size=(64, 48), speed=1)


def _truncated(tmp_path, suffix=".mkv", keep=0.6):
    """A clip cut short as if its writer died: the header still announces 17 frames."""
    full = tmp_path / f"full{suffix}"
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 16, (64, 48))
    from wan22_gui.core.video.testclip import TestScene

    scene = TestScene(64, 48)
    for i in range(17):
        writer.write(scene.frame(i))
    writer.release()
    data = full.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: int(len(data) * keep)])
    return cut


def _corrupt(tmp_path):
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + np.random.default_rng(1).bytes(5000))
    return bad


def test_probe_reports_size_rate_and_length(clip16):
    info = probe(clip16)
    assert (info.width, info.height, info.fps, info.frame_count) == (64, 48, 16.0, 9)
    assert info.duration == pytest.approx(9 / 16)
    assert info.resolution == "64×48"


@pytest.mark.parametrize("make", ["missing", "corrupt", "truncated_mp4", "empty"])
def test_probe_names_the_problem_for_bad_files(tmp_path, clip16, make):
    if make == "missing":
        path = tmp_path / "nope.mp4"
    elif make == "corrupt":
        path = _corrupt(tmp_path)
    elif make == "empty":
        path = tmp_path / "empty.mp4"
        path.write_bytes(b"")
    else:
        path = tmp_path / "half.mp4"
        path.write_bytes(clip16.read_bytes()[: clip16.stat().st_size // 2])
    with pytest.raises(InputError) as err:
        probe(path)
    assert path.name in str(err.value)
    assert err.value.hint or make == "missing" or "not finished" in str(err.value)


def test_thumbnail_of_a_good_clip_is_cached_with_its_facts(tmp_path, clip16):
    cache = ThumbnailCache(tmp_path / "thumbs", box=(32, 32))
    thumb = cache.get(clip16)
    assert not thumb.broken and thumb.error is None
    image = cv2.imread(str(thumb.image))
    assert image.shape[:2] == (24, 32)  # 64×48 fitted into 32×32
    assert (thumb.info.width, thumb.info.frame_count) == (64, 9)
    # a second call reads the cache: same file, no re-decoding (the JPEG is not rewritten)
    mtime = thumb.image.stat().st_mtime_ns
    again = ThumbnailCache(tmp_path / "thumbs", box=(32, 32)).get(clip16)
    assert again.image == thumb.image and again.image.stat().st_mtime_ns == mtime
    assert again.info == thumb.info


def test_thumbnail_of_corrupt_and_truncated_files_is_a_broken_tile(tmp_path, clip16):
    cache = ThumbnailCache(tmp_path / "thumbs")
    half = tmp_path / "half.mp4"
    half.write_bytes(clip16.read_bytes()[: clip16.stat().st_size // 2])
    for path in (_corrupt(tmp_path), half, tmp_path / "gone.mp4"):
        started = time.monotonic()
        thumb = cache.get(path)
        assert thumb.broken and thumb.info is None
        assert thumb.error  # shown on the tile
        assert time.monotonic() - started < 5
    # once the half-written file is complete it gets a real thumbnail (the key includes size)
    half.write_bytes(clip16.read_bytes())
    assert not cache.get(half).broken


def test_thumbnail_of_a_truncated_mkv_uses_a_frame_that_exists(tmp_path):
    thumb = ThumbnailCache(tmp_path / "thumbs").get(_truncated(tmp_path))
    assert not thumb.broken
    assert thumb.info.frame_count == 17  # what the header claims


def test_frame_cache_decodes_every_frame_as_bgra(clip32):
    reference = list(read_frames(clip32, bgra=True))
    cache = FrameCache(clip32)
    try:
        assert cache.wait(10)
        assert cache.ready_count == 17 and cache.error is None
        for i in (0, 7, 16):
            assert np.array_equal(cache.frame(i), reference[i])
        assert cache.frame(99) is not None  # clamped to the last frame
    finally:
        cache.close()


def test_frame_cache_serves_a_requested_frame_out_of_order(clip32):
    reference = list(read_frames(clip32, bgra=True))
    cache = FrameCache(clip32)
    try:
        frame = cache.wait_for(15)
        assert np.array_equal(frame, reference[15])
        cache.wait(10)
        assert all(np.array_equal(cache.frame(i), reference[i]) for i in range(17))
    finally:
        cache.close()


def test_while_the_user_steps_only_the_asked_frame_and_the_next_few_are_decoded(
        clip32, monkeypatch):
    """Stepping pauses the sequential pass: the requested frame and the next steps' frames get
    the CPU, the requested one is announced, and the pass resumes when the pause ends."""
    reference = list(read_frames(clip32, bgra=True))
    gate = threading.Event()  # holds the decoder back until the test has paused it
    real_open = frame_cache.open_capture
    monkeypatch.setattr(frame_cache, "open_capture", lambda path: gate.wait(10) and real_open(path))
    cache = FrameCache(clip32)
    announced = []
    cache.frame_ready.connect(announced.append)
    try:
        cache.pause_background(30.0, near=10)
        cache.request(10)
        gate.set()
        deadline = time.monotonic() + 10
        while cache.ready_count < 1 + frame_cache.PREFETCH_FRAMES and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # had the pass gone on, more frames would be in by now
        decoded = [i for i in range(17) if cache.frame(i) is not None]
        assert decoded == [10, 11, 12, 13]
        assert announced == [10], "the asked-for frame is announced once"
        assert np.array_equal(cache.frame(10), reference[10])
        assert np.array_equal(cache.frame(13), reference[13])
    finally:
        gate.set()
        cache.close()
    resumed = FrameCache(clip32)
    try:
        resumed.pause_background(0.2, near=0)
        assert resumed.wait(10) and resumed.ready_count == 17, "decoding resumes after a pause"
    finally:
        resumed.close()


@pytest.fixture
def long_clip(tmp_path):
    return write_test_clip(tmp_path / "long.mp4", frames=60, fps=16, size=(64, 48), speed=1)


FRAME_BYTES = 64 * 48 * 4


def _settle(cache, timeout=10.0):
    assert cache.wait(timeout), "the decoder settles once the window around the playhead is full"


def test_a_clip_over_budget_streams_at_full_size_in_bounded_memory(long_clip):
    reference = list(read_frames(long_clip, bgra=True))
    budget = 24 * FRAME_BYTES  # 60 frames would need 60
    cache = FrameCache(long_clip, budget_bytes=budget)
    try:
        assert cache.streaming and frame_cache.MIN_WINDOW <= cache.capacity < 24
        assert cache.nbytes <= budget
        for i in range(60):  # play the whole clip: every frame arrives, at full size, exact
            frame = cache.wait_for(i)
            assert frame.shape == (48, 64, 4) and np.array_equal(frame, reference[i])
            assert cache.ready_count <= cache.capacity
    finally:
        cache.close()


def test_the_window_follows_the_playhead_and_keeps_some_frames_behind(long_clip):
    reference = list(read_frames(long_clip, bgra=True))
    cache = FrameCache(long_clip, budget_bytes=24 * FRAME_BYTES)
    try:
        _settle(cache)
        assert cache.frame(1) is not None and cache.frame(40) is None  # far ahead: not yet
        assert np.array_equal(cache.wait_for(40), reference[40])
        _settle(cache)
        ahead = [i for i in range(41, 52) if cache.frame(i) is not None]
        cache.frame(40)  # back to the playhead (frame() moves it)
        behind = [i for i in range(36, 40) if cache.frame(i) is not None]
        cache.frame(40)
        assert ahead == list(range(41, 52)), "the next frames are ready to play"
        assert behind == [36, 37, 38, 39], "stepping back is instant"
        assert cache.frame(5) is None, "frames far from the playhead gave up their slots"
    finally:
        cache.close()


def test_near_the_end_the_window_wraps_to_the_start_for_the_loop(long_clip):
    cache = FrameCache(long_clip, budget_bytes=24 * FRAME_BYTES)
    try:
        cache.wait_for(55)
        _settle(cache)
        wrapped = [i for i in range(0, 6) if cache.frame(i) is not None]
        assert wrapped == [0, 1, 2, 3, 4, 5]
    finally:
        cache.close()


def test_a_streamed_clip_has_a_small_preview_of_every_frame_for_scrubbing(long_clip):
    reference = list(read_frames(long_clip, bgra=True))
    cache = FrameCache(long_clip, budget_bytes=24 * FRAME_BYTES)
    try:
        _settle(cache)
        previews = [cache.preview(i) for i in range(60)]
        assert all(p is not None for p in previews)
        width, height = cache.preview_size
        assert previews[0].shape == (height, width, 4) and width < 64
        small = cv2.resize(reference[30], (width, height), interpolation=cv2.INTER_AREA)
        assert np.abs(previews[30].astype(int) - small.astype(int)).mean() < 3
    finally:
        cache.close()


def test_a_clip_that_fits_is_held_whole_without_previews(clip32):
    cache = FrameCache(clip32, budget_bytes=17 * FRAME_BYTES)
    try:
        assert cache.wait(10) and not cache.streaming
        assert cache.ready_count == 17 and cache.preview(3) is None
    finally:
        cache.close()


def test_frame_cache_of_a_truncated_clip_plays_what_is_there(tmp_path):
    cache = FrameCache(_truncated(tmp_path))
    try:
        assert cache.wait(10)
        assert 5 <= cache.frame_count < 17  # shrunk to what decodes
        assert cache.frame(16) is not None  # asking past the end holds the last frame
        assert cache.ready_count == cache.frame_count
    finally:
        cache.close()


def _solid(color, size=(40, 30)):
    frame = np.zeros((size[1], size[0], 3), np.uint8)
    frame[:] = color
    return frame


def test_wipe_shows_a_left_of_the_split_and_b_right_of_it():
    a, b = _solid((10, 20, 30)), _solid((200, 100, 50))
    out = compose.wipe(a, b, 0.25, line=False)
    assert (out[:, :10] == (10, 20, 30)).all()
    assert (out[:, 10:] == (200, 100, 50)).all()
    with_line = compose.wipe(a, b, 0.5)
    assert (with_line[:, 19:21] == 255).all()  # the handle is drawn
    assert (compose.wipe(a, b, 0.0, line=False) == b).all()
    assert (compose.wipe(a, b, 1.0, line=False) == a).all()


def test_difference_is_amplified_absolute_difference():
    a = _solid((100, 100, 100))
    b = a.copy()
    b[5:10, 5:10] = (110, 90, 100)  # a small change, hard to see unamplified
    out = compose.difference(a, b, gain=4)
    assert (out[5:10, 5:10] == (40, 40, 0)).all()
    out[5:10, 5:10] = 0
    assert not out.any()  # identical pixels are black
    assert (compose.difference(a, _solid((0, 0, 0)), gain=4) == 255).all()  # clipped


def test_difference_keeps_bgra_opaque():
    a = np.full((8, 8, 4), 50, np.uint8)
    assert (compose.difference(a, a)[..., 3] == 255).all()


def test_side_by_side_and_grid_place_each_clip_in_its_cell():
    frames = [_solid(c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    row = compose.compose(frames, "side_by_side", (40, 30))
    assert row.shape == (30, 120, 3)
    assert (row[15, 5] == (255, 0, 0)).all() and (row[15, 85] == (0, 0, 255)).all()
    grid = compose.compose(frames, "grid", (40, 30))
    assert grid.shape == (60, 80, 3)
    assert (grid[45, 5] == (0, 0, 255)).all() and not grid[45, 45].any()  # empty 4th cell


def test_labels_are_drawn_on_the_panel():
    frame = _solid((128, 128, 128), (200, 60))
    out = compose.label(frame, "RIFE ×2 (ComfyUI) · 32 fps")
    assert (out[:20, :150] != frame[:20, :150]).any()
    assert (out[40:] == frame[40:]).all()


def test_export_side_by_side_runs_at_the_highest_fps(tmp_path, clip16, clip32):
    dest = export_compare([ExportClip(clip16, "source 16 fps"), ExportClip(clip32, "x2 32 fps")],
                          tmp_path / "cmp.mp4")
    info = probe(dest)
    assert info.fps == 32 and info.width == 128 and info.height == 48
    assert info.frame_count == 18  # 9 frames at 16 fps = 0.5625 s = 18 ticks at 32
    assert not list(tmp_path.glob(".*partial*"))


def test_export_wipe_needs_two_clips_and_refuses_bad_layouts(tmp_path, clip16):
    with pytest.raises(InputError):
        export_compare([ExportClip(clip16)], tmp_path / "w.mp4", layout="wipe")
    with pytest.raises(InputError):
        export_compare([ExportClip(clip16)], tmp_path / "w.mp4", layout="mosaic")
    assert not (tmp_path / "w.mp4").exists()


def test_export_wipe_writes_one_panel(tmp_path, clip16, clip32):
    dest = export_compare([ExportClip(clip16, "a"), ExportClip(clip32, "b")], tmp_path / "w.mp4",
                          layout="wipe", split=0.3)
    info = probe(dest)
    assert (info.width, info.height) == (64, 48)
