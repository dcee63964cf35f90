"""The graph's pieces: its fixed buffers, the phase track and the readout text."""

from __future__ import annotations

import numpy as np

from wan22_gui.core.jobs.phases import PhaseEvent
from wan22_gui.gui.telemetry.buffer import SeriesBuffer, peak_decimate
from wan22_gui.gui.telemetry.phases import PhaseTrack
from wan22_gui.gui.telemetry.readout import format_readout

T0 = 1_760_000_000.0


def rows(start: int, n: int) -> dict:
    t = T0 + np.arange(start, start + n, dtype=float)
    return {"t": t, "v": np.arange(start, start + n, dtype=float)}


def test_buffer_keeps_the_newest_rows_in_fixed_memory_and_contiguous_views():
    buffer = SeriesBuffer(("t", "v"), capacity=100)
    buffer.extend(rows(0, 7))
    size = buffer.nbytes  # a buffer smaller than the first allocation holds 2 x capacity at once
    for start in range(7, 1000, 7):
        buffer.extend(rows(start, 7))
    assert len(buffer) == 100 and buffer.nbytes == size
    v = buffer.view("v")
    np.testing.assert_array_equal(v, np.arange(1001 - 100, 1001))
    assert v.flags["C_CONTIGUOUS"], "handed to setData without a copy"
    np.testing.assert_array_equal(buffer.view("x"), buffer.view("t") - T0)
    assert buffer.last_t == T0 + 1000
    buffer.extend(rows(2000, 500))  # more than fits at once: the newest are kept
    np.testing.assert_array_equal(buffer.view("v"), np.arange(2400, 2500))


def test_buffer_starts_small_and_grows_with_the_data_up_to_twice_its_capacity():
    buffer = SeriesBuffer(("t", "v"), capacity=144_000)  # four hours at 10 Hz
    assert buffer.nbytes == 0  # not 3 x 288,000 x 8 bytes before any sample
    for start in range(0, 3000, 10):
        buffer.extend(rows(start, 10))
    assert buffer.nbytes <= 3 * 4096 * 8
    np.testing.assert_array_equal(buffer.view("v"), np.arange(3000))
    assert buffer.view("v").flags["C_CONTIGUOUS"]
    buffer.extend(rows(3000, 100_000))
    buffer.extend(rows(103_000, 100_000))
    np.testing.assert_array_equal(buffer.view("v"), np.arange(203_000 - 144_000, 203_000))
    buffer.extend(rows(203_000, 100_000))
    assert buffer.nbytes <= 3 * 2 * 144_000 * 8  # the cap: never more
    np.testing.assert_array_equal(buffer.view("v"), np.arange(303_000 - 144_000, 303_000))
    np.testing.assert_array_equal(buffer.view("x"), buffer.view("t") - T0)


def test_nearest_sample_and_rows_between():
    buffer = SeriesBuffer(("t", "v"), capacity=50)
    buffer.extend(rows(0, 10))
    assert buffer.nearest(3.4) == 3 and buffer.nearest(3.6) == 4
    assert buffer.nearest(-5) == 0 and buffer.nearest(99) == 9
    picked = buffer.rows_between(2.0, 4.0)
    assert list(picked["v"]) == [2.0, 3.0, 4.0]
    buffer.clear()
    assert buffer.nearest(1.0) is None and buffer.last_t is None


def test_an_hour_on_screen_is_drawn_as_two_points_per_pixel_keeping_every_peak():
    buffer = SeriesBuffer(("t", "v"), capacity=40_000)
    data = rows(0, 36_000)
    data["v"] = np.zeros(36_000)
    data["v"][12_345] = 22.0  # a one-sample VRAM spike: must not vanish
    data["v"][30_000:30_050] = np.nan  # the sampler lost the GPU for 5 s
    data["v"][-1] = 7.0  # the newest sample: must reach the live edge
    buffer.extend(data)
    first, end, bucket = buffer.visible_span(0.0, 36_000.0, width_px=1200)
    assert bucket == 30
    x, y = peak_decimate(buffer.view("x")[first:end], buffer.view("v")[first:end], bucket)
    assert x.size <= 2 * 1200 + 2, "about two points per pixel column"
    assert np.nanmax(y) == 22.0 and y[-1] == 7.0 and x[-1] == 35_970.0
    assert np.isnan(y).any(), "a whole pixel column without data stays a gap"
    # Scrolling by one sample keeps the same rows in each column (no shimmering peaks).
    buffer.extend(rows(36_000, 1))
    first2, end2, bucket2 = buffer.visible_span(1.0, 36_001.0, width_px=1200)
    assert bucket2 == bucket
    assert (buffer.view("x")[first2] - buffer.view("x")[first]) % bucket == 0
    x, y = peak_decimate(buffer.view("x")[first2:end2], buffer.view("v")[first2:end2], bucket)
    assert x[-1] == 36_000.0 and y[-1] == 36_000.0, "a lone newest row still shows"


def test_few_rows_are_drawn_as_they_are_and_steps_stay_vertical():
    x = np.arange(10.0)
    y = np.arange(10.0)
    assert peak_decimate(x, y, 1)[1] is y, "nothing to reduce: no copy"
    step = np.array([8.0, 8.0, 98.0, 98.0, 98.0, 98.0])
    xs, ys = peak_decimate(np.arange(6.0), step, 3)
    assert list(ys) == [8.0, 98.0, 98.0, 98.0], "rising bucket: minimum first"
    assert list(xs) == [0.0, 0.0, 3.0, 3.0]


def test_phase_track_closes_phases_when_the_job_fails():
    track = PhaseTrack()
    track.add(PhaseEvent("a", "job_start", "mark", T0))
    track.add(PhaseEvent("a", "high_noise", "start", T0 + 1))
    track.add(PhaseEvent("a", "high_noise", "end", T0 + 5))
    track.add(PhaseEvent("a", "vae_decode", "start", T0 + 5))
    assert track.span_at(T0 + 6).phase == "vae_decode"
    assert track.last_job_range(now=T0 + 9) == (T0, T0 + 9), "a running job reaches now"
    track.add(PhaseEvent("a", "oom", "mark", T0 + 7, "CUDA out of memory"))
    decode = track.spans[-1]
    assert decode.end == T0 + 7, "an OOM ends the phase it happened in"
    assert track.span_at(T0 + 8) is None
    track.add(PhaseEvent("a", "job_end", "mark", T0 + 7.5))
    assert track.last_job_range(now=T0 + 100) == (T0, T0 + 7.5)


def test_readout_says_not_available_plainly():
    text = format_readout({"t": T0, "ram_used": 2**30, "ram_total": 2**34}, html=False)
    assert "VRAM n/a" in text and "power n/a" in text and "RAM 1.0/16 GiB" in text
    assert "n/a/n/a" not in text
