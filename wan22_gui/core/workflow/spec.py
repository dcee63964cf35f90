"""What the user asked for: one image-to-video job as plain data.

A `JobSpec` is built by the generation form, the CLI and the benchmark runner, stored as JSON in
the history (`to_dict` / `from_dict`) and turned into an API graph by `builder.build_wan_i2v`.
Sampling fields left at None follow the official template for the chosen mode (4-step LoRA on or
off, two or three phases), so switching the LoRA toggle never leaves 4-step settings on a
20-step run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.loras import LoraUse, lora_problems, loras_from_data

# The template's negative prompt (the Wan authors' recommended one, in Chinese).
DEFAULT_NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
    "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，"
    "毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)

INTERPOLATION_METHODS = ("rife", "film")


@dataclass(frozen=True)
class SamplingDefaults:
    """Steps, CFG, the step where pass 1 hands over to pass 2, and the ModelSamplingSD3 shift."""

    steps: int
    cfg: float
    split_step: int
    shift: float


# From the official template: the active "fp8_scaled + 4steps LoRA" group and the bypassed
# 20-step "fp8_scaled" group.
LORA_DEFAULTS = SamplingDefaults(steps=4, cfg=1.0, split_step=2, shift=5.0)
BASE_DEFAULTS = SamplingDefaults(steps=20, cfg=3.5, split_step=10, shift=8.0)
# The 3-phase split users run against the speed LoRA's slow motion: 2 high-noise steps without
# the LoRA at CFG 3.5 (they set the motion), 2 high-noise steps with it, 2 low-noise steps.
THREE_PHASE_DEFAULTS = SamplingDefaults(steps=6, cfg=1.0, split_step=4, shift=5.0)
PHASE1_STEPS = 2
PHASE1_CFG = 3.5
PHASES = (2, 3)


def sampling_defaults(use_lora: bool, phases: int = 2) -> SamplingDefaults:
    """The template's sampling settings for the 4-step LoRA mode (True) or the 20-step mode;
    with `phases=3` (which needs the LoRA), the 3-phase split's."""
    if use_lora and phases == 3:
        return THREE_PHASE_DEFAULTS
    return LORA_DEFAULTS if use_lora else BASE_DEFAULTS


@dataclass(frozen=True)
class ModelFiles:
    """File names as ComfyUI lists them in `/object_info` (relative to their models/ folder)."""

    unet_high: str = "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors"
    unet_low: str = "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors"
    lora_high: str = "wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors"
    lora_low: str = "wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors"
    text_encoder: str = "umt5_xxl_fp8_e4m3fn_scaled.safetensors"
    vae: str = "wan_2.1_vae.safetensors"
    weight_dtype: str = "default"


