"""Crash classification from exit code + console tail, on the recorded ComfyUI failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wan22_gui.core.server.crash import classify
from wan22_gui.core.server.logparse import ready_url, startup_facts

SHARED = Path(__file__).resolve().parents[2] / "fakes" / "fake_comfyui_install" / "transcripts"


def _cases():
    data = json.loads((SHARED / "cli_launch_failures.json").read_text(encoding="utf-8"))
    return {case["case"]: case for case in data["cases"]}


def _console():
    return (SHARED / "server_console_log.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("case,kind,words", [
    ("--use-sage-attention", "missing_attention_package", "'sageattention' package"),
    ("--use-flash-attention", "missing_attention_package", "'flash-attn' package"),
    ("--no-such-flag", "bad_flag", "unrecognized arguments: --no-such-flag"),
    ("--lowvram", "bad_flag", "--lowvram: not allowed with argument --cpu"),
    ("port already in use", "port_in_use", "another program"),
])
def test_recorded_launch_failures(case, kind, words):
    recorded = _cases()[case]
    report = classify(recorded["exit_code"], recorded["last_lines"], "/opt/ComfyUI/venv/bin/python")
    assert report.kind == kind
    assert words in report.sentence
    assert report.fix


def test_missing_attention_fix_gives_the_pip_command_comfyui_printed():
    recorded = _cases()["--use-sage-attention"]
    report = classify(255, recorded["last_lines"])
    assert "/opt/ComfyUI/venv/bin/python -m pip install sageattention" in report.fix
    assert "SDPA" in report.fix


def test_conflicting_flags_fix_says_keep_one():
    report = classify(2, _cases()["--gpu-only"]["last_lines"])
    assert "only one" in report.fix


def test_oom_mid_run_wins_over_a_survived_import_error_at_startup():
    report = classify(1, _console())
    assert report.kind == "oom", report
    assert "reserve-vram" in report.fix


def test_startup_module_error_is_named_when_it_is_the_last_word():
    lines = _console()[:21]  # ends on "ModuleNotFoundError: No module named 'torchaudio'"
    report = classify(1, lines, "py")
    assert report.kind == "missing_module"
    assert "'torchaudio'" in report.sentence and "py -m pip install torchaudio" in report.fix


@pytest.mark.parametrize("line,kind", [
    ("AssertionError: Torch not compiled with CUDA enabled", "cuda_unavailable"),
    ("RuntimeError: No CUDA GPUs are available", "cuda_unavailable"),
    ("RuntimeError: required rank 4 tensor to use channels_last format", "channels_last"),
    ("ModuleNotFoundError: No module named 'cv2'", "missing_module"),
])
def test_single_cause_lines(line, kind):
    report = classify(1, ["Traceback (most recent call last):", '  File "main.py"', line])
    assert report.kind == kind
    if kind == "missing_module":
        assert "pip install opencv-python" in report.fix


def test_signal_and_unknown_exits():
    assert "SIGKILL" in classify(-9, _console()).sentence
    unknown = classify(3, ["ValueError: something odd"])
    assert unknown.kind == "unknown" and "exit code 3" in unknown.sentence
    assert "ValueError: something odd" in unknown.sentence


def test_console_parsing_finds_readiness_and_versions():
    assert ready_url("To see the GUI go to: http://127.0.0.1:8188") == "http://127.0.0.1:8188"
    facts = startup_facts(_console())
    assert facts["comfyui_version"] == "0.3.64"
    assert facts["pytorch_version"] == "2.13.0+cpu"
    assert facts["device"] == "cpu"
