"""The two Wan 2.2 14B experts as files: their format (fp8, fp16, GGUF Q8_0/Q6_K/Q4_K_M…), about
how much GPU memory each takes, and which pair fits a GPU.

A `.gguf` expert is loaded by the ComfyUI-GGUF pack's `UnetLoaderGGUF` (its files are the
`.gguf` files of `models/unet` and `models/diffusion_models`); every other file by the core
`UNETLoader`. ComfyUI keeps only one expert on the GPU at a time when memory is short (it
unloads the high-noise model before the low-noise pass), so what must fit is the larger expert
plus the working memory of the sampler at the job's size. The figures are a rule of thumb from
the formats' bits per weight, not a measurement: a measured peak from the user's own runs
(`estimate.py`) is better whenever there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

GIB = 2**30
EXPERT_PARAMS = 14.3e9  # weights of one Wan 2.2 A14B expert (the fp8 file is about 14.3 GB)
# Bits per weight of each format, as llama.cpp's quantisation table gives them (K-quants mix
# block types: these are the averages of a whole file).
BITS_PER_WEIGHT = {
    "fp32": 32.0, "fp16": 16.0, "bf16": 16.0, "fp8": 8.0, "Q8_0": 8.5, "Q6_K": 6.56,
    "Q5_K_M": 5.69, "Q5_K_S": 5.54, "Q5_1": 6.0, "Q5_0": 5.5, "Q4_K_M": 4.89, "Q4_K_S": 4.58,
    "Q4_1": 5.0, "Q4_0": 4.5, "Q3_K_L": 4.27, "Q3_K_M": 3.91, "Q3_K_S": 3.5, "Q2_K": 3.35,
}
# The formats offered to a user short of memory, best quality first.
SUGGESTED = ("fp8", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M")
_QUANT = re.compile(r"(?<![A-Za-z0-9])(Q\d_K_[SML]|Q\d_K|Q\d_[01]|F16|BF16|F32)(?![A-Za-z0-9])",
                    re.IGNORECASE)
_FLOAT = re.compile(r"(?<![a-z0-9])(fp8|fp16|bf16|fp32)", re.IGNORECASE)
# Working memory of the sampler beyond the weights: a fixed part (CUDA context, VAE, buffers)
# and a part per latent token: a rough rule (about 3.4 GiB at 640x640x81), not a fit to
# measurements; the bench's recorded peaks are the ones to trust.
WORK_FIXED_BYTES = int(1.5 * GIB)
WORK_PER_TOKEN_BYTES = 60 * 1024


def is_gguf(name: str) -> bool:
    """True for a GGUF file (loaded by UnetLoaderGGUF)."""
    return str(name).lower().endswith(".gguf")


def model_format(name: str) -> str:
    """"Q4_K_M", "Q8_0", "fp8", "fp16"… from the file name; "gguf" or "unknown" when it does
    not say."""
    found = _QUANT.search(str(name))
    if found:
        text = found.group(1).upper()
        return {"F16": "fp16", "BF16": "bf16", "F32": "fp32"}.get(text, text)
    if is_gguf(name):
        return "gguf"
    found = _FLOAT.search(str(name))
    return found.group(1).lower() if found else "unknown"


def expert_bytes(name: str) -> int | None:
    """About how many bytes one expert in this file takes on the GPU (None: format unknown)."""
    bits = BITS_PER_WEIGHT.get(model_format(name))
    return None if bits is None else int(EXPERT_PARAMS * bits / 8)


def working_bytes(width: int, height: int, frames: int) -> int:
    """The sampler's working memory beyond the weights at this size (rule of thumb)."""
    tokens = ((frames - 1) // 4 + 1) * (height // 16) * (width // 16)
    return WORK_FIXED_BYTES + tokens * WORK_PER_TOKEN_BYTES


@dataclass(frozen=True)
class Fit:
    """One format at one job size on one GPU."""

    fmt: str
    expert_bytes: int
    peak_bytes: int
    fits: bool

    def line(self) -> str:
        """"Q6_K: about 10.9 GiB per expert, peak about 14.3 GiB: fits"."""
        verdict = "fits" if self.fits else "does not fit (ComfyUI offloads part of it: slower)"
        return (f"{self.fmt}: about {self.expert_bytes / GIB:.1f} GiB per expert, peak about "
                f"{self.peak_bytes / GIB:.1f} GiB: {verdict}")


def fit_of(fmt: str, vram_total: int, width: int, height: int, frames: int,
           reserve: int = int(0.6 * GIB)) -> Fit | None:
    """How `fmt` (a key of BITS_PER_WEIGHT) does on a GPU with `vram_total` bytes."""
    bits = BITS_PER_WEIGHT.get(fmt)
    if bits is None:
        return None
    weights = int(EXPERT_PARAMS * bits / 8)
    peak = weights + working_bytes(width, height, frames)
    return Fit(fmt, weights, peak, peak + reserve <= vram_total)


def fit_table(vram_total: int, width: int, height: int, frames: int,
              formats: Sequence[str] = SUGGESTED) -> list[Fit]:
    """Each suggested format at this size on this GPU, best quality first."""
    return [f for f in (fit_of(fmt, vram_total, width, height, frames) for fmt in formats) if f]


def best_fit(vram_total: int, width: int, height: int, frames: int,
             formats: Sequence[str] = SUGGESTED) -> str | None:
    """The best-quality format that fits, or None when none does."""
    return next((f.fmt for f in fit_table(vram_total, width, height, frames, formats)
                 if f.fits), None)


def fit_advice(vram_total: int, width: int, height: int, frames: int, high: str,
               low: str, installed: Iterable[str] = ()) -> str:
    """One or two sentences for a user: do the chosen experts fit, and what would.

    `installed` are the diffusion-model files the server has (to name a pair to switch to)."""
    gib = vram_total / GIB
    size = f"{width}×{height}, {frames} frames"
    chosen = max(((n, expert_bytes(n)) for n in (high, low)), key=lambda p: p[1] or 0)
    best = best_fit(vram_total, width, height, frames)
    if chosen[1] is None:
        return (f"The format of {chosen[0]} is unknown; on {gib:.0f} GB at {size} "
                f"{best or 'no format'} fits.")
    peak = chosen[1] + working_bytes(width, height, frames)
    fmt = model_format(chosen[0])
    if peak + int(0.6 * GIB) <= vram_total:
        return (f"The {fmt} experts fit in {gib:.0f} GB at {size} "
                f"(peak about {peak / GIB:.1f} GiB).")
    text = (f"The {fmt} experts need about {peak / GIB:.1f} GiB at {size}, more than the "
            f"{gib:.0f} GB GPU has: ComfyUI offloads part of each model, which is much slower.")
    if best is None:
        return text + " No format fits at this size: make the clip smaller or shorter."
    fitting = [f for f in formats_of(installed)
               if (fit := fit_of(f, vram_total, width, height, frames)) and fit.fits]
    if not fitting:
        return text + f" A {best} GGUF pair would fit: put one in models/unet/."
    pair = pair_of_format(installed, fitting[0])
    text += f" The server's {fitting[0]} pair fits ({pair[0]}, {pair[1]})." if pair else ""
    if fitting[0] != best:
        text += f" A {best} pair would fit too, at better quality."
    return text


def pair_of_format(files: Iterable[str], fmt: str) -> tuple[str, str] | None:
    """(high-noise, low-noise) files of one format among `files`, or None."""
    files = [f for f in files if model_format(f).lower() == fmt.lower()]
    high = next((f for f in files if _half(f) == "high"), None)
    low = next((f for f in files if _half(f) == "low"), None)
    return (high, low) if high and low else None


def _half(name: str) -> str | None:
    lowered = str(name).lower()
    if "high" in lowered:
        return "high"
    return "low" if "low" in lowered else None


def formats_of(files: Iterable[str]) -> list[str]:
    """The formats with a complete high/low pair among `files`, in SUGGESTED order first."""
    files = list(files)
    found = {model_format(f) for f in files}
    ordered = [f for f in SUGGESTED if f in found] + sorted(found - set(SUGGESTED))
    return [fmt for fmt in ordered if pair_of_format(files, fmt)]
