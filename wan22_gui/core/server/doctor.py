"""The launch doctor: what is wrong, risky or useless in a set of ComfyUI flags and variables.

It learns which flags the install knows by running `main.py --help` once (cached per ComfyUI
version, commit and interpreter) and reading argparse's usage text, where mutually exclusive
groups appear as `[--a | --b]`. The rest is what ComfyUI's source (0.3.64) and PyTorch do with
the settings. It also says whether the Wan experts in the install's models folder fit the
chosen GPU, and which format (fp8, GGUF Q8_0/Q6_K/Q4_K_M) would. The doctor only reports: it
never changes the user's choice.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from wan22_gui.core.comfy.versions import version_table
from wan22_gui.core.server.cache import JsonCache
from wan22_gui.core.server.install import ComfyInstall
from wan22_gui.core.server.ports import is_loopback
from wan22_gui.core.server.probe import ATTENTION_MODULES, PythonProbe
from wan22_gui.core.workflow import experts

log = logging.getLogger("wan22.server")

HELP_TIMEOUT_S = 90.0
# ComfyUI 0.3.64's exclusive groups, used when `--help` could not be read.
KNOWN_GROUPS = [
    {"--gpu-only", "--highvram", "--normalvram", "--lowvram", "--novram", "--cpu"},
    {"--cuda-malloc", "--disable-cuda-malloc"},
    {"--use-split-cross-attention", "--use-quad-cross-attention", "--use-pytorch-cross-attention",
     "--use-sage-attention", "--use-flash-attention"},
    {"--force-fp32", "--force-fp16"},
    {"--fp16-vae", "--fp32-vae", "--bf16-vae"},
    {"--cache-classic", "--cache-lru", "--cache-none"},
    {"--force-upcast-attention", "--dont-upcast-attention"},
]
NO_OP_FLAGS = {
    "--normalvram": "ComfyUI parses --normalvram but never reads it (verified in 0.3.64's "
                    "source): normal mode is already the default, and models that do not fit "
                    "are offloaded in part automatically.",
}
UNREAD_ENV = {
    "TORCH_COMPILE": "Nothing reads TORCH_COMPILE: ComfyUI (0.3.64 source) does not, and "
                     "PyTorch does not either (its switch is TORCH_COMPILE_DISABLE=1). "
                     "torch.compile only runs when a workflow has a compile node.",
}
EXPERT_FOLDERS = ("unet", "diffusion_models")  # where UNETLoader and UnetLoaderGGUF look
FIT_SIZE = (640, 640, 81)  # the template's clip: what "fits" is judged at
NATIVE_ALLOC_OPTIONS = ("max_split_size_mb", "expandable_segments", "garbage_collection_threshold",
                        "roundup_power2_divisions")


@dataclass(frozen=True)
class Finding:
    """One thing the doctor noticed. `level` is "error" (ComfyUI will not start or will break),
    "warning" (risky or misleading) or "info" (harmless but does nothing)."""

    level: str
    subject: str
    message: str
    fix: str = ""


@dataclass
class FlagTable:
    """The flags one ComfyUI knows: flag -> "switch" | "value" | "optional" | "list", plus its
    mutually exclusive groups."""

    flags: dict[str, str] = field(default_factory=dict)
    groups: list[set[str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"flags": self.flags, "groups": [sorted(g) for g in self.groups]}

    @classmethod
    def from_json(cls, data: dict) -> "FlagTable":
        return cls(dict(data["flags"]), [set(g) for g in data["groups"]])


def parse_help(text: str) -> FlagTable:
    """Read argparse's `--help` output: the usage block gives kinds and exclusive groups."""
    usage = " ".join(_usage_block(text).split())
    table = FlagTable()
    for group in _top_level_brackets(usage):
        alternatives = [alt.strip() for alt in _split_depth0(group, "|")]
        flags = []
        for alt in alternatives:
            parts = alt.split(" ", 1)
            if parts[0].startswith("-"):
                table.flags[parts[0]] = _kind(parts[1] if len(parts) > 1 else "")
                flags.append(parts[0])
        if len(flags) > 1:
            table.groups.append(set(flags))
    for match in re.finditer(r"(?m)^\s{1,8}(-{1,2}[\w-]+)", text):  # the options list
        table.flags.setdefault(match.group(1), "switch")
    return table


def _usage_block(text: str) -> str:
    start = text.find("usage:")
    if start < 0:
        return ""
    end = text.find("\n\n", start)
    return text[start + len("usage:"): end if end > 0 else None]


def _top_level_brackets(text: str) -> list[str]:
    groups, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "[":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == "]" and depth:
            depth -= 1
            if depth == 0:
                groups.append(text[start:index])
    return groups


