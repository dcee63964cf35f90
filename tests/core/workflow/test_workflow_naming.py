"""Output name pattern: the seed's pattern, live preview, names safe on Windows."""

from __future__ import annotations

from datetime import datetime

import pytest

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow.naming import (
    DEFAULT_PATTERN, check_pattern, name_fields, output_prefix, preview_name, render_name,
    safe_name,
)
from wan22_gui.core.workflow.spec import JobSpec

SPEC = JobSpec(image="C:\\Users\\me\\Pictures\\dragon.png", width=832, height=1216, frames=81)


def test_default_pattern_gives_the_seed_name():
    assert render_name(DEFAULT_PATTERN, name_fields(SPEC)) == "dragon_832x1216_5.06s_4step_lora"
    no_lora = SPEC.replace(use_lora=False, image="/home/me/dragon.final.jpg")
    assert render_name(DEFAULT_PATTERN, name_fields(no_lora)) == \
        "dragon.final_832x1216_5.06s_20step"


def test_prefix_goes_under_video_and_preview_shows_comfyui_counter():
    assert output_prefix(DEFAULT_PATTERN, SPEC) == "video/dragon_832x1216_5.06s_4step_lora"
    assert preview_name(DEFAULT_PATTERN, SPEC) == "dragon_832x1216_5.06s_4step_lora_00001_.mp4"
    fields = name_fields(SPEC, seed=42, now=datetime(2025, 10, 11, 14, 25, 1))
    assert render_name("{date}_{time}_{seed}_{fps}fps_{cfg}", fields) == \
        "2025-10-11_142501_42_16fps_1"


@pytest.mark.parametrize("pattern,words", [
    ("{source}_{colour}", "unknown field {colour}"),
    ("{source", "unbalanced"),
    ("{width:05}", "without a format"),
    ("{source.__class__}", "unknown field"),
])
def test_bad_patterns_are_explained(pattern, words):
    assert words in check_pattern(pattern)
    assert words in preview_name(pattern, SPEC)
    with pytest.raises(InputError):
        render_name(pattern, name_fields(SPEC))


@pytest.mark.parametrize("raw", [
    'a<b>c:d"e/f\\g|h?i*j%k', "CON", "nul.txt", "com1", " trailing. . ", "...", "",
    "x" * 500, "tab\there\nnewline",
])
def test_safe_names_work_on_windows(raw):
    name = safe_name(raw)
    assert name and len(name) <= 100
    assert not set('<>:"/\\|?*%') & set(name)
    assert not any(ord(c) < 32 for c in name)
    assert name == name.strip(" .")
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


def test_source_names_with_odd_characters_become_safe():
    spec = SPEC.replace(image="/home/me/my: best? shot*.webp")
    assert render_name("{source}", name_fields(spec)) == "my_ best_ shot_"


def test_a_source_name_with_two_dots_gives_a_name_comfyui_can_serve():
    """ComfyUI refuses to serve (download) a file whose name holds "..": a source named
    holiday..final.png must not leave its finished clip on the server."""
    spec = SPEC.replace(image="/home/me/holiday..final.png")
    prefix = output_prefix(DEFAULT_PATTERN, spec)
    assert prefix == "video/holiday.final_832x1216_5.06s_4step_lora"
    assert ".." not in preview_name(DEFAULT_PATTERN, spec)
    assert safe_name("a...b....c") == "a.b.c"
