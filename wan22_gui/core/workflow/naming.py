"""Output names from a pattern: `{source}_{width}x{height}_{seconds}s_{steps}step{_lora}`.

The name becomes SaveVideo's `filename_prefix` under `video/`; ComfyUI appends its counter
(`_00001_.mp4`), so a name never overwrites an earlier clip. Names are made safe for every
file system the app runs on (Windows being the strictest).
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import datetime
from pathlib import PureWindowsPath, PurePosixPath

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.settings import declare
from wan22_gui.core.workflow.calculator import clip_duration
from wan22_gui.core.workflow.spec import JobSpec

DEFAULT_PATTERN = "{source}_{width}x{height}_{seconds}s_{steps}step{_lora}"
# The setting holding the user's pattern; declared here (not with the job runner) so the
# Generate tab reads it without loading the runner at start-up.
NAME_PATTERN_KEY = "generate.name_pattern"
declare(NAME_PATTERN_KEY, DEFAULT_PATTERN)
VIDEO_SUBFOLDER = "video"
MAX_NAME_LENGTH = 100  # leaves room for the folder, ComfyUI's counter and ".mp4" in 260 chars

FIELDS = {
    "source": "start image name without extension",
    "width": "width in pixels",
    "height": "height in pixels",
    "frames": "number of frames",
    "fps": "frames per second",
    "seconds": "length in seconds, frames / fps, two decimals (5.06)",
    "steps": "sampling steps",
    "cfg": "CFG scale",
    "shift": "ModelSamplingSD3 shift",
    "seed": "noise seed (\"random\" until drawn)",
    "lora": "\"lora\" or \"nolora\"",
    "_lora": "\"_lora\" with the 4-step LoRA, else nothing",
    "date": "date of the run (2025-10-11)",
    "time": "time of the run (142501)",
}

_FORBIDDEN = re.compile(r'[<>:"/\\|?*%\x00-\x1f\x7f]')  # % would trigger ComfyUI's %var% syntax
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def name_fields(spec: JobSpec, *, seed: int | None = None,
                now: datetime | None = None) -> dict[str, str]:
    """The values a pattern can use, as text, for one job."""
    s = spec.sampling()
    now = now or datetime.now()
    seed = spec.seed if seed is None else seed
    source = _stem(spec.image) or "clip"
    return {
        "source": source, "width": str(spec.width), "height": str(spec.height),
        "frames": str(spec.frames), "fps": _num(spec.fps),
        "seconds": f"{clip_duration(spec.frames, spec.fps):.2f}" if spec.fps > 0 else "0",
        "steps": str(s.steps), "cfg": _num(s.cfg), "shift": _num(s.shift),
        "seed": "random" if seed is None else str(seed),
        "lora": "lora" if spec.use_lora else "nolora", "_lora": "_lora" if spec.use_lora else "",
        "date": now.strftime("%Y-%m-%d"), "time": now.strftime("%H%M%S"),
    }


def check_pattern(pattern: str) -> str | None:
    """Why `pattern` cannot be used (one sentence), or None when it is fine."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"The name pattern has unbalanced braces ({exc}); write {{{{ or }}}} for a brace."
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in FIELDS:
            known = ", ".join("{" + f + "}" for f in FIELDS)
            return f"The name pattern uses an unknown field {{{field}}}. Known fields: {known}."
        if spec or conversion:
            return f"Write {{{field}}} without a format or conversion."
    return None


def render_name(pattern: str, fields: dict[str, str]) -> str:
    """Fill the pattern and make the result a safe file name.

    Raises:
        InputError: when the pattern is malformed or names an unknown field.
    """
    problem = check_pattern(pattern)
    if problem:
        raise InputError(problem, hint="Fix the output name pattern in the settings.")
    return safe_name(pattern.format_map(fields))


def preview_name(pattern: str, spec: JobSpec) -> str:
    """What the next clip will be called, for the form's live preview (never raises)."""
    problem = check_pattern(pattern)
    if problem:
        return problem
    return render_name(pattern, name_fields(spec)) + "_00001_.mp4"


def output_prefix(pattern: str, spec: JobSpec, *, seed: int | None = None) -> str:
    """SaveVideo's `filename_prefix` for this job: `video/<name>`."""
    return f"{VIDEO_SUBFOLDER}/{render_name(pattern, name_fields(spec, seed=seed))}"


def safe_name(text: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """`text` as a file name that works on Windows, macOS and Linux (never empty)."""
    text = unicodedata.normalize("NFC", text)
    text = _FORBIDDEN.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text)  # ComfyUI's /view refuses any name holding ".."
    text = re.sub(r"\s+", " ", text).strip(" .")
    text = text[:max_length].rstrip(" .")
    if not text:
        return "clip"
    if text.split(".")[0].upper().rstrip(" ") in _RESERVED:
        text = "_" + text
    return text


def _stem(path: str) -> str:
    """The file name without folder and extension, for Windows and POSIX paths alike."""
    if not path:
        return ""
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
