"""Frame/duration calculator: 4n+1 frames, both directions, interpolation, latent, sizes."""

from __future__ import annotations

import pytest

from wan22_gui.core.workflow import calculator as calc


@pytest.mark.parametrize("n,expected", [
    (1, 1), (0, 1), (-7, 1), (2, 1), (3, 5), (4, 5), (5, 5), (80, 81), (81, 81), (82, 81),
    (83, 85), (100000, calc.MAX_FRAMES),
])
def test_snap_frames_gives_the_nearest_4n_plus_1(n, expected):
    assert calc.snap_frames(n) == expected


def test_every_snapped_count_is_4n_plus_1_and_close():
    for n in range(1, 400):
        snapped = calc.snap_frames(n)
        assert (snapped - 1) % 4 == 0 and abs(snapped - n) <= 2


def test_quick_picks_at_16_fps():
    assert calc.quick_picks(16) == [(1.6, 25), (3.0, 49), (5.0, 81), (10.0, 161)]


def test_seconds_and_frames_drive_each_other():
    assert calc.seconds_for_frames(81, 16) == 5.0
    assert calc.frames_for_seconds(5, 16) == 81
    assert calc.frames_for_seconds(5, calc.FPS_5B) == 121
    for n in range(1, 322, 4):  # frames -> seconds -> frames is exact
        assert calc.frames_for_seconds(calc.seconds_for_frames(n, 16), 16) == n
    for tenths in range(0, 200):  # seconds -> frames lands within half a step of 4 frames
        s = tenths / 10
        assert abs(calc.seconds_for_frames(calc.frames_for_seconds(s, 16), 16) - s) <= 2 / 16
    assert calc.playback_seconds(81, 16) == pytest.approx(5.0625)


def test_interpolation_keeps_the_duration():
    assert calc.interpolated(81, 16, 2) == (161, 32)
    assert calc.interpolated(81, 16, 3) == (241, 48)
    assert calc.interpolated(25, 16, 4) == (97, 64)
    for n in (25, 49, 81):
        for m in calc.INTERPOLATION_MULTIPLIERS:
            frames, fps = calc.interpolated(n, 16, m)
            assert calc.seconds_for_frames(frames, fps) == pytest.approx(
                calc.seconds_for_frames(n, 16))


def test_latent_shape():
    shape = calc.latent_shape(640, 640, 81)
    assert (shape.channels, shape.frames, shape.height, shape.width) == (16, 21, 80, 80)
    assert calc.latent_shape(832, 1216, 25).frames == 7
    assert shape.tokens == 21 * 40 * 40


@pytest.mark.parametrize("value,expected", [
    (640, 640), (650, 656), (647, 640), (648, 656), (1, 16), (0, 16), (1217, 1216),
])
def test_snap_size_to_multiples_of_16(value, expected):
    assert calc.snap_size(value) == expected


def test_fit_to_image_aspect():
    assert calc.fit_to_aspect(1024, 1536, 1216) == (816, 1216)
    assert calc.fit_to_aspect(1920, 1080, 832) == (832, 464)
    assert calc.fit_to_aspect(500, 500, 640) == (640, 640)
    for w, h in ((3000, 17), (17, 3000), (1234, 987)):
        fw, fh = calc.fit_to_aspect(w, h, 1280)
        assert fw % 16 == fh % 16 == 0 and max(fw, fh) == 1280 and min(fw, fh) >= 16


def test_bad_values_raise_value_error():
    with pytest.raises(ValueError):
        calc.frames_for_seconds(5, 0)
    with pytest.raises(ValueError):
        calc.fit_to_aspect(0, 100, 640)
    with pytest.raises(ValueError):
        calc.snap_frames(float("nan"))


def test_clip_math_summary():
    m = calc.clip_math(832, 1216, 81, 16, multiplier=2)
    assert (m.seconds, m.interpolated_frames, m.interpolated_fps) == (5.0, 161, 32)
    assert calc.clip_math(640, 640, 81).interpolated_frames is None


@pytest.mark.parametrize("frames, fps, text", [
    (25, 16, "1.56 s (25 frames)"), (81, 16, "5.06 s (81 frames)"), (1, 16, "0.06 s (1 frame)"),
    (161, 32, "5.03 s (161 frames)"), (49, 24, "2.04 s (49 frames)"),
])
def test_one_way_to_write_a_clip_length(frames, fps, text):
    """frames / fps, two decimals, and the frame count (issue 14, item 7)."""
    assert calc.describe_duration(frames, fps) == text
    assert calc.clip_duration(frames, fps) == frames / fps


def test_a_shown_length_typed_back_gives_the_same_frames():
    for frames in range(1, 2000, 4):
        shown = round(calc.clip_duration(frames, 16), 2)  # what the seconds box shows
        assert calc.frames_for_duration(shown, 16) == frames
    assert [calc.frames_for_duration(s) for s in calc.QUICK_PICK_SECONDS] == [25, 49, 81, 161]