@dataclass(frozen=True)
class JobSpec:
    """One Wan 2.2 14B image-to-video job.

    Attributes:
        image: path of the start image on this machine (uploaded by the job runner).
        prompt: what should happen in the clip.
        negative_prompt: what to avoid (defaults to the template's).
        width, height: output size in pixels; multiples of 16.
        frames: number of frames; 4n+1 (81 frames at 16 fps is about 5 s).
        fps: frame rate written into the video.
        seed: noise seed of pass 1; None draws a random one when the graph is built.
        use_lora: use the 4-step LightX2V LoRAs.
        steps, split_step, cfg, shift: None follows the template for the mode.
        lora_strength_high, lora_strength_low: the 4-step speed LoRA's strength per expert
            (a lower high-noise strength is a common fix for slow motion).
        loras: the user's own LoRAs, each with a strength per expert, chained before the
            speed LoRA (`loras.py`).
        phases: 2 (high-noise then low-noise) or 3: the first `phase1_steps` steps run on
            the high-noise model without the speed LoRA at `phase1_cfg`, then high-noise with
            it up to `split_step`, then low-noise (needs `use_lora`).
        phase1_steps, phase1_cfg: the 3-phase split's first phase (None: 2 steps, CFG 3.5).
        models: model file names; a `.gguf` expert is loaded with the ComfyUI-GGUF pack's
            UnetLoaderGGUF (`experts.py`).
        sage_attention: add the KJNodes SageAttention patch on both model paths.
        sage_attention_mode: the patch node's `sage_attention` option.
        sampler_name, scheduler: KSamplerAdvanced options (both passes).
        filename_prefix: SaveVideo prefix; None lets the job runner make one from the name
            pattern (see `naming.py`).
        interpolation: None, "rife" or "film" (done after generation).
        interpolation_multiplier: 2, 3 or 4.
        interpolation_model: the RIFE/FILM model file (core nodes) or checkpoint (pack) to
            use; None lets the app choose from what the server lists.
        end_image: optional path of the last frame's image: the job becomes first/last-frame
            i2v (`WanFirstLastFrameToVideo`, uploaded with the start image). None: start only.
        extend_clip: optional path of a finished clip to continue: the job starts from its
            last `extend_overlap` frames (the runner uploads them) and, when done, the two
            parts are joined into one clip (see `core/video/extend.py`).
        extend_overlap: frames shared by the two parts (4k+1), crossfaded in the joined clip.
        extend_color_match: match the new part's colours to the clip's on the overlap.
        extend_parent: the history id of the clip continued, when it came from the history.
    """

    image: str = ""
    prompt: str = ""
    negative_prompt: str = DEFAULT_NEGATIVE_PROMPT
    width: int = 640
    height: int = 640
    frames: int = 81
    fps: float = 16.0
    seed: int | None = None
    use_lora: bool = True
    steps: int | None = None
    split_step: int | None = None
    cfg: float | None = None
    shift: float | None = None
    lora_strength_high: float = 1.0
    lora_strength_low: float = 1.0
    models: ModelFiles = field(default_factory=ModelFiles)
    sage_attention: bool = False
    sage_attention_mode: str = "auto"
    sampler_name: str = "euler"
    scheduler: str = "simple"
    filename_prefix: str | None = None
    interpolation: str | None = None
    interpolation_multiplier: int = 2
    interpolation_model: str | None = None
    end_image: str | None = None
    loras: tuple[LoraUse, ...] = ()
    phases: int = 2
    phase1_steps: int | None = None
    phase1_cfg: float | None = None
    extend_clip: str | None = None
    extend_overlap: int = 1
    extend_color_match: bool = False
    extend_parent: str | None = None

    def sampling(self) -> SamplingDefaults:
        """The sampling settings in effect: explicit fields, else the mode's defaults."""
        base = sampling_defaults(self.use_lora, self.phases)
        return SamplingDefaults(
            steps=base.steps if self.steps is None else int(self.steps),
            cfg=base.cfg if self.cfg is None else float(self.cfg),
            split_step=base.split_step if self.split_step is None else int(self.split_step),
            shift=base.shift if self.shift is None else float(self.shift),
        )

    def phase1(self) -> tuple[int, float]:
        """(steps, CFG) of the 3-phase split's first phase, defaults filled in."""
        steps = PHASE1_STEPS if self.phase1_steps is None else int(self.phase1_steps)
        return steps, PHASE1_CFG if self.phase1_cfg is None else float(self.phase1_cfg)

    def resolved(self) -> "JobSpec":
        """A copy with steps/split/cfg/shift (and the first phase's) filled in (what the
        history should store)."""
        s = self.sampling()
        first = self.phase1() if self.phases == 3 else (self.phase1_steps, self.phase1_cfg)
        return dataclasses.replace(
            self, steps=s.steps, split_step=s.split_step, cfg=s.cfg, shift=s.shift,
            phase1_steps=first[0], phase1_cfg=first[1],
        )

    def replace(self, **changes: Any) -> "JobSpec":
        """A copy with some fields changed (the spec itself is immutable)."""
        return dataclasses.replace(self, **changes)

    def problems(self) -> list[str]:
        """What is wrong with these settings, one sentence each (empty when fine).

        The ranges are `limits.py`'s, the same the form and the CLI use; a NaN or an infinity
        is refused here rather than sent to ComfyUI (JSON has no NaN).
        """
        out = [p for p in (
            limits.frames_problem(self.frames), *self._size_problems(),
            limits.FPS_RANGE.problem(self.fps),
            limits.LORA_STRENGTH.problem(self.lora_strength_high),
            limits.LORA_STRENGTH.problem(self.lora_strength_low),
            None if self.seed is None else limits.SEED.problem(self.seed),
        ) if p]
        out += self._sampling_problems() + self._phase_problems() + lora_problems(self.loras)
        if self.interpolation not in (None, *INTERPOLATION_METHODS):
            out.append(f"Interpolation must be rife, film or none, not {self.interpolation!r}.")
        if self.interpolation and self.interpolation_multiplier not in (2, 3, 4):
            out.append("The interpolation multiplier must be 2, 3 or 4, "
                       f"not {self.interpolation_multiplier}.")
        if self.extend_clip:
            out += [p for p in (limits.overlap_problem(self.extend_overlap, self.frames),) if p]
        return out

    def _size_problems(self) -> list[str]:
        return [p for p in (limits.side_problem("width", self.width),
                            limits.side_problem("height", self.height)) if p]

    def _sampling_problems(self) -> list[str]:
        s = self.sampling()
        out = [p for p in (limits.CFG.problem(s.cfg), limits.SHIFT.problem(s.shift)) if p]
        steps = limits.STEPS.problem(s.steps)
        if steps:
            out.append(steps)
        elif not 0 <= s.split_step <= s.steps:
            out.append(f"The split step must be between 0 and {s.steps} steps, not {s.split_step}.")
        return out

    def _phase_problems(self) -> list[str]:
        if self.phases not in PHASES:
            return [f"The split must have 2 or 3 phases, not {self.phases}."]
        if self.phases == 2:
            return []
        if not self.use_lora:
            return ["The 3-phase split needs the 4-step LoRA (its phases 2 and 3 use it)."]
        steps, cfg = self.phase1()
        s = self.sampling()
        split = s.split_step
        out = [p for p in (limits.CFG.problem(cfg),) if p]
        if split >= s.steps:
            out.append(f"With 3 phases the low-noise model needs steps: the split step must "
                       f"be below {s.steps}, not {split}.")
        if not 1 <= steps < split:
            out.append(f"The first phase (no speed LoRA) must end between step 1 and the "
                       f"split step ({split} - 1), not at {steps}.")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the `params` of a history record)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobSpec":
        """Rebuild a spec from `to_dict` output. Unknown keys (from a newer app) are ignored.

        Raises:
            InputError: when `data` is not a mapping or a value has the wrong type.
        """
        if not isinstance(data, Mapping):
            raise InputError(f"Job settings must be a JSON object, not {type(data).__name__}.")
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        models = kwargs.get("models")
        if isinstance(models, Mapping):
            model_fields = {f.name for f in dataclasses.fields(ModelFiles)}
            kwargs["models"] = ModelFiles(**{k: str(v) for k, v in models.items()
                                             if k in model_fields})
        elif models is not None and not isinstance(models, ModelFiles):
            raise InputError("Job settings: 'models' must be an object of file names.")
        try:
            if "loras" in kwargs:
                kwargs["loras"] = loras_from_data(kwargs["loras"])
            return cls(**_coerce(kwargs))
        except (TypeError, ValueError) as exc:
            raise InputError(f"Job settings are malformed: {exc}.",
                             hint="Check the values in the saved job or preset.") from exc


_INT_FIELDS = ("width", "height", "frames", "interpolation_multiplier", "phases",
               "extend_overlap")
_OPT_INT_FIELDS = ("seed", "steps", "split_step", "phase1_steps")
_FLOAT_FIELDS = ("fps", "lora_strength_high", "lora_strength_low")
_OPT_FLOAT_FIELDS = ("cfg", "shift", "phase1_cfg")


def _coerce(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Convert JSON numbers to the field types, refusing booleans and non-numbers."""
    out = dict(kwargs)
    for name in _INT_FIELDS + _OPT_INT_FIELDS + _FLOAT_FIELDS + _OPT_FLOAT_FIELDS:
        if name not in out or (out[name] is None and name in _OPT_INT_FIELDS + _OPT_FLOAT_FIELDS):
            continue
        value = out[name]
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"{name} must be a number, not {value!r}")
        is_int = name in _INT_FIELDS + _OPT_INT_FIELDS
        try:
            out[name] = int(value) if is_int else float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, not {value!r}") from None
    for name in ("use_lora", "sage_attention", "extend_color_match"):
        if name in out and not isinstance(out[name], bool):
            raise ValueError(f"{name} must be true or false, not {out[name]!r}")
    return out
