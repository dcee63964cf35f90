"""The ring buffer keeps a fixed amount of memory and returns rows in time order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wan22_gui.core.telemetry.ring import RingBuffer


def test_ring_never_grows_and_keeps_the_newest_rows_in_order():
    ring = RingBuffer(("t", "v"), capacity=100)
    ring.append((0.0, 0.0))
    size = ring.nbytes  # a ring smaller than the first allocation holds its capacity at once
    assert size == 100 * 2 * 8
    for i in range(1, 1050):
        ring.append((float(i), i * 2.0))
    assert len(ring) == 100
    assert ring.nbytes == size
    assert ring.total_appended == 1050
    snap = ring.snapshot()
    np.testing.assert_array_equal(snap["t"], np.arange(950, 1050, dtype=float))
    np.testing.assert_array_equal(snap["v"], snap["t"] * 2)
    assert ring.latest() == {"t": 1049.0, "v": 2098.0}


def test_snapshot_since_t_returns_only_newer_rows_and_copies():
    ring = RingBuffer(("t", "v"), capacity=10)
    for i in range(15):
        ring.append((float(i), 1.0))
    newer = ring.snapshot(since_t=12.0)
    np.testing.assert_array_equal(newer["t"], [13.0, 14.0])
    newer["v"][:] = 99  # a reader's copy must not change the buffer
    assert ring.snapshot()["v"].max() == 1.0
    assert ring.snapshot(since_t=100.0)["t"].size == 0
    across_the_wrap = ring.snapshot(since_t=7.0)["t"]  # rows live in two runs of the array
    np.testing.assert_array_equal(across_the_wrap, np.arange(8.0, 15.0))
    np.testing.assert_array_equal(ring.snapshot(since_t=-1.0)["t"], np.arange(5.0, 15.0))


def test_missing_values_are_nan_and_bad_rows_rejected():
    ring = RingBuffer(("t", "v", "w"), capacity=4)
    ring.append((1.0, None, 3.0))
    assert math.isnan(ring.snapshot()["v"][0])
    with pytest.raises(ValueError):
        ring.append((1.0, 2.0))
    with pytest.raises(ValueError):
        RingBuffer(("t",), capacity=0)


def test_clear_and_empty():
    ring = RingBuffer(("t",), capacity=3)
    assert ring.latest() is None and ring.snapshot()["t"].size == 0
    ring.append((1.0,))
    ring.clear()
    assert len(ring) == 0 and ring.snapshot()["t"].size == 0


def test_ring_starts_small_and_grows_with_the_rows_up_to_its_capacity():
    four_hours = RingBuffer(("t", "v"), capacity=144_000)
    assert four_hours.nbytes == 0  # nothing before the first row
    four_hours.append((0.0, 0.0))
    assert four_hours.nbytes <= 1024 * 2 * 8  # an app without a GPU holds a few kB, not 2 MB
    ring = RingBuffer(("t", "v"), capacity=10_000)
    for i in range(3000):
        ring.append((float(i), -float(i)))
    assert ring.nbytes < 10_000 * 2 * 8 / 2
    np.testing.assert_array_equal(ring.snapshot()["t"], np.arange(3000, dtype=float))
    for i in range(3000, 12_500):
        ring.append((float(i), -float(i)))
    assert ring.nbytes == 10_000 * 2 * 8  # full size once full, and no more
    snap = ring.snapshot()
    np.testing.assert_array_equal(snap["t"], np.arange(2500, 12_500, dtype=float))
    np.testing.assert_array_equal(snap["v"], -snap["t"])
    assert len(ring.snapshot(since_t=12_000.0)["t"]) == 499
