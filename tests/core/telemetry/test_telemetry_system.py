"""System RAM readings (ComfyUI moves the 14B experts through RAM)."""

from __future__ import annotations

import math
import sys

import pytest

from wan22_gui.core.telemetry.system import read_ram


@pytest.mark.skipif(sys.platform.startswith("win"), reason="reads a meminfo file")
def test_meminfo_used_is_total_minus_available(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(
        "MemTotal:       65536000 kB\nMemFree:         1000000 kB\n"
        "MemAvailable:   16384000 kB\nBuffers:          200000 kB\n"
    )
    ram = read_ram(meminfo)
    assert ram.total == 65536000 * 1024
    assert ram.used == (65536000 - 16384000) * 1024


@pytest.mark.skipif(sys.platform.startswith("win"), reason="reads a meminfo file")
def test_unreadable_meminfo_gives_nan_not_an_error(tmp_path):
    assert math.isnan(read_ram(tmp_path / "missing").used)
    garbage = tmp_path / "garbage"
    garbage.write_text("MemTotal: lots\n")
    assert math.isnan(read_ram(garbage).total)


def test_this_machine_reports_some_ram():
    ram = read_ram()
    if math.isnan(ram.total):
        pytest.skip("no RAM reading on this platform")
    assert 0 < ram.used <= ram.total
