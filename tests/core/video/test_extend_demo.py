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


def test_the_demo_starts_a_comfyui_folder_itself_and_stops_it(tmp_path):
    """--comfyui: the folder's main.py is started with the flags a real ComfyUI takes (here
    it starts the stand-in, which accepts and ignores the front-end flags)."""
    from tests.core.launcher_helpers import free_port

    folder = tmp_path / "ComfyUI"
    folder.mkdir()
    (folder / "main.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.fakes.comfy_standin.__main__ import main\n"
        "sys.exit(main([*sys.argv[1:], '--wan-models']))\n")
    record = tmp_path / "extend.json"
    code = _demo().main(["--comfyui", str(folder), "--port", str(free_port()), "--out",
                         str(tmp_path / "out"), "--record", str(record), "--width", "320",
                         "--height", "224", "--frames", "9", "--overlap", "1",
                         "--ready-timeout", "60"])
    data = json.loads(record.read_text())
    assert code == 0, data
    assert data["frames"]["in_file"] == 9 + 9 - 1
