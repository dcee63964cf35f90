"""`wan22 compare-metrics` and `wan22 interpolate --metrics`: the compare view's figures on the
command line, and next to an exported comparison."""

from __future__ import annotations

import json

from wan22_gui.cli.main import main
from wan22_gui.core.video.testclip import write_test_clip


def test_prints_the_table_of_figures_for_a_source_and_its_interpolation(app_paths, capsys, tmp_path):
    source = write_test_clip(tmp_path / "source.mp4", frames=9, fps=8, size=(96, 64))
    assert main(["interpolate", str(source), "--workers", "0"]) == 0
    result = next((app_paths.output_dir / "interpolated").glob("*.mp4"))
    capsys.readouterr()
    code = main(["compare-metrics", str(source), str(result), "--sidecar", str(tmp_path / "cmp.mp4")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Warp error" in out and "Flicker" in out and "PSNR" in out and "SSIM" in out
    source_line = next(line for line in out.splitlines() if line.startswith("1. source.mp4"))
    assert "reference" in source_line
    result_line = next(line for line in out.splitlines() if line.startswith("2. "))
    assert " dB" in result_line
    data = json.loads((tmp_path / "cmp.metrics.json").read_text())
    assert data["clips"][1]["compared_frames"] == 9 and data["clips"][1]["psnr"] > 25


def test_interpolate_with_metrics_writes_them_next_to_the_export(app_paths, capsys, tmp_path):
    source = write_test_clip(tmp_path / "clip.mp4", frames=9, fps=8, size=(96, 64))
    code = main(["interpolate", str(source), "--workers", "0", "--metrics",
                 "--compare", str(tmp_path / "side.mp4")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Warp error" in out and "reference" in out
    assert (tmp_path / "side.metrics.json").is_file() and (tmp_path / "side.metrics.csv").is_file()
    titles = [c["title"] for c in json.loads((tmp_path / "side.metrics.json").read_text())["clips"]]
    assert titles == ["Source", "Optical flow ×2 (built-in)"]


def test_bad_clips_and_references_are_messages_with_a_non_zero_exit(capsys, tmp_path):
    source = write_test_clip(tmp_path / "a.mp4", frames=5, fps=8, size=(64, 48))
    assert main(["compare-metrics", str(source), str(tmp_path / "gone.mp4")]) == 1
    err = capsys.readouterr().err
    assert "gone.mp4" in err and "Traceback" not in err
    assert main(["compare-metrics", str(source), "--reference", "3"]) == 1
    assert "--reference 3" in capsys.readouterr().err
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    assert main(["compare-metrics", str(source), str(tmp_path / "junk.mp4")]) == 1
    assert "junk.mp4" in capsys.readouterr().err
