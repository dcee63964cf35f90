"""The compare view's common clock: frame-exact alignment of clips with different rates."""

from __future__ import annotations

from fractions import Fraction

import pytest

from wan22_gui.core.video.timeline import Timeline


def _interval_contains(timeline: Timeline, clip: int, tick: int) -> bool:
    t = timeline.time_of(tick)
    frame = timeline.frame_at(clip, tick)
    rate = timeline.rates[clip]
    last = timeline.frame_counts[clip] - 1
    if frame == last:  # held after its end
        return Fraction(frame) / rate <= t
    return Fraction(frame) / rate <= t < Fraction(frame + 1) / rate


def test_16_32_48_fps_every_tick_shows_the_frame_whose_interval_contains_it():
    # 5 s clips: 81 frames @16, 161 @32 (RIFE ×2), 241 @48 (×3)
    timeline = Timeline.for_clips([16, 32, 48], [81, 161, 241])
    assert timeline.tick_fps == 96  # LCM: every frame lasts a whole number of ticks
    for tick in range(timeline.tick_count):
        for clip in range(3):
            assert _interval_contains(timeline, clip, tick), (clip, tick)
    # each 16 fps frame is shown exactly twice as long as a 32 fps frame
    shown = [sum(1 for k in range(timeline.tick_count) if timeline.frame_at(0, k) == 10)]
    assert shown == [6]
    assert sum(1 for k in range(timeline.tick_count) if timeline.frame_at(1, k) == 10) == 3


def test_highest_fps_clock_when_lcm_is_large_stays_exact():
    timeline = Timeline.for_clips([16, 30000 / 1001], [33, 60])  # NTSC as OpenCV reports it
    assert timeline.tick_rate == Fraction(30000, 1001)
    for tick in range(timeline.tick_count):
        assert _interval_contains(timeline, 0, tick)
        assert _interval_contains(timeline, 1, tick)
    # no frame of the faster clip is skipped
    assert sorted({timeline.frame_at(1, k) for k in range(timeline.tick_count)}) == list(range(60))


def test_export_clock_at_highest_fps_shows_16fps_frames_twice():
    timeline = Timeline.for_clips([16, 32], [81, 161], tick_fps=32)
    assert [timeline.frame_at(0, k) for k in range(6)] == [0, 0, 1, 1, 2, 2]
    assert [timeline.frame_at(1, k) for k in range(6)] == [0, 1, 2, 3, 4, 5]
    assert timeline.tick_count == 162  # 81 frames @16 last 5.0625 s


def test_shorter_clip_holds_its_last_frame():
    timeline = Timeline.for_clips([32, 32], [159, 161])  # minterpolate drops two frames
    assert timeline.frames_at(timeline.tick_count - 1) == [158, 160]


def test_frame_step_moves_to_the_next_instant_any_panel_changes():
    timeline = Timeline.for_clips([16, 32], [9, 17])
    ticks = [0]
    while timeline.step(ticks[-1], +1) != ticks[-1]:
        ticks.append(timeline.step(ticks[-1], +1))
    seen = [timeline.frames_at(t) for t in ticks]
    assert seen[:4] == [[0, 0], [0, 1], [1, 2], [1, 3]]
    assert all(a != b for a, b in zip(seen, seen[1:]))  # every press changes the picture
    assert seen[-1] == [8, 16]  # and stepping stops at the end
    back = [ticks[-1]]
    while back[-1] > 0:
        back.append(timeline.step(back[-1], -1))
    assert back == list(reversed(ticks))


def test_step_back_from_the_middle_of_a_frame_goes_to_the_previous_picture():
    timeline = Timeline.for_clips([16, 48], [9, 25])  # ticks at 48/s
    assert timeline.frames_at(4) == [1, 4]
    assert timeline.frames_at(timeline.step(4, -1)) == [1, 3]
    assert timeline.step(0, -1) == 0


def test_time_and_tick_conversions():
    timeline = Timeline.for_clips([16], [81])
    assert timeline.tick_for_time(2.5) == 40
    assert timeline.tick_for_time(99) == timeline.tick_count - 1
    assert timeline.tick_of_frame(0, 40) == 40


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        Timeline.for_clips([16, 0], [9, 9])
    with pytest.raises(ValueError):
        Timeline.for_clips([16], [9, 9])
