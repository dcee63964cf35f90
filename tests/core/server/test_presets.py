"""Preset choice per GPU, reasons on every flag, and user overrides."""

from __future__ import annotations

import json

import pytest

from wan22_gui.core.base.errors import PresetError
from wan22_gui.core.gpu import detect_gpus
from wan22_gui.core.presets import choose_preset, load_presets
from tests.fakes.fake_nvml import (
    FakeGpu,
    MIB,
    a100_40gb,
    a100_80gb,
    driver_not_loaded,
    h100,
    h200,
    make_nvml,
    rtx_4090,
    rtx_5090,
    unknown_16gb,
)


def _gpu_from(nvml):
    report = detect_gpus(nvml)
    return report.gpus[0] if report.gpus else None


SEED_ENV = {"PYTORCH_CUDA_ALLOC_CONF": "max_split_size_mb:512,expandable_segments:True",
            "TORCH_COMPILE": "0"}


@pytest.mark.parametrize("card,name,argv,env", [
    (rtx_5090, "rtx-5090", ["--reserve-vram", "4", "--cuda-malloc"], SEED_ENV),
    (rtx_4090, "rtx-4090", ["--reserve-vram", "4", "--cuda-malloc"], SEED_ENV),
    (a100_40gb, "a100", ["--gpu-only", "--cuda-malloc"], SEED_ENV),
    (a100_80gb, "a100", ["--gpu-only", "--cuda-malloc"], SEED_ENV),
    (h100, "h100-h200", [], {}),
    (h200, "h100-h200", [], {}),
    (unknown_16gb, "vram-12-20", ["--reserve-vram", "2"], {}),
])
def test_preset_chosen_for_each_card(card, name, argv, env):
    preset = choose_preset(_gpu_from(make_nvml(card())))
    assert preset.name == name
    assert preset.argv() == argv
    assert preset.env_values() == env


def test_no_nvidia_gpu_gets_the_cpu_preset():
    preset = choose_preset(_gpu_from(driver_not_loaded()))
    assert preset.name == "cpu" and preset.argv() == ["--cpu"]


@pytest.mark.parametrize("gpu,name", [
    (FakeGpu("NVIDIA RTX A1000 6GB Laptop GPU", 6144 * MIB, (8, 6)), "vram-under-12"),
    (FakeGpu("NVIDIA GeForce RTX 4090 Laptop GPU", 16376 * MIB, (8, 9)), "vram-12-20"),
    (FakeGpu("NVIDIA GeForce RTX 3090", 24576 * MIB, (8, 6)), "vram-20-28"),
    (FakeGpu("NVIDIA L40S", 46068 * MIB, (8, 9)), "vram-48-plus"),
    (FakeGpu("NVIDIA RTX 5000 Ada Generation", 32760 * MIB, (8, 9)), "vram-28-48"),
])
def test_names_match_whole_words_and_vram_tiers_catch_the_rest(gpu, name):
    assert choose_preset(_gpu_from(make_nvml(gpu))).name == name


def test_every_flag_and_variable_carries_a_reason_and_no_preset_forces_channels_last():
    book = load_presets()
    assert len(book.presets) >= 10
    for preset in book.presets:
        assert preset.description
        for spec in preset.args:
            assert len(spec.reason) > 20, (preset.name, spec.flag)
            assert spec.flag != "--force-channels-last"
        for var, spec in preset.env.items():
            assert len(spec.reason) > 20, (preset.name, var)


def test_reasons_are_truthful_about_no_op_settings():
    preset = load_presets().get("rtx-5090")
    reasons = {spec.flag: spec.reason for spec in preset.args}
    assert "--normalvram" not in reasons and "never reads it" in preset.description
    assert "already" in reasons["--cuda-malloc"]
    assert "ignores" in preset.env["PYTORCH_CUDA_ALLOC_CONF"].reason
    assert "Nothing reads" in preset.env["TORCH_COMPILE"].reason
    assert preset.reserve_vram_gb == 4.0


def test_attention_choice_adds_its_flag():
    preset = load_presets().get("h100-h200")
    assert preset.argv("sage") == ["--use-sage-attention"]
    assert preset.argv("flash")[-1] == "--use-flash-attention"
    assert preset.argv("sdpa") == []


