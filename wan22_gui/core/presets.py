"""Launch presets: ComfyUI flags and environment variables per GPU, each with its reason.

Presets are data (`resources/presets.json`); a user's `presets.json` in the config folder can
replace a built-in preset (same name) or add new ones. A broken user file never stops the app:
the built-in presets are used and `PresetBook.problems` says what is wrong with the file.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from wan22_gui.core.base.errors import PresetError
from wan22_gui.core.gpu import GIB, GpuInfo
from wan22_gui.core.base.resources import read_text
from wan22_gui.core.comfy.versions import at_least, version_table

log = logging.getLogger("wan22.presets")

PRESETS_FILE = "presets.json"
ATTENTION_FLAGS = {
    "sdpa": [],  # PyTorch SDPA is ComfyUI's default on NVIDIA with torch 2.x: no flag needed
    "sage": ["--use-sage-attention"],
    "flash": ["--use-flash-attention"],
}
ATTENTION_TITLES = {
    "sdpa": "PyTorch SDPA (default)",
    "sage": "SageAttention",
    "flash": "FlashAttention",
}


@dataclass(frozen=True)
class FlagSpec:
    """One ComfyUI flag, its value (None for a switch) and why the preset sets it.

    `since` / `until` bound the ComfyUI versions the preset uses it with (until: the first
    version it is left out on), so one preset states the flags of both eras.
    """

    flag: str
    value: str | None = None
    reason: str = ""
    since: str | None = None
    until: str | None = None

    def argv(self) -> list[str]:
        return [self.flag] if self.value is None else [self.flag, self.value]

    def era(self) -> str:
        """"" for every version, else e.g. "ComfyUI before 0.38.1" (for lists and tables)."""
        if self.since and self.until:
            return f"ComfyUI {self.since} to before {self.until}"
        if self.until:
            return f"ComfyUI before {self.until}"
        return f"ComfyUI {self.since} and newer" if self.since else ""

    def skip_reason(self, version: str | None, others: Sequence[str] = ()) -> str | None:
        """Why this flag is left out when launching ComfyUI `version` (None: it is used).

        An unknown version keeps every flag (the doctor still reads that install's --help)."""
        if version is None:
            return None
        if self.until and at_least(version, self.until):
            return (f"{self.flag} is left out on ComfyUI {version} (the preset uses it before "
                    f"{self.until}): " + (_table_reason(self.flag, version, others) or self.reason))
        if self.since and at_least(version, self.since) is False:
            return f"{self.flag} is left out on ComfyUI {version}: it needs {self.since} or newer."
        why = _table_reason(self.flag, version, others)
        return f"{self.flag} is left out on ComfyUI {version}: {why}" if why else None


def _table_reason(flag: str, version: str, others: Sequence[str]) -> str | None:
    """What the version table says against `flag` on `version` (unknown there, or a no-op)."""
    table = version_table()
    return table.flag_unknown_reason(flag, version) or table.noop_reason(flag, version, others)


@dataclass(frozen=True)
class EnvSpec:
    """One environment variable's value and why the preset sets it."""

    value: str
    reason: str = ""


@dataclass(frozen=True)
class Preset:
    """A named set of ComfyUI flags and environment variables.

    `match` says which GPUs it is for: `names` (whole words in the GPU name, any of them),
    `min_vram_gb` / `max_vram_gb` (nominal GB, min inclusive, max exclusive), `cpu` (no GPU).
    """

    name: str
    title: str
    match: dict[str, Any]
    args: list[FlagSpec]
    env: dict[str, EnvSpec]
    attention: str = "sdpa"
    description: str = ""
    source: str = "built-in"  # or the path of the user's presets.json

    @property
    def reserve_vram_gb(self) -> float | None:
        for spec in self.args:
            if spec.flag == "--reserve-vram" and spec.value is not None:
                try:
                    return float(spec.value)
                except ValueError:
                    return None
        return None

    def argv(self, attention: str | None = None, version: str | None = None) -> list[str]:
        """The preset's flags for ComfyUI `version` (None: all of them), plus the attention
        flag (`attention` overrides the preset's)."""
        out = [part for spec in self.flags_for(version)[0] for part in spec.argv()]
        return out + ATTENTION_FLAGS.get(attention or self.attention, [])

    def flags_for(self, version: str | None) -> tuple[list[FlagSpec], list[tuple[FlagSpec, str]]]:
        """(flags used on ComfyUI `version`, [(flag left out, why)])."""
        names = [spec.flag for spec in self.args]
        kept, dropped = [], []
        for spec in self.args:
            why = spec.skip_reason(version, names)
            if why:
                dropped.append((spec, why))
            else:
                kept.append(spec)
        return kept, dropped

    def env_values(self) -> dict[str, str]:
        return {name: spec.value for name, spec in self.env.items()}

    def matches(self, gpu: GpuInfo | None) -> bool:
        if gpu is None:
            return bool(self.match.get("cpu"))
        if self.match.get("cpu"):
            return False
        names = self.match.get("names") or []
        if names and not any(_word_in(name, gpu.name) for name in names):
            return False
        gb = nominal_gb(gpu.vram_total)
        low, high = self.match.get("min_vram_gb"), self.match.get("max_vram_gb")
        if low is not None and gb < low:
            return False
        if high is not None and gb >= high:
            return False
        return bool(names) or low is not None or high is not None


@dataclass
class PresetBook:
    """All presets in matching order (user presets first), and problems met while loading."""

    presets: list[Preset]
    problems: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [p.name for p in self.presets]

    def get(self, name: str) -> Preset:
        for preset in self.presets:
            if preset.name == name:
                return preset
        raise PresetError(
            f"There is no launch preset named '{name}'.",
            f"Known presets: {', '.join(self.names())}. List them with `wan22 presets`.",
        )

    def choose(self, gpu: GpuInfo | None) -> Preset:
        """The first preset that matches `gpu` (None = no GPU); falls back to the CPU preset."""
        for preset in self.presets:
            if preset.matches(gpu):
                return preset
        return next((p for p in self.presets if p.match.get("cpu")), self.presets[-1])

    def named_by_argv(self, argv: list[str], gpu_name: str = "") -> str | None:
        """The preset a running ComfyUI was started with, read from its command line.

        A preset fits when every one of its flags (with its value) is on the command line; of
        those, the one with the most flags wins (the launcher adds attention and extra flags
        after the preset's). Presets with the same flags (the RTX 5090's and 4090's) are told
        apart by the GPU they are for (`gpu_name`, as ComfyUI names its device). None when no
        preset fits, or two still fit equally well.
        """
        fits = [p for p in self.presets
                if p.args and all(_has_flag(argv, spec.argv()) for spec in p.args)]
        if not fits:
            return None
        most = max(len(p.args) for p in fits)
        best = [p for p in fits if len(p.args) == most]
        if len(best) > 1:
            best = [p for p in best
                    if any(_word_in(n, gpu_name) for n in p.match.get("names") or [])]
        return best[0].name if len(best) == 1 else None


def _has_flag(argv: list[str], flag: list[str]) -> bool:
    """Whether `flag` (["--x"] or ["--x", "value"]) appears in `argv`, also as "--x=value"."""
    n = len(flag)
    if any(argv[i:i + n] == flag for i in range(len(argv) - n + 1)):
        return True
    return n == 2 and f"{flag[0]}={flag[1]}" in argv


# Memory sizes cards are sold with, in GB.
_BOX_SIZES = (2, 3, 4, 6, 8, 10, 11, 12, 16, 20, 24, 32, 40, 48, 64, 80, 94, 96, 141, 180, 192)


def nominal_gb(vram_bytes: int) -> int:
    """The size printed on the box, from what NVML reports.

    NVML shows less than the box says (an RTX 4090: 23.99 GiB; an L40S with ECC on: 45 GiB of
    its 48 GB), so take the largest box size the reading reaches within 7%.
    """
    gib = vram_bytes / GIB
    reached = [size for size in _BOX_SIZES if gib >= 0.93 * size]
    return reached[-1] if reached else int(round(gib))


def _word_in(word: str, text: str) -> bool:
    pattern = r"(?<![A-Za-z0-9])" + re.escape(word) + r"(?![A-Za-z0-9])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def load_presets(config_dir: Path | None = None) -> PresetBook:
    """Built-in presets, with the user's `presets.json` from `config_dir` laid over them."""
    builtin = parse_presets(json.loads(read_text(PRESETS_FILE)), source="built-in")
    if config_dir is None:
        return PresetBook(builtin)
    user_file = Path(config_dir) / PRESETS_FILE
    if not user_file.exists():
        return PresetBook(builtin)
    try:
        user = parse_presets(_read_json(user_file), source=str(user_file))
    except PresetError as exc:
        log.warning("%s", exc)
        return PresetBook(builtin, [exc.user_text()])
    replaced = {p.name for p in user}
    return PresetBook(user + [p for p in builtin if p.name not in replaced])


def choose_preset(gpu: GpuInfo | None, book: PresetBook | None = None) -> Preset:
    """The recommended preset for the GPU ComfyUI will use (None = no NVIDIA GPU)."""
    return (book or load_presets()).choose(gpu)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PresetError(f"Cannot read your presets file {path}: {exc.strerror}.",
                          "The built-in presets are used until it can be read.") from exc
    except json.JSONDecodeError as exc:
        raise PresetError(
            f"Your presets file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}:"
            f" {exc.msg}).",
            "Fix or delete the file; the built-in presets are used meanwhile.",
        ) from exc


def parse_presets(data: Any, *, source: str) -> list[Preset]:
    """Validate the presets document; raises PresetError naming the first bad entry."""
    if not isinstance(data, dict) or not isinstance(data.get("presets"), list):
        raise PresetError(f"{source}: expected an object with a list under \"presets\".",
                          "See the built-in presets.json for the format.")
    return [_parse_one(entry, source, position) for position, entry in enumerate(data["presets"])]


def _parse_one(entry: Any, source: str, position: int) -> Preset:
    where = f"{source}: preset #{position + 1}"
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise PresetError(f"{where} has no \"name\".", "Every preset needs a unique name.")
    where = f"{source}: preset '{entry['name']}'"
    try:
        args = [_parse_flag(item) for item in entry.get("args", [])]
        env = {str(k): _parse_env(v) for k, v in dict(entry.get("env", {})).items()}
    except (TypeError, ValueError, KeyError) as exc:
        raise PresetError(f"{where} has a malformed flag or variable ({exc}).",
                          "A flag is {\"flag\": \"--x\", \"value\": \"1\", \"reason\": \"...\"}; "
                          "a variable is {\"value\": \"...\", \"reason\": \"...\"}.") from exc
    attention = entry.get("attention", "sdpa")
    if attention not in ATTENTION_FLAGS:
        raise PresetError(f"{where}: unknown attention '{attention}'.",
                          f"Use one of: {', '.join(ATTENTION_FLAGS)}.")
    return Preset(
        name=entry["name"], title=str(entry.get("title", entry["name"])),
        match=dict(entry.get("match", {})), args=args, env=env, attention=attention,
        description=str(entry.get("description", "")), source=source,
    )


def _parse_flag(item: Any) -> FlagSpec:
    if isinstance(item, str):
        return FlagSpec(item)
    flag = item["flag"]
    if not isinstance(flag, str) or not flag.startswith("-"):
        raise ValueError(f"'{flag}' is not a flag")
    value = item.get("value")
    since, until = item.get("since"), item.get("until")
    return FlagSpec(flag, None if value is None else str(value), str(item.get("reason", "")),
                    None if since is None else str(since), None if until is None else str(until))


def _parse_env(item: Any) -> EnvSpec:
    if isinstance(item, str):
        return EnvSpec(item)
    return EnvSpec(str(item["value"]), str(item.get("reason", "")))
