"""Phase names of a generation job and the `PhaseEvent` the runner publishes.

The phase names are a contract: the telemetry graph draws them as bands, history stores their
durations and the benchmark aggregates them. Which phase a ComfyUI node belongs to is decided
from the workflow's roles first (the builder and importer know which sampler is which pass) and
from the node's class second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, Mapping

UPLOAD = "upload"
QUEUED = "queued"
TEXT_ENCODE = "text_encode"
VAE_ENCODE = "vae_encode"
MODEL_LOAD = "model_load"
HIGH_NOISE = "high_noise"
LOW_NOISE = "low_noise"
VAE_DECODE = "vae_decode"
SAVE = "save"
INTERPOLATE = "interpolate"
DOWNLOAD = "download"

# In the order a job normally passes through them.
PHASES: tuple[str, ...] = (
    UPLOAD, QUEUED, TEXT_ENCODE, MODEL_LOAD, VAE_ENCODE, HIGH_NOISE, LOW_NOISE, VAE_DECODE,
    SAVE, INTERPOLATE, DOWNLOAD,
)

# Marks are instants, not spans (state "mark").
JOB_START = "job_start"
JOB_END = "job_end"
ERROR = "error"
OOM = "oom"
MARKS: tuple[str, ...] = (JOB_START, JOB_END, ERROR, OOM)

PHASE_TITLES: dict[str, str] = {
    UPLOAD: "Upload",
    QUEUED: "Waiting in queue",
    TEXT_ENCODE: "Text encode",
    VAE_ENCODE: "VAE encode (start image)",
    MODEL_LOAD: "Model load",
    HIGH_NOISE: "High-noise pass",
    LOW_NOISE: "Low-noise pass",
    VAE_DECODE: "VAE decode",
    SAVE: "Video save",
    INTERPOLATE: "Interpolation",
    DOWNLOAD: "Download",
}

PhaseState = Literal["start", "end", "mark"]


@dataclass(frozen=True)
class PhaseEvent:
    """A phase starting or ending, or an instant mark, of one job.

    Attributes:
        job_id: the app's job id (not ComfyUI's prompt id).
        phase: one of PHASES, or one of MARKS when state is "mark".
        state: "start", "end" or "mark".
        t: wall clock, `time.time()` seconds.
        detail: free text for tooltips (node title, error summary, ...).
    """

    job_id: str
    phase: str
    state: PhaseState
    t: float
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


# Roles (from the workflow builder/importer) whose node decides the phase outright.
ROLE_PHASES: dict[str, str] = {
    "text_encode": TEXT_ENCODE,
    "positive": TEXT_ENCODE,
    "negative": TEXT_ENCODE,
    "unet_high": MODEL_LOAD,
    "unet_low": MODEL_LOAD,
    "sampler_high": HIGH_NOISE,
    "sampler_mid": HIGH_NOISE,  # the 3-phase split's second pass (high noise, speed LoRA)
    "sampler_low": LOW_NOISE,
    "vae_decode": VAE_DECODE,
    "create_video": SAVE,
    "save": SAVE,
    "interpolate": INTERPOLATE,
    "vfi": INTERPOLATE,  # RIFE/FILM after the decode (interpolation.comfy_vfi.append_vfi)
    "vfi_save": SAVE,
}

# Fallback by node class, for nodes no role names (loaders, patches, custom save nodes).
CLASS_PHASES: dict[str, str] = {
    "CLIPLoader": TEXT_ENCODE,
    "DualCLIPLoader": TEXT_ENCODE,
    "CLIPTextEncode": TEXT_ENCODE,
    "CLIPVisionLoader": TEXT_ENCODE,
    "CLIPVisionEncode": TEXT_ENCODE,
    "UNETLoader": MODEL_LOAD,
    "UnetLoaderGGUF": MODEL_LOAD,
    "CheckpointLoaderSimple": MODEL_LOAD,
    "LoraLoader": MODEL_LOAD,
    "LoraLoaderModelOnly": MODEL_LOAD,
    "ModelSamplingSD3": MODEL_LOAD,
    "PathchSageAttentionKJ": MODEL_LOAD,
    "PatchFlashAttentionKJ": MODEL_LOAD,
    "VAELoader": MODEL_LOAD,
    "VAEEncode": VAE_ENCODE,  # the i2v latent nodes below encode the start image with the VAE
    "WanImageToVideo": VAE_ENCODE,
    "Wan22ImageToVideoLatent": VAE_ENCODE,
    "WanFirstLastFrameToVideo": VAE_ENCODE,
    "WanFunInpaintToVideo": VAE_ENCODE,
    "WanVaceToVideo": VAE_ENCODE,
    "VAEDecode": VAE_DECODE,
    "VAEDecodeTiled": VAE_DECODE,
    "CreateVideo": SAVE,
    "SaveVideo": SAVE,
    "SaveWEBM": SAVE,
    "SaveAnimatedWEBP": SAVE,
    "VHS_VideoCombine": SAVE,
    "RIFE VFI": INTERPOLATE,
    "FILM VFI": INTERPOLATE,
    "FrameInterpolate": INTERPOLATE,
    "FrameInterpolationModelLoader": INTERPOLATE,  # loads RIFE/FILM weights for FrameInterpolate
}

# Sampler classes whose pass is decided by role only (a lone sampler counts as high noise).
SAMPLER_CLASSES = frozenset({"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"})


def node_phases(graph: Mapping[str, Mapping], roles: Mapping[str, str] | None) -> dict[str, str]:
    """Map each node id of an API graph to its phase; nodes of no phase are left out.

    Args:
        graph: API-format graph (node id -> {"class_type", "inputs"}).
        roles: role -> node id, from the builder or importer (may be partial or None).

    Returns:
        node id -> phase name. Roles win over classes, so the two KSamplerAdvanced nodes of the
        Wan template land in `high_noise` and `low_noise`.
    """
    result: dict[str, str] = {}
    samplers: list[str] = []
    for node_id, node in graph.items():
        class_type = str(node.get("class_type", ""))
        if class_type in CLASS_PHASES:
            result[str(node_id)] = CLASS_PHASES[class_type]
        elif class_type in SAMPLER_CLASSES:
            samplers.append(str(node_id))
    for role, node_id in (roles or {}).items():
        if role in ROLE_PHASES and str(node_id) in graph:
            result[str(node_id)] = ROLE_PHASES[role]
    unassigned = [s for s in samplers if s not in result]
    if unassigned and HIGH_NOISE not in result.values() and LOW_NOISE not in result.values():
        result.update(_sampler_passes(graph, unassigned))
    return result


def _sampler_passes(graph: Mapping[str, Mapping], samplers: list[str]) -> dict[str, str]:
    """Without roles: a sampler fed by another sampler's latent is the low-noise pass."""
    fed_by_sampler = {
        s for s in samplers
        if any(isinstance(v, list) and v and str(v[0]) in samplers
               for v in graph[s].get("inputs", {}).values())
    }
    if len(samplers) == 1:
        return {samplers[0]: HIGH_NOISE}  # a one-pass graph: its only pass counts as high noise
    if len(samplers) == 2 and len(fed_by_sampler) == 1:
        return {s: LOW_NOISE if s in fed_by_sampler else HIGH_NOISE for s in samplers}
    return {}


def phase_title(phase: str) -> str:
    """Human title of a phase ("High-noise pass"); unknown names are returned readable."""
    return PHASE_TITLES.get(phase, phase.replace("_", " ").capitalize())
