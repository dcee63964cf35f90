"""`wan22 generate --interpolate rife|film [--multiplier m]` against the stand-in ComfyUI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wan22_gui.cli.main import main
from wan22_gui.core.video.reader import probe
from tests.cli.test_cli_generate import generate, picture  # noqa: F401 (fixture)


def test_interpolate_prints_both_clips_and_records_the_child(standin_with_models, picture,
                                                            capsys, app_paths):
    standin_with_models.extra_nodes.add("FILM VFI")
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--server",
                    standin_with_models.url, "--interpolate", "film", "--multiplier", 4)
    out, err = capsys.readouterr()
    assert code == 0, err
    clip, interpolated = (Path(line) for line in out.strip().splitlines())  # stdout: paths only
    assert clip.parent == app_paths.output_dir
    assert clip.name == "harbour_320x224_1.06s_4step_lora.mp4"
    assert interpolated.name == "harbour_320x224_1.06s_4step_lora_film_x4.mp4"
    assert (probe(clip).frame_count, probe(clip).fps) == (17, 16)
    assert (probe(interpolated).frame_count, probe(interpolated).fps) == (65, 64)
    assert any(line.endswith("Interpolation…") for line in err.splitlines())  # progress line
    assert f"FILM ×4 (ComfyUI): {interpolated}" in err and "Interpolation" in err
    assert main(["history", "--json", "--limit", "2"]) == 0
    rows = {r["kind"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["interpolate"]["parent_id"] == rows["generate"]["job_id"]
    assert rows["interpolate"]["outputs"] == [str(interpolated)]


def test_interpolate_without_the_nodes_exits_2_and_names_the_pack(standin_with_models, picture,
                                                                  capsys):
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--server",
                    standin_with_models.url, "--interpolate", "rife")
    out, err = capsys.readouterr()
    assert code == 2
    assert "RIFE VFI" in err and "ComfyUI-Frame-Interpolation" in err
    assert standin_with_models.counters["prompts_received"] == 0
    assert standin_with_models.counters["uploads"] == 0


@pytest.mark.parametrize("args, words", [
    (["--multiplier", "3"], "only applies with --interpolate"),
    (["--interpolate", "dain"], "invalid choice"),
    (["--interpolate", "rife", "--multiplier", "5"], "invalid choice"),
])
def test_bad_interpolation_arguments_exit_2(picture, capsys, args, words):
    try:
        code = generate(picture, "--server", "http://127.0.0.1:9", *args)
    except SystemExit as exc:  # argparse refuses choices itself
        code = exc.code
    assert code == 2
    assert words in capsys.readouterr().err
