"""Benchmark spec: the documented example parses, mistakes are named, TOML round-trips, cells
expand in an order that minimises server restarts and keep their ids across edits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from wan22_gui.core.bench.matrix import expand, group_by_launch, measured_runs
from wan22_gui.core.bench.spec import (
    BenchConfig, load_spec, parse_spec_text, spec_to_toml,
)
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.resources import resource_path

SPEC = """
name = "t"
images = ["a.png", "b.png"]
resolutions = ["832x1216", [640, 640]]
frames = [81, 25, 49]
repeats = 2
[[configs]]
name = "lora"
[[configs]]
name = "sage"
attention = "sage"
[[configs]]
name = "base"
lora = false
"""


@pytest.fixture
def images(tmp_path: Path) -> Path:
    (tmp_path / "a.png").write_bytes(b"image a")
    (tmp_path / "b.png").write_bytes(b"image b")
    return tmp_path


def test_example_spec_in_resources_parses_without_its_images():
    spec = load_spec(resource_path("bench_example.toml"), check_files=False)
    assert spec.frames == (25, 49, 81)
    assert [c.name for c in spec.configs] == ["4-step LoRA", "20 steps, no LoRA"]
    assert spec.configs[1].sampling() == (20, 10, 3.5)
    assert len(expand(spec)) == 2 * 1 * 3 * 2


def test_defaults_follow_the_template_for_each_mode(images):
    spec = parse_spec_text(SPEC, base_dir=images)
    lora, _, base = spec.configs
    assert lora.sampling() == (4, 2, 1.0)
    assert base.sampling() == (20, 10, 3.5)
    assert spec.negative_prompt is None  # the template's own negative prompt is used
    assert spec.resolutions == ((832, 1216), (640, 640))


@pytest.mark.parametrize("text, words", [
    ("frames = [80]", ["80", "4n+1", "77 or 81"]),
    ('resolutions = ["830x1216"]', ["830x1216", "multiples of 16"]),
    ("repeat = 3", ["Unknown key repeat", "repeats"]),
    ("frames = 81", ["'frames'", "list"]),
    ('images = ["missing.png"]', ["missing.png", "not found"]),
])
def test_mistakes_are_named_with_a_fix(images, text, words):
    key = text.split(" =")[0]
    lines = [ln for ln in SPEC.splitlines() if not ln.startswith(key + " ")]
    broken = text + "\n" + "\n".join(lines)
    with pytest.raises(InputError) as info:
        parse_spec_text(broken, base_dir=images)
    message = info.value.user_text()
    for word in words:
        assert word in message


def test_bad_config_values_and_broken_toml(images):
    with pytest.raises(InputError, match="attention"):
        parse_spec_text(SPEC.replace('"sage"', '"turbo"'), base_dir=images)
    with pytest.raises(InputError, match="share the name"):
        parse_spec_text(SPEC.replace('name = "base"', 'name = "lora"'), base_dir=images)
    with pytest.raises(InputError, match="not valid TOML"):
        parse_spec_text(SPEC + "\nname = \n", base_dir=images)
    with pytest.raises(InputError, match="Cannot read"):
        load_spec(images / "nope.toml")


def test_durations_become_frame_counts(images):
    text = SPEC.replace("frames = [81, 25, 49]", "durations_s = [1.5, 3, 5, 10]")
    spec = parse_spec_text(text, base_dir=images)
    assert spec.frames == (25, 49, 81, 161)


def test_toml_round_trip_keeps_the_spec(images, tmp_path_factory):
    spec = parse_spec_text(SPEC.replace('name = "t"', 'name = "quote \\" and ü"'), base_dir=images)
    text = spec_to_toml(spec, base_dir=images)
    assert 'images = ["a.png", "b.png"]' in text
    assert parse_spec_text(text, base_dir=images) == spec
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # absolute paths when saved elsewhere
    assert parse_spec_text(spec_to_toml(spec), base_dir=elsewhere) == spec
    assert spec.images[0].is_absolute()


def test_cells_grouped_by_launch_flags_frames_rising(images):
    spec = parse_spec_text(SPEC, base_dir=images)
    cells = expand(spec)
    assert len(cells) == 2 * 2 * 3 * 3
    # the two configs without launch flags come first, the sage one (a restart) last
    assert [c.config.name for c in cells[::12]] == ["lora", "base", "sage"]
    assert [c.frames for c in cells[:3]] == [25, 49, 81]
    groups = group_by_launch(measured_runs(spec, cells))
    assert [len(runs) for _, runs in groups] == [48, 24]
    assert groups[1][0].attention == "sage"


def test_cell_ids_are_stable_and_ignore_labels(images):
    spec = parse_spec_text(SPEC, base_dir=images)
    ids = {c.cell_id for c in expand(spec)}
    assert len(ids) == 36
    renamed = replace(spec, configs=(replace(spec.configs[0], name="renamed"),) + spec.configs[1:])
    assert {c.cell_id for c in expand(renamed)} == ids
    more = replace(spec, frames=spec.frames + (161,))
    assert ids < {c.cell_id for c in expand(more)}
    (images / "a.png").write_bytes(b"another picture")
    assert len(ids & {c.cell_id for c in expand(spec)}) == 18  # only b.png's cells stay


def test_launch_config_describes_itself():
    config = BenchConfig("x", preset="rtx5090", attention="sage", launch_args=("--fast",))
    launch = config.launch()
    assert (launch.attention, launch.extra_args) == ("sage", ("--fast",))
    assert launch.describe() == "preset rtx5090 + sage attention + --fast"
    assert BenchConfig("y", attention="sage-node").launch().is_default


def test_a_gguf_configuration_is_its_own_cell_and_runs_gguf_experts(images):
    from wan22_gui.core.bench.jobcells import job_spec_for
    from wan22_gui.core.bench.runner import RunRequest
    from wan22_gui.core.workflow.builder import build_wan_i2v

    text = SPEC.split("[[configs]]")[0] + """
[[configs]]
name = "fp8"
[[configs]]
name = "Q4"
high_model = "Wan2.2-I2V-A14B-HighNoise-Q4_K_M.gguf"
low_model = "Wan2.2-I2V-A14B-LowNoise-Q4_K_M.gguf"
"""
    spec = parse_spec_text(text, base_dir=images)
    fp8, q4 = spec.configs
    assert "model_format" not in fp8.settings()  # old specs keep their cell ids
    assert q4.settings()["model_format"] == "Q4_K_M"
    assert parse_spec_text(spec_to_toml(spec, base_dir=images), base_dir=images) == spec
    cell = next(c for c in expand(spec) if c.config == q4)
    job = job_spec_for(RunRequest(cell, "k", False, spec, images, 60.0, 1))
    graph = build_wan_i2v(job, "a.png").graph
    assert {n["class_type"] for n in graph.values()} >= {"UnetLoaderGGUF"}
    assert "UNETLoader" not in {n["class_type"] for n in graph.values()}
