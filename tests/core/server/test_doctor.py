"""The launch doctor: flags learned from `main.py --help`, and what it says about a launch."""

from __future__ import annotations

import pytest

from wan22_gui.core.presets import load_presets
from wan22_gui.core.server.cache import JsonCache
from wan22_gui.core.server.command import build_plan
from wan22_gui.core.server.doctor import check, load_flag_table
from wan22_gui.core.server.install import find_install
from wan22_gui.core.server.probe import PythonProbe
from tests.fakes.fake_comfyui_install import make_install


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    root = make_install(tmp_path_factory.mktemp("doctor") / "ComfyUI")
    install = find_install(root)
    table, problem = load_flag_table(install, JsonCache(root.parent / "cache.json"))
    assert problem is None
    return install, table


def _subjects(findings, level=None):
    return {f.subject for f in findings if level is None or f.level == level}


def test_help_gives_flags_kinds_and_exclusive_groups(fake):
    _, table = fake
    assert table.flags["--reserve-vram"] == "value" and table.flags["--cpu"] == "switch"
    assert table.flags["--listen"] == "optional" and table.flags["--fast"] == "list"
    vram = next(g for g in table.groups if "--cpu" in g)
    assert {"--gpu-only", "--highvram", "--normalvram", "--lowvram", "--novram"} <= vram
    assert {"--cuda-malloc", "--disable-cuda-malloc"} in table.groups


def test_help_is_cached_per_version_and_interpreter(fake, tmp_path):
    install, table = fake
    cache = JsonCache(tmp_path / "c.json")
    load_flag_table(install, cache)
    moved = install.python.with_name("python.moved")
    install.python.rename(moved)
    try:
        again, problem = load_flag_table(install, cache)  # no interpreter needed now
        assert problem is None and again.flags == table.flags
        none, problem = load_flag_table(install, JsonCache(None))
        assert none is None and "Could not ask ComfyUI for its flags" in problem
    finally:
        moved.rename(install.python)


def test_seed_preset_gets_honest_notes_but_no_errors(fake):
    install, table = fake
    plan = build_plan(install, load_presets().get("rtx-5090"), port=8188)
    findings = check(plan.flags, plan.env, table=table, version=install.version)
    assert _subjects(findings, "error") == set()
    assert {"--cuda-malloc"} <= _subjects(findings, "info")
    assert {"TORCH_COMPILE", "PYTORCH_CUDA_ALLOC_CONF"} <= _subjects(findings, "warning")
    conf = next(f for f in findings if f.subject == "PYTORCH_CUDA_ALLOC_CONF")
    assert "expandable_segments" in conf.message and "--disable-cuda-malloc" in conf.fix


def test_alloc_conf_is_fine_when_cuda_malloc_is_disabled(fake):
    _, table = fake
    env = {"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
    assert check(["--disable-cuda-malloc"], env, table=table) == []


@pytest.mark.parametrize("argv,subject", [
    (["--no-such-flag"], "--no-such-flag"),
    (["--cpu", "--lowvram"], "--cpu + --lowvram"),
    (["--highvram", "--gpu-only"], "--gpu-only + --highvram"),
    (["--cuda-malloc", "--disable-cuda-malloc"], "--cuda-malloc + --disable-cuda-malloc"),
    (["--use-sage-attention", "--use-flash-attention"],
     "--use-flash-attention + --use-sage-attention"),
    (["--force-channels-last"], "--force-channels-last"),
])
def test_errors_that_would_stop_or_break_comfyui(fake, argv, subject):
    _, table = fake
    findings = check(argv, {}, table=table, version="0.3.64")
    assert subject in _subjects(findings, "error"), findings


def test_conflicts_are_found_even_without_help(fake):
    assert "--cpu + --novram" in _subjects(check(["--novram", "--cpu"], {}, table=None))


@pytest.mark.parametrize("argv,subject,words", [
    (["--listen", "0.0.0.0"], "--listen", "no authentication"),
    (["--listen"], "--listen", "0.0.0.0,::"),
    (["--front-end-version", "Comfy-Org/ComfyUI_frontend@latest"], "--front-end-version",
     "downloads"),
    (["--windows-standalone-build"], "--windows-standalone-build", "browser"),
])
def test_warnings(fake, argv, subject, words):
    _, table = fake
    finding = next(f for f in check(argv, {}, table=table) if f.subject == subject)
    assert finding.level == "warning" and words in finding.message


def test_loopback_listen_and_portable_flags_are_quiet(fake):
    _, table = fake
    argv = ["--windows-standalone-build", "--disable-auto-launch", "--listen", "127.0.0.1"]
    assert check(argv, {}, table=table) == []


def test_attention_flag_without_its_package(fake):
    _, table = fake
    probe = PythonProbe(python_version="3.12.1", modules={"sageattention": False})
    findings = check(["--use-sage-attention"], {}, table=table, probe=probe)
    assert findings[0].level == "error" and "exit code 255" in findings[0].message
    probe = PythonProbe(python_version="3.12.1", modules={"sageattention": True})
    assert check(["--use-sage-attention"], {}, table=table, probe=probe) == []


def test_fast_takes_only_its_named_optimisations():
    findings = check(["--fast", "fp16_accumulation", "turbo"], {}, version="0.38.1")
    fast = next(f for f in findings if f.subject == "--fast")
    assert fast.level == "error" and "not turbo" in fast.message
    assert "fp8_matrix_mult" in fast.message
    assert not [f for f in check(["--fast", "fp16_accumulation"], {}) if f.subject == "--fast"]
    assert not [f for f in check(["--fast"], {}) if f.subject == "--fast"]


def test_lowvram_is_a_no_op_under_dynamic_vram_only():
    def notes(argv, version):
        return [f for f in check(argv, {}, version=version) if f.subject == "--lowvram"]

    assert "does nothing while Dynamic VRAM is on" in notes(["--lowvram"], "0.38.1")[0].message
    assert notes(["--lowvram"], "0.3.64") == []
    assert notes(["--lowvram", "--disable-dynamic-vram"], "0.38.1") == []


def test_a_plan_for_a_newer_comfyui_leaves_out_its_no_op_flags_and_says_why(fake):
    import dataclasses

    install, _table = fake
    newer = dataclasses.replace(install, version="0.38.1")
    plan = build_plan(newer, load_presets().get("vram-under-12"), port=8188)
    assert "--lowvram" not in plan.flags and "--reserve-vram" in plan.flags
    assert [flag for flag, _ in plan.dropped] == ["--lowvram"]
    assert "--lowvram" in build_plan(install, load_presets().get("vram-under-12")).flags
