"""The benchmark spec: a TOML file naming images × resolutions × frame counts × configurations.

`resources/bench_example.toml` documents every key. `load_spec` reads and checks a file,
`parse_spec` checks a dict (the GUI form builds one), `spec_to_toml` writes one back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow.calculator import MAX_FRAMES, frames_for_seconds, snap_frames
from wan22_gui.core.workflow.spec import sampling_defaults

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# "default" keeps what the launch preset says; "sdpa", "sage" and "flash" are the launcher's
# attention choices (a launch flag, so a restart); "sage-node" patches SageAttention into the
# workflow (KJNodes) and needs no restart.
ATTENTION_CHOICES = ("default", "sdpa", "sage", "flash", "sage-node")
LAUNCH_ATTENTION = ("sdpa", "sage", "flash")
INTERPOLATION_CHOICES = ("none", "rife", "film")
SIZE_STEP = 16  # WanImageToVideo takes widths and heights in steps of 16

_TOP_KEYS = {
    "name", "description", "images", "resolutions", "frames", "durations_s", "configs", "repeats",
    "warmup", "prompt", "negative_prompt", "seed", "fps", "timeout_s", "stop_cell_on_oom",
}
_CONFIG_KEYS = {
    "name", "preset", "attention", "lora", "steps", "split_step", "cfg", "interpolation",
    "multiplier", "launch_args", "high_model", "low_model",
}


@dataclass(frozen=True)
class LaunchConfig:
    """What a ComfyUI server must be started with. Empty = whatever server is running.

    Attributes:
        preset: launch preset name from the presets file ("" = the current server's, or the one
            chosen for the GPU when the benchmark launches ComfyUI).
        attention: "sdpa", "sage" or "flash"; None = what the preset says.
        extra_args: flags added after the preset's own (`launch_args`).
    """

    preset: str = ""
    attention: str | None = None
    extra_args: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return not self.preset and self.attention is None and not self.extra_args

    def describe(self) -> str:
        parts = [f"preset {self.preset}"] if self.preset else ["the current server"]
        if self.attention:
            parts.append(f"{self.attention} attention")
        if self.extra_args:
            parts.append(" ".join(self.extra_args))
        return " + ".join(parts)


@dataclass(frozen=True)
class BenchConfig:
    """One configuration column of the matrix (see the example spec for each field)."""

    name: str
    preset: str = ""
    attention: str = "default"
    lora: bool = True
    steps: int | None = None  # None: the template's value for the mode (LoRA 4, else 20)
    split_step: int | None = None  # None: the template's (2 or 10), or half of custom steps
    cfg: float | None = None  # None: the template's (LoRA 1.0, else 3.5)
    interpolation: str = "none"
    multiplier: int = 2
    launch_args: tuple[str, ...] = ()
    # Expert files ("" = the template's fp8 pair); a .gguf file makes a GGUF cell
    # (UnetLoaderGGUF), so fp8 and GGUF configurations compare in one matrix.
    high_model: str = ""
    low_model: str = ""

    def model_format(self) -> str:
        """"fp8" (the template's files), or the format of the chosen experts ("Q4_K_M")."""
        from wan22_gui.core.workflow.experts import model_format

        names = [n for n in (self.high_model, self.low_model) if n]
        return model_format(names[0]) if names else "fp8"

    def sampling(self) -> tuple[int, int, float]:
        """(steps, split_step, cfg) in effect, with the template's values for the mode."""
        base = sampling_defaults(self.lora)
        steps = base.steps if self.steps is None else self.steps
        if self.split_step is not None:
            split = self.split_step
        else:
            split = base.split_step if self.steps is None else max(1, steps // 2)
        return steps, split, base.cfg if self.cfg is None else self.cfg

    def launch(self) -> LaunchConfig:
        attention = self.attention if self.attention in LAUNCH_ATTENTION else None
        return LaunchConfig(self.preset, attention, self.launch_args)

    def settings(self) -> dict[str, Any]:
        """Everything that changes the result; the name is only a label (part of no cell id)."""
        steps, split, cfg = self.sampling()
        out = {
            "preset": self.preset, "attention": self.attention, "lora": self.lora,
            "steps": steps, "split_step": split, "cfg": cfg,
            "interpolation": self.interpolation,
            "multiplier": self.multiplier if self.interpolation != "none" else 1,
            "launch_args": list(self.launch_args),
        }
        if self.high_model or self.low_model:  # only then: older cells keep their ids
            out.update(high_model=self.high_model, low_model=self.low_model,
                       model_format=self.model_format())
        return out


@dataclass(frozen=True)
class BenchSpec:
    """A whole benchmark matrix plus the prompt and settings common to every run."""

    name: str
    images: tuple[Path, ...]
    resolutions: tuple[tuple[int, int], ...]
    frames: tuple[int, ...]
    configs: tuple[BenchConfig, ...]
    repeats: int = 3
    warmup: int = 1
    prompt: str = "a gentle camera move, natural motion"
    negative_prompt: str | None = None  # None: the template's negative prompt
    seed: int = 42
    fps: int = 16
    timeout_s: float = 3600.0
    stop_cell_on_oom: bool = True
    description: str = ""
    durations_s: tuple[float, ...] = ()  # as written, when frames came from durations
    source: Path | None = field(default=None, compare=False)


def load_spec(path: Path, *, check_files: bool = True) -> BenchSpec:
    """Read a spec file. Image paths are taken relative to the spec's folder (and stored
    absolute in the BenchSpec).

    Raises:
        InputError: the file is missing, not TOML, or names a wrong key or value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the benchmark spec {path}: {exc}",
                         "Check the path; the example spec shows the format.") from exc
    return parse_spec_text(text, base_dir=path.parent, source=path, check_files=check_files)


def parse_spec_text(text: str, *, base_dir: Path, source: Path | None = None,
                    check_files: bool = True) -> BenchSpec:
    """Parse TOML text (the GUI's raw editor) into a checked spec."""
    where = str(source) if source else "The benchmark spec"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where} is not valid TOML: {exc}",
                         "Fix the line named above (strings need quotes).") from exc
    return parse_spec(data, base_dir=base_dir, source=source, check_files=check_files)


def parse_spec(data: dict[str, Any], *, base_dir: Path, source: Path | None = None,
               check_files: bool = True) -> BenchSpec:
    """Check a spec given as a dict (parsed TOML) and build the BenchSpec."""
    _no_unknown_keys(data, _TOP_KEYS, "the spec")
    fps = _int(data, "fps", 16, low=1, high=120)
    frames = _frames(data, fps)
    spec = BenchSpec(
        name=_str(data, "name", "benchmark"),
        description=_str(data, "description", ""),
        images=_images(data, base_dir, check_files),
        resolutions=_resolutions(data),
        frames=frames,
        durations_s=tuple(float(d) for d in data.get("durations_s", ())),
        configs=_configs(data),
        repeats=_int(data, "repeats", 3, low=1, high=100),
        warmup=_int(data, "warmup", 1, low=0, high=10),
        prompt=_str(data, "prompt", BenchSpec.prompt),
        negative_prompt=_optional_str(data, "negative_prompt"),
        seed=_int(data, "seed", 42, low=0, high=2**63 - 1),
        fps=fps,
        timeout_s=float(_number(data, "timeout_s", 3600.0, low=1.0)),
        stop_cell_on_oom=_bool(data, "stop_cell_on_oom", True),
        source=source,
    )
    return spec


def spec_to_toml(spec: BenchSpec, *, base_dir: Path | None = None) -> str:
    """Write a spec as TOML that `parse_spec_text` reads back to an equal spec; image paths
    inside `base_dir` are written relative to it."""
    lines = [f"name = {_q(spec.name)}"]
    if spec.description:
        lines.append(f"description = {_q(spec.description)}")
    lines.append(f"images = {_list(_rel(p, base_dir) for p in spec.images)}")
    lines.append(f"resolutions = {_list(f'{w}x{h}' for w, h in spec.resolutions)}")
    if spec.durations_s:
        lines.append(f"durations_s = [{', '.join(_num(d) for d in spec.durations_s)}]")
    else:
        lines.append(f"frames = [{', '.join(str(n) for n in spec.frames)}]")
    for key in ("repeats", "warmup", "seed", "fps"):
        lines.append(f"{key} = {getattr(spec, key)}")
    lines.append(f"timeout_s = {_num(spec.timeout_s)}")
    lines.append(f"stop_cell_on_oom = {_bool_text(spec.stop_cell_on_oom)}")
    lines.append(f"prompt = {_q(spec.prompt)}")
    if spec.negative_prompt is not None:
        lines.append(f"negative_prompt = {_q(spec.negative_prompt)}")
    for config in spec.configs:
        lines += ["", "[[configs]]", *_config_lines(config)]
    return "\n".join(lines) + "\n"


# ---- reading helpers --------------------------------------------------------------------------

def _no_unknown_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputError(f"Unknown key {', '.join(unknown)} in {where}.",
                         f"Allowed keys: {', '.join(sorted(allowed))}.")


def _str(data: dict[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise InputError(f"'{key}' must be text in quotes, not {value!r}.")
    return value


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    return _str(data, key, "") if key in data else None


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"'{key}' must be true or false, not {value!r}.")
    return value


def _number(data: dict[str, Any], key: str, default: float, *, low: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low:
        raise InputError(f"'{key}' must be a number of at least {low}, not {value!r}.")
    return value


def _int(data: dict[str, Any], key: str, default: int, *, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"'{key}' must be a whole number from {low} to {high}, not {value!r}.")
    return value


def _nonempty_list(data: dict[str, Any], key: str, hint: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise InputError(f"The spec needs '{key}': a list with at least one entry.", hint)
    return value


def _images(data: dict[str, Any], base_dir: Path, check_files: bool) -> tuple[Path, ...]:
    raw = _nonempty_list(data, "images", 'For example images = ["portrait.png"].')
    paths = []
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise InputError(f"Each entry of 'images' must be a file path in quotes, not {item!r}.")
        paths.append(Path(item))
    if check_files:
        missing = [str(p) for p in paths if not (Path(base_dir) / p).is_file()]
        if missing:
            raise InputError(f"Image not found: {', '.join(missing)} (relative to {base_dir}).",
                             "Fix the path or copy the image next to the spec file.")
    return tuple(dict.fromkeys(Path(base_dir).absolute() / p for p in paths))


def parse_resolution(item: Any) -> tuple[int, int]:
    """'832x1216' or [832, 1216] -> (832, 1216); checks the 16-pixel step."""
    if isinstance(item, str) and "x" in item.lower():
        parts = item.lower().replace(" ", "").split("x")
    elif isinstance(item, list) and len(item) == 2:
        parts = item
    else:
        raise InputError(f"Resolution {item!r} is not WIDTHxHEIGHT.", 'Write it as "832x1216".')
    try:
        width, height = (int(p) for p in parts)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Resolution {item!r} is not WIDTHxHEIGHT.",
                         'Write it as "832x1216".') from exc
    if width < SIZE_STEP or height < SIZE_STEP or width % SIZE_STEP or height % SIZE_STEP:
        raise InputError(f"Resolution {width}x{height} is not usable by Wan 2.2.",
                         f"Width and height must be multiples of {SIZE_STEP}, e.g. 832x1216.")
    return width, height


def _resolutions(data: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    raw = _nonempty_list(data, "resolutions", 'For example resolutions = ["832x1216"].')
    return tuple(dict.fromkeys(parse_resolution(item) for item in raw))


def check_frames(n: Any) -> int:
    """A frame count Wan accepts: 4n+1, from 1 to MAX_FRAMES."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_FRAMES or (n - 1) % 4:
        near = snap_frames(n) if isinstance(n, (int, float)) and not isinstance(n, bool) else 81
        lower = near - 4 if near > n and near > 4 else near
        raise InputError(f"Frame count {n!r} is not of the form 4n+1 (1 to {MAX_FRAMES}).",
                         f"Wan 2.2 makes 4n+1 frames: use {lower} or {lower + 4}.")
    return n


def _frames(data: dict[str, Any], fps: int) -> tuple[int, ...]:
    if "frames" in data and "durations_s" in data:
        raise InputError("The spec has both 'frames' and 'durations_s'.", "Keep one of them.")
    if "durations_s" in data:
        raw = _nonempty_list(data, "durations_s", "For example durations_s = [1.5, 3, 5].")
        if not all(isinstance(d, (int, float)) and not isinstance(d, bool) and d > 0 for d in raw):
            raise InputError("'durations_s' must list positive numbers of seconds.")
        frames = [check_frames(frames_for_seconds(d, fps)) for d in raw]
    else:
        raw = _nonempty_list(data, "frames", "For example frames = [25, 49, 81].")
        frames = [check_frames(n) for n in raw]
    return tuple(dict.fromkeys(frames))


def _configs(data: dict[str, Any]) -> tuple[BenchConfig, ...]:
    raw = _nonempty_list(data, "configs", "Add at least one [[configs]] table.")
    configs = [_config(item, i) for i, item in enumerate(raw)]
    names = [c.name for c in configs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"Two configurations share the name {', '.join(dupes)}.",
                         "Give every [[configs]] table its own name.")
    return tuple(configs)


def _config(item: Any, index: int) -> BenchConfig:
    if not isinstance(item, dict):
        raise InputError(f"Configuration {index + 1} is not a table.", "Use [[configs]] tables.")
    where = f"configuration {item.get('name', index + 1)!r}"
    _no_unknown_keys(item, _CONFIG_KEYS, where)
    attention = _choice(item, "attention", "default", ATTENTION_CHOICES, where)
    steps = _int(item, "steps", 4, low=1, high=200) if "steps" in item else None
    split = item.get("split_step")
    if split is not None:
        high = steps if steps is not None else sampling_defaults(_bool(item, "lora", True)).steps
        split = _int(item, "split_step", 0, low=0, high=high)
    cfg = item.get("cfg")
    if cfg is not None:
        cfg = float(_number(item, "cfg", 1.0, low=0.0))
    args = item.get("launch_args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise InputError(f"'launch_args' of {where} must be a list of quoted flags.")
    return BenchConfig(
        name=_str(item, "name", f"config {index + 1}"), preset=_str(item, "preset", ""),
        attention=attention, lora=_bool(item, "lora", True), steps=steps, split_step=split, cfg=cfg,
        interpolation=_choice(item, "interpolation", "none", INTERPOLATION_CHOICES, where),
        multiplier=_int(item, "multiplier", 2, low=2, high=4), launch_args=tuple(args),
        high_model=_str(item, "high_model", ""), low_model=_str(item, "low_model", ""),
    )


def _choice(item: dict[str, Any], key: str, default: str, choices: tuple[str, ...],
            where: str) -> str:
    value = item.get(key, default)
    if value not in choices:
        raise InputError(f"'{key}' of {where} is {value!r}.", f"Use one of: {', '.join(choices)}.")
    return value


# ---- writing helpers --------------------------------------------------------------------------

def _q(text: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(text, ensure_ascii=False)


def _list(items: Any) -> str:
    return "[" + ", ".join(_q(str(i)) for i in items) + "]"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _rel(path: Path, base_dir: Path | None) -> str:
    if base_dir is not None and path.is_absolute():
        try:
            return path.relative_to(base_dir).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _config_lines(config: BenchConfig) -> list[str]:
    lines = [f"name = {_q(config.name)}"]
    if config.preset:
        lines.append(f"preset = {_q(config.preset)}")
    lines += [f"attention = {_q(config.attention)}", f"lora = {_bool_text(config.lora)}"]
    if config.steps is not None:
        lines.append(f"steps = {config.steps}")
    if config.split_step is not None:
        lines.append(f"split_step = {config.split_step}")
    if config.cfg is not None:
        lines.append(f"cfg = {_num(config.cfg)}")
    lines.append(f"interpolation = {_q(config.interpolation)}")
    if config.interpolation != "none":
        lines.append(f"multiplier = {config.multiplier}")
    if config.launch_args:
        lines.append(f"launch_args = {_list(config.launch_args)}")
    for key in ("high_model", "low_model"):
        if getattr(config, key):
            lines.append(f"{key} = {_q(getattr(config, key))}")
    return lines
