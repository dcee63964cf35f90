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


def test_interpolate_without_the_nodes_runs_the_builtin_engine_and_says_why(
        standin_with_models, picture, capsys):
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--server",
                    standin_with_models.url, "--interpolate", "rife")
    out, err = capsys.readouterr()
    assert code == 0, err
    clip, interpolated = (Path(line) for line in out.split())
    assert (probe(interpolated).frame_count, probe(interpolated).fps) == (33, 32)
    assert f"Optical flow ×2 (built-in): {interpolated}" in err
    assert "Optical flow (built-in) ran instead of RIFE: this ComfyUI has neither" in err
    assert "ComfyUI-Frame-Interpolation" in err and "(you have 0.3.64)" in err


def test_a_rife_model_the_server_lacks_exits_2_before_anything_is_sent(
        standin_with_models, picture, capsys):
    standin_with_models.extra_nodes.add("RIFE VFI")
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--server",
                    standin_with_models.url, "--interpolate", "rife", "--rife-model", "nope.pth")
    assert code == 2
    assert "nope.pth" in capsys.readouterr().err
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


@pytest.mark.parametrize("comfy_profile", ["0.38.1"])
def test_interpolate_runs_on_the_core_nodes_with_the_chosen_rife_model(
        standin_with_models, picture, capsys):
    """ComfyUI 0.38: FrameInterpolationModelLoader + FrameInterpolate with a model from
    models/frame_interpolation/, preferred over the pack; --rife-model picks the file."""
    standin_with_models.extra_nodes.add("RIFE VFI")  # the pack too: core still wins
    for name in ("rife_v4.25.safetensors", "rife_v4.26.safetensors"):
        standin_with_models.models.add("frame_interpolation", name)
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--server",
                    standin_with_models.url, "--interpolate", "rife", "--rife-model",
                    "rife_v4.25.safetensors")
    out, err = capsys.readouterr()
    assert code == 0, err
    interpolated = Path(out.strip().splitlines()[-1])
    assert (probe(interpolated).frame_count, probe(interpolated).fps) == (33, 32)
    assert "RIFE ×2 (ComfyUI, rife_v4.25)" in err
    assert main(["history", "--json", "--limit", "2"]) == 0
    rows = {r["kind"]: r for r in json.loads(capsys.readouterr().out)}
    graph = rows["generate"]["graph"]
    classes = {n["class_type"]: n for n in graph.values()}
    assert "RIFE VFI" not in classes and "FrameInterpolate" in classes
    assert classes["FrameInterpolationModelLoader"]["inputs"]["model_name"] == \
        "rife_v4.25.safetensors"


@pytest.mark.parametrize("comfy_profile", ["0.38.1"])
def test_a_rife_model_the_server_lacks_is_refused_with_the_ones_it_has(
        standin_with_models, picture, capsys):
    standin_with_models.models.add("frame_interpolation", "rife_v4.26.safetensors")
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--server",
                    standin_with_models.url, "--interpolate", "rife", "--rife-model",
                    "rife47.pth")
    err = capsys.readouterr().err
    assert code == 2
    assert "no model 'rife47.pth'" in err and "rife_v4.26.safetensors" in err
    assert standin_with_models.counters["prompts_received"] == 0


def test_rife_model_needs_rife(picture, capsys):
    code = generate(picture, "--server", "http://127.0.0.1:9", "--rife-model", "x.pth")
    assert code == 2
    assert "--rife-model only applies with --interpolate rife" in capsys.readouterr().err
