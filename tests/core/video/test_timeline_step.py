"""Frame stepping on the compare clock: one frame of a chosen clip per press, or the finest
step of the common clock (issue 14, item 8)."""

from __future__ import annotations

from wan22_gui.core.video.timeline import Timeline


def test_a_16_fps_source_beside_a_48_fps_interpolation_steps_one_source_frame_per_press():
    timeline = Timeline.for_clips([16, 48], [9, 25])
    tick, seen = 0, []
    for _ in range(4):
        tick = timeline.step_frame(tick, 0, +1)
        seen.append(timeline.frames_at(tick))
    assert seen == [[1, 3], [2, 6], [3, 9], [4, 12]]
    assert timeline.frames_at(timeline.step_frame(tick, 0, -1)) == [3, 9]


def test_stepping_the_faster_clip_moves_one_of_its_frames():
    timeline = Timeline.for_clips([16, 48], [9, 25])
    tick = timeline.step_frame(0, 1, +1)
    assert timeline.frames_at(tick) == [0, 1]
    assert timeline.frames_at(timeline.step_frame(tick, 1, +1)) == [0, 2]


def test_the_ends_hold_and_the_common_clock_step_is_finer():
    timeline = Timeline.for_clips([16, 48], [9, 25])
    assert timeline.step_frame(0, 0, -1) == 0
    last = timeline.tick_of_frame(0, 8)
    assert timeline.step_frame(last, 0, +1) == last
    # the common clock's step (Shift+arrow) is a 48 fps frame here
    assert timeline.frames_at(timeline.step(0, +1)) == [0, 1]
    # from between two source frames, back goes to the previous source frame
    between = timeline.step(timeline.tick_of_frame(0, 2), +1)
    assert timeline.frames_at(between) == [2, 7]
    assert timeline.frames_at(timeline.step_frame(between, 0, -1)) == [1, 3]