def _split_depth0(text: str, sep: str) -> list[str]:
    current: list[str]
    parts, depth, current = [], 0, []
    for char in text:
        depth += char in "[{("
        depth -= char in "]})"
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    return parts + ["".join(current)]


def _kind(metavar: str) -> str:
    metavar = metavar.strip()
    if not metavar:
        return "switch"
    if "..." in metavar:
        return "list"
    return "optional" if metavar.startswith("[") else "value"


def load_flag_table(install: ComfyInstall, cache: JsonCache | None = None, *,
                    timeout: float = HELP_TIMEOUT_S) -> tuple[FlagTable | None, str | None]:
    """Run `main.py --help` (or take the cached result): (table, None) or (None, why not)."""
    key = f"help|{install.version}|{install.commit}|{install.python}"
    cached = cache.get(key) if cache is not None else None
    if cached:
        return FlagTable.from_json(cached), None
    argv = [*install.command(), "--help"]
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=str(install.cwd),
                              env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"Could not ask ComfyUI for its flags ({type(exc).__name__}: {exc})."
    text = done.stdout.decode("utf-8", errors="replace")
    if done.returncode != 0 or "usage:" not in text:
        last = (done.stderr.decode("utf-8", errors="replace").strip().splitlines() or ["?"])[-1]
        return None, f"`main.py --help` failed (exit code {done.returncode}): {last}"
    table = parse_help(text)
    if cache is not None:
        cache.put(key, table.to_json())
    return table, None


def split_flags(argv: Sequence[str], table: FlagTable | None) -> dict[str, str | None]:
    """flag -> its value (None for switches), reading values the way argparse would."""
    found: dict[str, str | None] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not token.startswith("-"):
            continue
        flag, _, inline = token.partition("=")
        kind = (table.flags.get(flag) if table else None) or _guess_kind(argv, index)
        value: str | None = inline or None
        if value is None and kind in ("value", "optional", "list"):
            while index < len(argv) and not argv[index].startswith("--"):
                value = argv[index] if value is None else f"{value} {argv[index]}"
                index += 1
                if kind != "list":
                    break
        found[flag] = value
    return found


def _guess_kind(argv: Sequence[str], index: int) -> str:
    has_value = index < len(argv) and not argv[index].startswith("-")
    return "value" if has_value else "switch"


def check(argv: Sequence[str], env: Mapping[str, str], *, table: FlagTable | None = None,
          version: str | None = None, probe: PythonProbe | None = None) -> list[Finding]:
    """Everything the doctor has to say about launching ComfyUI with `argv` and `env`."""
    flags = split_flags(argv, table)
    findings: list[Finding] = []
    findings += _unknown_flags(flags, table, version)
    findings += _conflicts(flags, table)
    findings += _no_ops(flags)
    findings += _version_notes(flags, version, argv)
    findings += _risky(flags)
    findings += _attention(flags, probe)
    findings += _environment(flags, env)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.level])


def _unknown_flags(flags, table, version):
    if table is None:
        return []
    where = f"ComfyUI {version}" if version else "This ComfyUI"
    return [Finding("error", flag, f"{where} does not know {flag}; it would stop at once "
                    "(exit code 2).", "Remove it, or check its spelling in `main.py --help`.")
            for flag in flags if flag not in table.flags]


def _conflicts(flags, table):
    groups = table.groups if table is not None and table.groups else KNOWN_GROUPS
    out = []
    for group in groups:
        both = sorted(flag for flag in flags if flag in group)
        if len(both) > 1:
            out.append(Finding("error", " + ".join(both),
                               f"{' and '.join(both)} cannot be used together: ComfyUI treats "
                               "them as alternatives and stops at once (exit code 2).",
                               "Keep only one of them."))
    return out


def _no_ops(flags):
    out = [Finding("info", flag, text, "Harmless; remove it if you like.")
           for flag, text in NO_OP_FLAGS.items() if flag in flags]
    if "--cuda-malloc" in flags and "--disable-cuda-malloc" not in flags:
        out.append(Finding("info", "--cuda-malloc",
                           "ComfyUI already turns cudaMallocAsync on by default with CUDA builds "
                           "of PyTorch 2.x, so --cuda-malloc changes nothing there.",
                           "Harmless; it only matters on GPUs ComfyUI blacklists for it."))
    return out


def _version_notes(flags, version, argv):
    """The version table's word on these flags for this ComfyUI: no-ops (--lowvram under
    Dynamic VRAM) and `--fast` names it does not take."""
    table = version_table()
    out = []
    for flag in flags:
        if flag in NO_OP_FLAGS:
            continue  # said already, with the same facts
        why = table.noop_reason(flag, version, list(flags))
        if why:
            out.append(Finding("info", flag, why, "Harmless; remove it if you like."))
    wrong = [v for v in _values_after(argv, "--fast") if v not in table.fast_values]
    if "--fast" in flags and wrong and table.fast_values:
        out.append(Finding("error", "--fast",
                           f"--fast takes only {', '.join(table.fast_values)}, not "
                           f"{', '.join(wrong)}; ComfyUI would stop at once (exit code 2).",
                           "Give --fast alone (all of them) or only those names."))
    return out


