"""The built-in optical-flow engine: frame count, rate, quality against a plain blend."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.interpolation.builtin import Cancelled, interpolate_builtin
from wan22_gui.core.interpolation.flow import FlowInterpolator
from wan22_gui.core.video.reader import probe, read_frames
from wan22_gui.core.video.testclip import TestScene, write_test_clip


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-9))


@pytest.fixture
def source(tmp_path):
    return write_test_clip(tmp_path / "src.mp4", frames=9, fps=16, size=(96, 64), speed=3)


@pytest.mark.parametrize("multiplier", [2, 3, 4])
def test_output_has_n_minus_1_times_m_plus_1_frames_at_fps_times_m(tmp_path, source, multiplier):
    result = interpolate_builtin(source, tmp_path / "out.mp4", multiplier, workers=0)
    info = probe(result.output)
    assert info.frame_count == result.frame_count == 8 * multiplier + 1
    assert info.fps == result.fps == 16 * multiplier
    assert result.seconds > 0


def test_source_frames_are_kept_in_place(tmp_path, source):
    result = interpolate_builtin(source, tmp_path / "out.mp4", 2, workers=0)
    originals = list(read_frames(source))
    output = list(read_frames(result.output))
    for i, frame in enumerate(originals):
        assert psnr(output[2 * i], frame) > 32  # only re-encoding loss


def test_flow_beats_a_plain_blend_on_known_middle_frames():
    scene = TestScene(96, 64, speed=3)
    engine = FlowInterpolator()
    flow_scores, blend_scores = [], []
    for i in range(8):
        a, b, truth = scene.frame(i), scene.frame(i + 1), scene.frame(i + 0.5)
        flow_scores.append(psnr(engine.between(a, b, [0.5])[0], truth))
        blend_scores.append(psnr(cv2.addWeighted(a, 0.5, b, 0.5, 0), truth))
    assert np.mean(flow_scores) > np.mean(blend_scores) + 1.5, (flow_scores, blend_scores)


def test_whole_clip_through_the_engine_beats_blend(tmp_path):
    """End to end (decode, interpolate, encode) with the truth rendered at the half steps."""
    scene = TestScene(96, 64, speed=5)
    source = write_test_clip(tmp_path / "s.mp4", frames=9, fps=16, size=(96, 64), speed=5)
    out = list(read_frames(interpolate_builtin(source, tmp_path / "o.mp4", 2, workers=0).output))
    src = list(read_frames(source))
    flow = np.mean([psnr(out[2 * i + 1], scene.frame(i + 0.5)) for i in range(8)])
    blend = np.mean([psnr(cv2.addWeighted(src[i], .5, src[i + 1], .5, 0), scene.frame(i + 0.5))
                     for i in range(8)])
    assert flow > blend + 1.5, (flow, blend)


def test_spawned_workers_give_the_same_frames_as_in_process(tmp_path, source):
    here = interpolate_builtin(source, tmp_path / "here.mp4", 2, workers=0)
    spawned = interpolate_builtin(source, tmp_path / "spawned.mp4", 2, workers=2)
    assert spawned.workers == 2
    a, b = list(read_frames(here.output)), list(read_frames(spawned.output))
    assert len(a) == len(b) == 17
    # OpenCV's flow runs multi-threaded in this process and single-threaded in a worker: its
    # float sums can differ in the last bit, which moves a few edge pixels, and the
    # near-lossless H.264 keeps that (mp4v's coarse steps hid it)
    mean = max(float(np.abs(x.astype(int) - y.astype(int)).mean()) for x, y in zip(a, b))
    assert mean < 2.0, f"frames differ by {mean:.3f} levels on average"  # a wrong frame: ~10+


def test_progress_is_reported_and_cancel_writes_nothing(tmp_path, source):
    seen = []
    interpolate_builtin(source, tmp_path / "a.mp4", 2, workers=0, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (8, 8) and seen == sorted(seen)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        interpolate_builtin(source, tmp_path / "b.mp4", 2, workers=0, cancel=cancel)
    assert not (tmp_path / "b.mp4").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_sources_and_multipliers_are_refused(tmp_path, source):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(InputError, match="bad.mp4"):
        interpolate_builtin(bad, tmp_path / "o.mp4", 2, workers=0)
    with pytest.raises(InputError, match="Multiplier"):
        interpolate_builtin(source, tmp_path / "o.mp4", 1, workers=0)
    single = write_test_clip(tmp_path / "one.mp4", frames=1, fps=16, size=(32, 32))
    with pytest.raises(InputError, match="needs 2"):
        interpolate_builtin(single, tmp_path / "o.mp4", 2, workers=0)
