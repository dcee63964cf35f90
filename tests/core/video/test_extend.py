"""Extending a clip: the start frames, the join (length, crossfade, colour match) and the seam
measure, on real H.264 files written by the app's writer."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.video.extend import (ColorMatch, crossfade, join_clips, join_frames,
                                         joined_length, seam_measure, write_start_frames)
from wan22_gui.core.video.reader import read_frames
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.core.video.writer import ClipWriter
from wan22_gui.core.workflow.limits import overlap_problem


def _flat(value, count, size=(64, 48)):
    return [np.full((size[1], size[0], 3), value, np.uint8) for _ in range(count)]


def _clip(path, frames):
    with ClipWriter(path, 16.0, (frames[0].shape[1], frames[0].shape[0])) as out:
        for f in frames:
            out.write(f)
    return path


@pytest.mark.parametrize("a, b, overlap", [(17, 21, 5), (9, 9, 1), (33, 17, 9)])
def test_the_joined_clip_has_a_plus_b_minus_overlap_frames(tmp_path, a, b, overlap):
    first = write_test_clip(tmp_path / "a.mp4", frames=a, fps=16, size=(96, 64))
    second = write_test_clip(tmp_path / "b.mp4", frames=b, fps=16, size=(96, 64))
    result = join_clips(first, second, tmp_path / "ab.mp4", overlap)
    assert result.frames == joined_length(a, b, overlap) == a + b - overlap
    assert sum(1 for _ in read_frames(result.path)) == a + b - overlap
    assert (result.first_frames, result.second_frames) == (a, b)


def test_the_overlap_is_crossfaded_from_the_clip_into_the_new_part():
    dark, light = _flat(40, 10), _flat(200, 10)
    joined = list(join_frames(dark, light, 3))
    assert len(joined) == 17
    means = [float(f.mean()) for f in joined]
    assert means[:7] == [40.0] * 7 and means[10:] == [200.0] * 7  # parts untouched
    assert 40 < means[7] < means[8] < means[9] < 200  # B's weight rises across the overlap
    assert crossfade(_flat(0, 1), _flat(200, 1))[0].mean() == pytest.approx(100, abs=1)


def test_colour_match_moves_the_new_part_onto_the_clips_colours():
    rng = np.random.default_rng(0)
    a = [rng.integers(60, 120, (48, 64, 3), dtype=np.uint8) for _ in range(6)]
    b = [np.clip(f.astype(int) + 50, 0, 255).astype(np.uint8) for f in a]  # brighter drift
    plain = list(join_frames(a, b, 1))
    matched = list(join_frames(a, b, 1, color_match=True))
    assert abs(plain[-1].mean() - a[0].mean()) > 40
    assert abs(matched[-1].mean() - a[0].mean()) < 3  # the jump at the seam is gone
    fit = ColorMatch.between(a[-1:], b[:1])
    assert fit.gain[0] == pytest.approx(1.0, abs=0.1)


def test_too_short_a_part_for_the_overlap_is_refused():
    with pytest.raises(InputError, match="at least 5 frames"):
        list(join_frames(_flat(0, 3), _flat(0, 9), 5))


def test_overlap_must_be_4k_plus_1_and_shorter_than_the_part():
    assert overlap_problem(1) is None and overlap_problem(5, 81) is None
    assert "4k+1" in overlap_problem(4)
    assert "4k+1" in overlap_problem(0)
    assert "shorter" in overlap_problem(9, 9)


def test_the_start_frames_are_the_clips_last_frames(tmp_path):
    frames = [np.full((48, 64, 3), v, np.uint8) for v in range(0, 250, 25)]  # 10 frames
    clip = _clip(tmp_path / "c.mp4", frames)
    still, upload = write_start_frames(clip, 5, tmp_path / "start" / "c")
    with Image.open(upload) as img:
        assert img.n_frames == 5  # one multi-frame PNG: LoadImage makes it a batch of five
        assert abs(np.asarray(img.convert("RGB")).mean() - 125) < 4  # frame 5 of 10
    with Image.open(still) as img:
        assert getattr(img, "n_frames", 1) == 1
    one, same = write_start_frames(clip, 1, tmp_path / "start" / "d")
    assert one == same and abs(np.asarray(Image.open(one)).mean() - 225) < 4


def test_the_seam_measure_tells_a_jump_from_a_smooth_join():
    ramp = [np.full((8, 8, 3), 10 * i, np.uint8) for i in range(20)]
    smooth = seam_measure(ramp, 10, 1)
    assert smooth.across == pytest.approx(smooth.within) and smooth.ratio == pytest.approx(1)
    jump = ramp[:10] + [np.full((8, 8, 3), 10 * i + 60, np.uint8) for i in range(10, 20)]
    assert seam_measure(jump, 10, 1).ratio > 3
