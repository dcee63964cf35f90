"""Max-frames search: bisection over 4n+1 frame counts against a scripted OOM threshold."""

from __future__ import annotations

import pytest

from tests.core.bench.test_bench_runner import FakeServer, ScriptedCells
from wan22_gui.core.bench.maxframes import (
    MaxFramesResult, MaxFramesSearch, bisect_frames, load_results,
)
from wan22_gui.core.bench.runner import RunOutcome
from wan22_gui.core.bench.spec import parse_spec_text
from wan22_gui.core.base.errors import InputError


def threshold_probe(limit: int, seen: list[int], other: dict[int, str] | None = None):
    def probe(frames: int) -> RunOutcome:
        seen.append(frames)
        if other and frames in other:
            return RunOutcome(other[frames], error="scripted")
        if frames > limit:
            return RunOutcome("oom", error="CUDA out of memory")
        return RunOutcome("succeeded", total_s=frames * 1.0, metrics={"peak_vram_bytes": frames})
    return probe


def fresh(low: int = 5, high: int = 241) -> MaxFramesResult:
    return MaxFramesResult("lora", 832, 1216, "", low, high)


@pytest.mark.parametrize("limit", [5, 9, 81, 97, 100, 237, 241])
def test_finds_the_largest_count_below_the_threshold(limit):
    seen: list[int] = []
    result = bisect_frames(threshold_probe(limit, seen), 5, 241, result=fresh())
    expected = ((limit - 1) // 4) * 4 + 1
    assert result.largest_ok == expected
    assert result.smallest_fail == (None if expected == 241 else expected + 4)
    assert all((n - 1) % 4 == 0 for n in seen)
    assert len(seen) <= 2 + 6  # low, high, then log2(60) halvings
    assert [p.frames for p in result.probes] == seen
    assert result.finished


def test_nothing_fits():
    seen: list[int] = []
    result = bisect_frames(threshold_probe(1, seen), 5, 241, result=fresh())
    assert result.largest_ok is None and result.smallest_fail == 5 and seen == [5]
    assert "even 5 frames" in result.summary()


def test_a_crash_counts_as_does_not_fit_and_another_error_stops():
    seen: list[int] = []
    result = bisect_frames(threshold_probe(999, seen, {241: "crashed"}), 5, 241, result=fresh())
    assert result.smallest_fail == 241 and result.largest_ok == 237
    seen = []
    result = bisect_frames(threshold_probe(999, seen, {241: "error"}), 5, 241, result=fresh())
    assert not result.finished and "not an OOM" in result.stopped
    assert result.summary().endswith(result.stopped + ")")


def test_cancel_stops_between_probes():
    seen: list[int] = []
    result = bisect_frames(threshold_probe(97, seen), 5, 241, result=fresh(),
                           cancelled=lambda: len(seen) >= 3)
    assert len(seen) == 3 and result.stopped == "cancelled"


def test_bad_ranges_are_refused():
    with pytest.raises(InputError):
        bisect_frames(threshold_probe(97, []), 81, 25, result=fresh())
    with pytest.raises(InputError, match="4n\\+1"):
        bisect_frames(threshold_probe(97, []), 5, 240, result=fresh())


def test_search_with_jobs_records_every_probe(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    spec = parse_spec_text('images = ["a.png"]\nresolutions = ["832x1216"]\nframes = [81]\n'
                           '[[configs]]\nname = "lora"\n', base_dir=tmp_path)
    cells = ScriptedCells(lambda r, i: "oom" if r.cell.frames > 121 else "succeeded", clips=False)
    server = FakeServer()
    search = MaxFramesSearch(spec, spec.configs[0], tmp_path / "out", cells, server)
    printed = []
    result = search.run(17, 241, on_probe=printed.append)
    assert result.largest_ok == 121 and result.smallest_fail == 125
    assert [c.cell.frames for c in cells.calls] == [p.frames for p in printed]
    assert len(server.ensured) == 1
    saved = load_results(tmp_path / "out")
    assert len(saved) == 1 and saved[0].largest_ok == 121
    assert [p.status for p in saved[0].probes] == [p.status for p in result.probes]
