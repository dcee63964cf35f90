"""bench/gpu_extend_demo.py on the stand-in: two parts through the app's runner, joined, with
the frame counts and seam figures written to its record (the GPU run writes the same)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _demo():
    spec = importlib.util.spec_from_file_location("gpu_extend_demo", ROOT / "bench/gpu_extend_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_records_a_joined_clip_of_the_right_length(standin_with_models, tmp_path):
    record = tmp_path / "extend.json"
    code = _demo().main(["--server", standin_with_models.url, "--out", str(tmp_path / "out"),
                         "--record", str(record), "--width", "320", "--height", "224",
                         "--frames", "17", "--overlap", "5", "--color-match"])
    data = json.loads(record.read_text())
    assert code == 0, data
    assert data["frames"]["in_file"] == data["frames"]["expected"] == 17 + 17 - 5
    assert data["frames"]["joined"] == 29
    assert data["seam"]["across"] >= 0 and data["seam"]["within"] > 0
    assert Path(data["joined"]).is_file() and data["part2"]["outputs"][1] != data["joined"]