def test_user_preset_replaces_a_builtin_and_adds_new_ones(tmp_path):
    (tmp_path / "presets.json").write_text(json.dumps({"presets": [
        {"name": "rtx-4090", "title": "My 4090", "match": {"names": ["RTX 4090"]},
         "args": [{"flag": "--highvram", "reason": "my card, my rules"}]},
        {"name": "mine", "args": ["--lowvram"], "env": {"FOO": "1"}},
    ]}), encoding="utf-8")
    book = load_presets(tmp_path)
    assert book.problems == []
    assert book.choose(_gpu_from(make_nvml(rtx_4090()))).title == "My 4090"
    assert book.get("mine").argv() == ["--lowvram"]
    assert book.names().count("rtx-4090") == 1


def test_broken_user_file_falls_back_to_builtins_with_a_message(tmp_path):
    path = tmp_path / "presets.json"
    path.write_text('{"presets": [ {"name": "x",, } ]}', encoding="utf-8")
    book = load_presets(tmp_path)
    assert "rtx-5090" in book.names()
    assert "not valid JSON (line 1" in book.problems[0] and str(path) in book.problems[0]
    path.write_text(json.dumps({"presets": [{"name": "x", "attention": "turbo"}]}))
    assert "unknown attention 'turbo'" in load_presets(tmp_path).problems[0]


def test_unknown_preset_name_says_which_exist():
    with pytest.raises(PresetError) as info:
        load_presets().get("rtx-9090")
    assert "rtx-9090" in str(info.value) and "rtx-5090" in info.value.hint


def test_h100_h200_preset_has_no_gpu_only_and_says_what_was_measured():
    preset = load_presets().get("h100-h200")
    assert preset.args == []
    assert "87-90 GB" in preset.description and "52 GB" in preset.description
    assert "69.3 s" in preset.description and "69.6 s" in preset.description


@pytest.mark.parametrize("name, flag, version, kept, words", [
    ("a100", "--gpu-only", "0.3.64", True, ""),
    ("a100", "--gpu-only", "0.38.1", False, "turns Dynamic VRAM off"),
    ("vram-48-plus", "--highvram", "0.38.1", False, "enables_dynamic_vram"),
    ("vram-under-12", "--lowvram", "0.3.64", True, ""),
    ("vram-under-12", "--lowvram", "0.38.2", False, "does nothing while Dynamic VRAM is on"),
])
def test_presets_state_the_flags_of_both_eras(name, flag, version, kept, words):
    preset = load_presets().get(name)
    used, dropped = preset.flags_for(version)
    assert (flag in [s.flag for s in used]) == kept
    assert (flag in preset.argv(version=version)) == kept
    if not kept:
        why = dict((s.flag, w) for s, w in dropped)[flag]
        assert f"left out on ComfyUI {version}" in why and words in why


def test_flags_a_version_refuses_or_ignores_are_left_out_with_the_reason(tmp_path):
    (tmp_path / "presets.json").write_text(json.dumps({"presets": [
        {"name": "old-habits", "args": [
            {"flag": "--normalvram", "reason": "from an old guide"},
            {"flag": "--lowvram", "reason": "from an old guide"},
            {"flag": "--disable-dynamic-vram", "reason": "estimate-based loading, as before"},
            {"flag": "--reserve-vram", "value": "2", "reason": "room for the desktop"}]}]}))
    preset = load_presets(tmp_path).get("old-habits")
    # 0.38 no longer has --normalvram; --lowvram works again next to --disable-dynamic-vram
    assert preset.argv(version="0.38.1") == ["--lowvram", "--disable-dynamic-vram",
                                             "--reserve-vram", "2"]
    why = dict((s.flag, w) for s, w in preset.flags_for("0.38.1")[1])
    assert "no longer has --normalvram" in why["--normalvram"]
    # 0.3.64 knows neither Dynamic VRAM flag, and --normalvram does nothing there
    assert preset.argv(version="0.3.64") == ["--lowvram", "--reserve-vram", "2"]
    why = dict((s.flag, w) for s, w in preset.flags_for("0.3.64")[1])
    assert "does not know --disable-dynamic-vram yet" in why["--disable-dynamic-vram"]
    assert "never reads it" in why["--normalvram"]
    assert preset.argv() == [part for s in preset.args for part in s.argv()]  # version unknown


def test_a_flag_of_one_era_says_so():
    spec = next(s for s in load_presets().get("a100").args if s.flag == "--gpu-only")
    assert spec.era() == "ComfyUI before 0.38.1"
    assert next(s for s in load_presets().get("a100").args if s.flag == "--cuda-malloc").era() == ""
