"""Time and peak-VRAM estimates for a job, learned from the user's own finished runs.

Pure: takes history rows as plain dicts or objects with the JobRecord fields `status`, `kind`,
`params` (JobSpec dict), `timings` (phase -> seconds) and `metrics` (`peak_vram_bytes`), so it
does not depend on how the history is stored. Callers pick the rows that fit (same server, same
preset); this module only learns the size dependence.

Model: sampling time per model evaluation grows with the latent token count T
(frames_latent × h/16 × w/16), least-squares fitted as a + bT (+ cT² once four sizes are known);
a step costs two evaluations when CFG is not 1 (ComfyUI skips the unconditional pass at CFG 1;
the 3-phase split's first phase runs at its own CFG). VAE decode is fitted the same way;
loading, encoding and saving are taken as their median. Peak VRAM is mostly the weights of one
expert: a run with experts of another format (fp8 vs a GGUF quantisation) counts with the
difference of the two formats' sizes (`experts.py`) added.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow.experts import expert_bytes
from wan22_gui.core.workflow.spec import JobSpec, sampling_defaults

MIN_RUNS = 2  # fewer finished runs than this: "no estimate yet"
SAMPLING_PHASES = ("high_noise", "low_noise")
SCALED_PHASES = ("vae_encode", "vae_decode")  # grow with the frame size
FIXED_PHASES = ("upload", "text_encode", "model_load", "save", "download")


@dataclass(frozen=True)
class Estimate:
    """A prediction for one job.

    Attributes:
        seconds: total time from upload to download (queue waiting excluded).
        peak_vram_bytes: predicted peak VRAM, or None when the runs do not say.
        runs: how many past runs it was learned from.
        extrapolated: True when the job is more than 1.5× larger (or smaller) than any run seen.
        phases: predicted seconds per phase.
    """

    seconds: float
    peak_vram_bytes: int | None
    runs: int
    extrapolated: bool = False
    phases: dict[str, float] = field(default_factory=dict)


def estimate_for_spec(history_rows: Iterable[Any], spec: JobSpec) -> Estimate | None:
    """`estimate` for a whole spec: its phases, CFGs and expert files included."""
    s = spec.sampling()
    return estimate(history_rows, spec.width, spec.height, spec.frames, spec.use_lora,
                    s.steps, s.cfg, evaluations=evaluations(spec.to_dict()),
                    unet=max((spec.models.unet_high, spec.models.unet_low),
                             key=lambda n: expert_bytes(n) or 0))


def evaluations(params: Any) -> int:
    """Model evaluations of a job (a JobSpec dict): steps × 1 or 2 by CFG, per phase."""
    spec = params if isinstance(params, JobSpec) else JobSpec.from_dict(params)
    s = spec.sampling()
    if spec.phases != 3:
        return s.steps * _evals_per_step(s.cfg)
    first, first_cfg = spec.phase1()
    return first * _evals_per_step(first_cfg) + (s.steps - first) * _evals_per_step(s.cfg)


def estimate(history_rows: Iterable[Any], width: int, height: int, frames: int,
             use_lora: bool = True, steps: int | None = None, cfg: float | None = None,
             sage_attention: bool | None = None, *, evaluations: int | None = None,
             unet: str | None = None) -> Estimate | None:
    """Predict time and peak VRAM for a job, or None when too few runs are known.

    Args:
        history_rows: JobRecord objects or dicts (only succeeded generate/bench runs count).
        width, height, frames: the job's size and length.
        use_lora: the job's mode; picks the template's steps/cfg when those are None.
        steps, cfg: the job's sampling settings (None: the mode's defaults).
        sage_attention: when given, prefer runs with the same setting if there are enough.
        evaluations: the job's model evaluations when they are not steps × CFG's (3 phases).
        unet: the job's larger expert file, to carry measured peaks over between formats.
    """
    defaults = sampling_defaults(use_lora)
    steps = defaults.steps if steps is None else steps
    cfg = defaults.cfg if cfg is None else cfg
    runs = [r for r in (_usable(row) for row in history_rows) if r is not None]
    if sage_attention is not None:
        same = [r for r in runs if r["sage"] == bool(sage_attention)]
        runs = same if len(same) >= MIN_RUNS else runs
    if len(runs) < MIN_RUNS:
        return None
    tokens = _tokens(width, height, frames)
    evals = steps * _evals_per_step(cfg) if evaluations is None else evaluations
    phases = {"sampling": evals * _fit_predict([(r["tokens"], r["per_eval"]) for r in runs],
                                               tokens)}
    for phase in SCALED_PHASES:
        points = [(r["tokens"], r["timings"][phase]) for r in runs if phase in r["timings"]]
        if points:
            phases[phase] = _fit_predict(points, tokens)
    for phase in FIXED_PHASES:
        values = [r["timings"][phase] for r in runs if phase in r["timings"]]
        if values:
            phases[phase] = statistics.median(values)
    seen = [r["tokens"] for r in runs]
    extrapolated = tokens > 1.5 * max(seen) or tokens < min(seen) / 1.5
    return Estimate(seconds=sum(phases.values()), peak_vram_bytes=_vram(runs, tokens, unet),
                    runs=len(runs), extrapolated=extrapolated, phases=phases)


def estimate_text(est: Estimate | None) -> str:
    """One line for the form: "about 1 min 37 s, peak 21.3 GiB (from 5 runs)"."""
    if est is None:
        return "no estimate yet"
    text = f"about {_duration(est.seconds)}"
    if est.peak_vram_bytes is not None:
        text += f", peak {est.peak_vram_bytes / 2**30:.1f} GiB"
    text += f" (from {est.runs} run{'s' if est.runs != 1 else ''}"
    return text + (", outside the sizes seen so far)" if est.extrapolated else ")")


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def _usable(row: Any) -> dict[str, Any] | None:
    """The numbers the fit needs from one row, or None when the row cannot teach anything."""
    if _get(row, "status") != "succeeded" or _get(row, "kind") not in (None, "generate", "bench"):
        return None
    params, timings = _get(row, "params") or {}, _get(row, "timings") or {}
    try:
        width, height, frames = int(params["width"]), int(params["height"]), int(params["frames"])
        evals = evaluations(params)
        sampling = sum(float(timings[p]) for p in SAMPLING_PHASES)
    except (KeyError, TypeError, ValueError, InputError):
        return None
    if evals < 1 or sampling <= 0 or min(width, height, frames) < 1:
        return None
    metrics = _get(row, "metrics") or {}
    return {
        "tokens": _tokens(width, height, frames),
        "per_eval": sampling / evals,
        "timings": {k: float(v) for k, v in timings.items() if isinstance(v, (int, float))},
        "vram": metrics.get("peak_vram_bytes"),
        "sage": bool(params.get("sage_attention", False)),
        "unet": _larger_expert(params.get("models")),
    }


def _larger_expert(models: Any) -> str | None:
    """The bigger of a stored spec's two expert files (what decides its peak)."""
    if not isinstance(models, dict):
        return None
    names = [str(models[k]) for k in ("unet_high", "unet_low") if models.get(k)]
    return max(names, key=lambda n: expert_bytes(n) or 0) if names else None


