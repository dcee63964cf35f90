"""`wan22 bench` and `wan22 max-frames` from the command line against the stand-in ComfyUI."""

from __future__ import annotations


import pytest

from tests.fakes.comfy_standin import StandinServer, install_wan_models
from wan22_gui.cli.main import main

SPEC = """
name = "cli"
images = ["a.png", "b.png"]
resolutions = ["128x128"]
frames = [5, 49]
repeats = 1
[[configs]]
name = "lora"
"""


@pytest.fixture
def server(tmp_path):
    from PIL import Image

    for name, color in (("a.png", (200, 50, 50)), ("b.png", (50, 50, 200))):
        Image.new("RGB", (128, 128), color).save(tmp_path / name)
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    install_wan_models(tmp_path / "comfy")
    standin = StandinServer(tmp_path / "comfy",
                            faults={"step_seconds": 0.005, "oom_above_frames": 45})
    standin.start()
    yield standin
    standin.stop()


def test_bench_runs_resumes_and_rebuilds_the_report(server, tmp_path, capsys):
    out = tmp_path / "out"
    spec = str(tmp_path / "spec.toml")
    assert main(["bench", spec, "--server", server.url, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[  2/4] oom" in printed and "ran out of GPU memory" in printed
    assert f"Report: {out / 'report.html'}" in printed
    assert main(["bench", spec, "--plan", "--out", str(out)]) == 0
    assert "0 of 4 measured runs left" in capsys.readouterr().out
    assert main(["bench", spec, "--server", server.url, "--out", str(out)]) == 0
    assert "(4 of 4 were already done)" in capsys.readouterr().out
    (out / "report.html").unlink()
    assert main(["bench", "--report-only", "--out", str(out)]) == 0
    assert (out / "report.html").is_file()


def test_bench_explains_a_bad_spec_and_a_dead_server(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace("[5, 49]", "[80]"), encoding="utf-8")
    assert main(["bench", str(bad), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "4n+1" in err and "Traceback" not in err
    good = tmp_path / "good.toml"
    good.write_text(SPEC.replace('["a.png", "b.png"]', '["x.png"]'), encoding="utf-8")
    (tmp_path / "x.png").write_bytes(b"not really a png")
    code = main(["bench", str(good), "--server", "http://127.0.0.1:9", "--out",
                 str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 1 and "No ComfyUI answers at http://127.0.0.1:9" in captured.out
    assert "Traceback" not in captured.err


def test_max_frames_finds_the_scripted_threshold(server, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["max-frames", str(tmp_path / "a.png"), "--resolution", "128x128", "--low", "5",
                 "--high", "101", "--server", server.url, "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "45 frames fit; 49 frames ran out of memory" in printed
    assert "   49 frames: oom" in printed
    assert len(list((out / "max_frames").glob("*.json"))) == 1