def _values_after(argv, flag):
    """The words after `flag` up to the next option (`--fast a b` -> [a, b])."""
    words, on = [], False
    for token in argv:
        if token.startswith("-"):
            on = token == flag
            if token.startswith(flag + "="):
                words.append(token.partition("=")[2])
        elif on:
            words.append(token)
    return words


def _risky(flags):
    out = []
    if "--force-channels-last" in flags:
        out.append(Finding("error", "--force-channels-last",
                           "--force-channels-last breaks Wan's 5-D video tensors: sampling fails "
                           "with 'required rank 4 tensor to use channels_last format'.",
                           "Remove --force-channels-last."))
    if "--listen" in flags:
        address = flags["--listen"] or "0.0.0.0,::"
        if not is_loopback(address):
            out.append(Finding("warning", "--listen",
                               f"ComfyUI will listen on {address}. It has no authentication: "
                               "anyone who can reach this computer on that port can run "
                               "workflows, upload files and read your outputs.",
                               "Use 127.0.0.1 unless you trust every device on that network."))
    if "--front-end-version" in flags:
        out.append(Finding("warning", "--front-end-version",
                           "--front-end-version downloads the web front end from GitHub at every "
                           "start; without internet access ComfyUI's web page will not load.",
                           "Remove it to use the front end installed with ComfyUI."))
    if "--windows-standalone-build" in flags and "--disable-auto-launch" not in flags:
        out.append(Finding("warning", "--windows-standalone-build",
                           "--windows-standalone-build turns on auto-launch: a browser window "
                           "opens at every start.", "Add --disable-auto-launch."))
    return out


def _attention(flags, probe):
    if probe is None or probe.error:
        return []
    out = []
    for backend, module in ATTENTION_MODULES.items():
        flag = f"--use-{backend}-attention"
        if flag in flags and not probe.modules.get(module):
            out.append(Finding("error", flag,
                               f"{flag} needs the '{module}' package, which ComfyUI's Python "
                               "cannot import: ComfyUI would stop at start (exit code 255).",
                               "Choose PyTorch SDPA attention, or install the package."))
    return out


def _environment(flags, env):
    out = [Finding("warning", name, text, "Harmless; remove it to avoid confusion.")
           for name, text in UNREAD_ENV.items() if name in env]
    conf = env.get("PYTORCH_CUDA_ALLOC_CONF", "")
    native = [opt for opt in NATIVE_ALLOC_OPTIONS if opt in conf]
    async_on = "--disable-cuda-malloc" not in flags and "--cpu" not in flags
    if native and async_on and "backend:native" not in conf:
        out.append(Finding("warning", "PYTORCH_CUDA_ALLOC_CONF",
                           f"ComfyUI appends backend:cudaMallocAsync to PYTORCH_CUDA_ALLOC_CONF "
                           f"(its default), and that allocator ignores {', '.join(native)}; "
                           "PyTorch prints a warning at start.",
                           "To use these options add --disable-cuda-malloc (and drop "
                           "--cuda-malloc); otherwise remove the variable."))
    return out


def installed_experts(comfy_root: os.PathLike[str] | str) -> list[str]:
    """The Wan 2.2 i2v expert files (.safetensors, .gguf) in an install's models folders."""
    found = []
    for folder in EXPERT_FOLDERS:
        base = os.path.join(comfy_root, "models", folder)
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                lowered = name.lower()
                if lowered.endswith((".safetensors", ".gguf")) and "i2v" in lowered:
                    found.append(os.path.relpath(os.path.join(dirpath, name), base)
                                 .replace(os.sep, "/"))
    return sorted(set(found))


def expert_fit(vram_total: int | None, files: Sequence[str]) -> list[Finding]:
    """Whether the install's best Wan experts fit this GPU at the template's clip size, and
    which format would (a warning when they do not fit; nothing without a GPU or experts)."""
    if not vram_total or not files:
        return []
    formats = experts.formats_of(files)
    if not formats:
        return []
    high, low = experts.pair_of_format(files, formats[0]) or (files[0], files[0])
    width, height, frames = FIT_SIZE
    text = experts.fit_advice(vram_total, width, height, frames, high, low, files)
    fits = experts.fit_of(experts.model_format(high), vram_total, width, height, frames)
    level = "info" if fits is None or fits.fits else "warning"
    return [Finding(level, "models", text,
                    "Pick a GGUF pair in the Generate form's Models, or `wan22 generate "
                    "--model-format Q6_K`." if level == "warning" else "")]