def _tokens(width: int, height: int, frames: int) -> int:
    return ((frames - 1) // 4 + 1) * (height // 16) * (width // 16)


def _evals_per_step(cfg: float) -> int:
    return 1 if abs(cfg - 1.0) < 1e-6 else 2


def _fit_predict(points: Sequence[tuple[float, float]], x: float) -> float:
    """Least-squares prediction at x: proportional for one size, linear, quadratic from four."""
    import numpy as np

    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    distinct = len(set(xs.tolist()))
    if distinct < 2:
        return float(np.median(ys) * x / xs[0]) if xs[0] > 0 else float(np.median(ys))
    degree = 2 if distinct >= 4 else 1
    scale = xs.max()  # keeps the normal equations well conditioned
    design = np.vander(xs / scale, degree + 1)
    coef, *_ = np.linalg.lstsq(design, ys, rcond=None)
    value = float(np.polyval(coef, x / scale))
    # Attention makes cost grow faster than linearly, never slower: a bent-down fit is noise.
    if degree == 2 and (coef[0] < 0 or value <= 0):
        coef, *_ = np.linalg.lstsq(np.vander(xs / scale, 2), ys, rcond=None)
        value = float(np.polyval(coef, x / scale))
    return max(value, 0.0)


def _vram(runs: list[dict[str, Any]], tokens: int, unet: str | None = None) -> int | None:
    """Peak VRAM: linear in tokens over the runs that measured it (None if none did), each
    shifted by the weight difference when it ran experts of another format than `unet`."""
    points = [(r["tokens"], float(r["vram"]) + _weights_delta(r["unet"], unet)) for r in runs
              if isinstance(r["vram"], (int, float)) and r["vram"] > 0]
    if not points:
        return None
    if len({p[0] for p in points}) < 2:
        # One size seen: memory is mostly weights, so do not scale it; only report it nearby.
        near = all(abs(tokens - p[0]) <= 0.1 * p[0] for p in points)
        return int(statistics.median(p[1] for p in points)) if near else None
    import numpy as np

    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    coef = np.polyfit(xs, ys, 1)
    return int(max(float(np.polyval(coef, tokens)), float(ys.min()) * 0.5))


def _weights_delta(ran: str | None, wanted: str | None) -> float:
    """Bytes more (or fewer) one expert of `wanted` takes than one of `ran` (0 if unknown)."""
    if not ran or not wanted:
        return 0.0
    a, b = expert_bytes(ran), expert_bytes(wanted)
    return float(b - a) if a is not None and b is not None else 0.0


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
