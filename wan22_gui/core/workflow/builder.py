"""Build the API-format graph of the official Wan 2.2 14B image-to-video workflow.

The graph is the two-pass template (high-noise model for the first steps, low-noise model for
the rest) with the template's own node ids, so a built graph can be diffed against the template
and a history entry reads like the workflow people know. Pure functions: no I/O, no server.

On top of the template: the user's LoRAs (`spec.loras`) are chained as LoraLoaderModelOnly
nodes right after each expert's loader, a `.gguf` expert is loaded with UnetLoaderGGUF, and the
3-phase split (`spec.phases == 3`) adds a first high-noise pass on the model *without* the speed
LoRA (its own shift node, at its own CFG) before the two template passes:

    loader → user LoRAs ─┬─ (sage) → shift ──────────── pass 1: steps 0..p1, CFG p1, adds noise
                         └─ speed LoRA → (sage) → shift ─ pass 2: steps p1..split, CFG 1
    low loader → user LoRAs → speed LoRA → (sage) → shift ─ pass 3: steps split..end
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow.experts import is_gguf
from wan22_gui.core.workflow.spec import JobSpec

# KSamplerAdvanced.noise_seed accepts 0..2**64-1 (its `max` in /object_info).
SEED_MAX = 2**64 - 1
# Pass 2 of the 20-step template runs "to the end"; the sampler clamps it to `steps`.
TO_THE_END = 10000
DEFAULT_FILENAME_PREFIX = "video/ComfyUI"
END_IMAGE_ID = "118"  # ours, after the Sage Attention nodes (116, 117)
# Ours too, well above the template's and other features' ids: the user's LoRAs (high noise
# from 200, low noise from 220) and the 3-phase split's first-phase nodes.
USER_LORA_BASE = {"high": 200, "low": 220}
PHASE1_IDS = {"sage_base": "240", "shift_base": "241", "sampler_mid": "242"}

# Node ids of the template's two groups: the active 4-step LoRA group and the bypassed
# 20-step group. Ids 116+ are ours (the template's last node id is 115).
_LORA_IDS = {
    "unet_high": "95", "unet_low": "96", "lora_high": "101", "lora_low": "102",
    "sage_high": "116", "sage_low": "117", "shift_high": "104", "shift_low": "103",
    "text_encode": "84", "vae": "90", "positive": "93", "negative": "89", "image": "97",
    "latent": "98", "sampler_high": "86", "sampler_low": "85", "vae_decode": "87",
    "create_video": "94", "save": "108",
}
_BASE_IDS = {
    "unet_high": "37", "unet_low": "56", "sage_high": "116", "sage_low": "117",
    "shift_high": "54", "shift_low": "55", "text_encode": "38", "vae": "39", "positive": "6",
    "negative": "7", "image": "62", "latent": "63", "sampler_high": "57", "sampler_low": "58",
    "vae_decode": "8", "create_video": "109", "save": "61",
}


@dataclass(frozen=True)
class BuiltWorkflow:
    """An API graph ready for POST /prompt.

    Attributes:
        graph: node id -> {"class_type", "inputs", "_meta": {"title"}}.
        roles: role name -> node id ("image", "latent", "positive", "negative",
            "sampler_high", "sampler_low", "text_encode", "unet_high", "unet_low",
            "vae_decode", "create_video", "fps", "save", and where present "lora_high",
            "lora_low", "shift_high", "shift_low", "sage_high", "sage_low", "vae"; with
            `spec.loras` "user_lora_high_<i>" / "user_lora_low_<i>"; with 3 phases
            "sampler_mid" (the high-noise pass with the speed LoRA; "sampler_high" is the
            first pass, which adds the noise), "shift_base" and "sage_base").
        seed: the noise seed used by pass 1 (drawn when the spec had none).
    """

    graph: dict[str, dict[str, Any]]
    roles: dict[str, str]
    seed: int = 0


def random_seed() -> int:
    """A fresh seed in the range KSamplerAdvanced accepts."""
    import secrets  # here: it loads OpenSSL, which the app's start-up does not need

    return secrets.randbelow(SEED_MAX + 1)


def build_wan_i2v(spec: JobSpec, uploaded_image_name: str, *,
                  end_image_name: str | None = None) -> BuiltWorkflow:
    """The API graph for `spec`, loading `uploaded_image_name` (the name /upload/image returned).
    With `end_image_name` (the uploaded `spec.end_image`) the latent is ComfyUI's core
    `WanFirstLastFrameToVideo`, pinned to the start and the end image.

    Raises:
        WorkflowError: when the spec cannot make a valid graph (size, frames, steps).
    """
    problems = spec.problems()
    if problems:
        raise WorkflowError("These settings cannot be run: " + " ".join(problems),
                            hint="Fix the values in the form and try again.")
    if not uploaded_image_name:
        raise WorkflowError("No start image was given.", hint="Choose an image to animate.")
    if spec.end_image and not end_image_name:
        raise WorkflowError("The end image was not uploaded.",
                            hint="The job runner uploads it; build with end_image_name.")
    seed = random_seed() if spec.seed is None else int(spec.seed)
    if not 0 <= seed <= SEED_MAX:
        raise WorkflowError(f"The seed must be between 0 and {SEED_MAX}, not {seed}.")
    ids = dict(_LORA_IDS if spec.use_lora else _BASE_IDS)
    if not spec.sage_attention:
        ids.pop("sage_high"), ids.pop("sage_low")
    ids["fps"] = ids["create_video"]  # the node whose input sets the frame rate
    if end_image_name:
        ids["end_image"] = END_IMAGE_ID
    if spec.phases == 3:
        ids.update({k: v for k, v in PHASE1_IDS.items()
                    if spec.sage_attention or k != "sage_base"})
    graph: dict[str, dict[str, Any]] = {}
    _add_models(graph, ids, spec)
    _add_conditioning(graph, ids, spec, uploaded_image_name, end_image_name)
    _add_samplers(graph, ids, spec, seed)
    _add_output(graph, ids, spec)
    return BuiltWorkflow(graph=graph, roles=ids, seed=seed)


def _node(class_type: str, title: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs, "_meta": {"title": title}}


def _link(node_id: str, slot: int = 0) -> list[Any]:
    return [node_id, slot]


def _add_models(graph: dict, ids: dict[str, str], spec: JobSpec) -> None:
    """Loader -> user LoRAs -> (4-step LoRA) -> (SageAttention) -> ModelSamplingSD3, per
    expert; with 3 phases also the high-noise branch without the 4-step LoRA."""
    m = spec.models
    for half, unet_name, lora_name, strength in (
        ("high", m.unet_high, m.lora_high, spec.lora_strength_high),
        ("low", m.unet_low, m.lora_low, spec.lora_strength_low),
    ):
        label = f"{half} noise"
        graph[ids[f"unet_{half}"]] = _loader(unet_name, m.weight_dtype, label)
        model = _add_user_loras(graph, ids, spec, half, _link(ids[f"unet_{half}"]))
        if half == "high" and spec.phases == 3:  # the first phase's model: no speed LoRA
            _add_patches(graph, ids, spec, "base", model, f"{label}, no speed LoRA")
        if spec.use_lora:
            graph[ids[f"lora_{half}"]] = _node(
                "LoraLoaderModelOnly", f"4-step LoRA ({label})",
                model=model, lora_name=lora_name, strength_model=float(strength))
            model = _link(ids[f"lora_{half}"])
        _add_patches(graph, ids, spec, half, model, label)


def _loader(unet_name: str, weight_dtype: str, label: str) -> dict[str, Any]:
    """UNETLoader, or the GGUF pack's UnetLoaderGGUF for a `.gguf` file (it takes no dtype)."""
    if is_gguf(unet_name):
        return _node("UnetLoaderGGUF", f"Unet Loader (GGUF) ({label})", unet_name=unet_name)
    return _node("UNETLoader", f"Load Diffusion Model ({label})",
                 unet_name=unet_name, weight_dtype=weight_dtype)


def _add_user_loras(graph: dict, ids: dict[str, str], spec: JobSpec, half: str,
                    model: list[Any]) -> list[Any]:
    """One LoraLoaderModelOnly per user LoRA with a non-zero strength on this expert."""
    for index, lora in enumerate(spec.loras):
        strength = lora.strength(half)
        if strength == 0:
            continue  # a LoRA meant for the other expert only
        node_id = str(USER_LORA_BASE[half] + index)
        ids[f"user_lora_{half}_{index}"] = node_id
        graph[node_id] = _node("LoraLoaderModelOnly", f"LoRA {lora.name} ({half} noise)",
                               model=model, lora_name=lora.name, strength_model=float(strength))
        model = _link(node_id)
    return model


def _add_patches(graph: dict, ids: dict[str, str], spec: JobSpec, branch: str,
                 model: list[Any], label: str) -> None:
    """(SageAttention) -> ModelSamplingSD3 for one branch ("high", "low" or "base")."""
    if spec.sage_attention:
        graph[ids[f"sage_{branch}"]] = _node(
            "PathchSageAttentionKJ", f"Sage Attention ({label})",
            model=model, sage_attention=spec.sage_attention_mode)
        model = _link(ids[f"sage_{branch}"])
    graph[ids[f"shift_{branch}"]] = _node(
        "ModelSamplingSD3", f"Shift ({label})", model=model, shift=float(spec.sampling().shift))


def _add_conditioning(graph: dict, ids: dict[str, str], spec: JobSpec, image: str,
                      end_image: str | None = None) -> None:
    """Text encoder, prompts, VAE, start (and end) image and the WanImageToVideo (or
    WanFirstLastFrameToVideo) latent."""
    m = spec.models
    graph[ids["text_encode"]] = _node(
        "CLIPLoader", "Load CLIP", clip_name=m.text_encoder, type="wan", device="default")
    graph[ids["positive"]] = _node(
        "CLIPTextEncode", "CLIP Text Encode (Positive Prompt)",
        text=spec.prompt, clip=_link(ids["text_encode"]))
    graph[ids["negative"]] = _node(
        "CLIPTextEncode", "CLIP Text Encode (Negative Prompt)",
        text=spec.negative_prompt, clip=_link(ids["text_encode"]))
    graph[ids["vae"]] = _node("VAELoader", "Load VAE", vae_name=m.vae)
    graph[ids["image"]] = _node("LoadImage", "Load Image", image=image)
    common = dict(positive=_link(ids["positive"]), negative=_link(ids["negative"]),
                  vae=_link(ids["vae"]), width=int(spec.width), height=int(spec.height),
                  length=int(spec.frames), batch_size=1, start_image=_link(ids["image"]))
    if end_image:
        graph[ids["end_image"]] = _node("LoadImage", "Load Image (end frame)", image=end_image)
        graph[ids["latent"]] = _node("WanFirstLastFrameToVideo", "WanFirstLastFrameToVideo",
                                     end_image=_link(ids["end_image"]), **common)
    else:
        graph[ids["latent"]] = _node("WanImageToVideo", "WanImageToVideo", **common)


def _add_samplers(graph: dict, ids: dict[str, str], spec: JobSpec, seed: int) -> None:
    """Pass 1 adds noise and stops at the split; pass 2 finishes without new noise. With 3
    phases pass 1 (no speed LoRA, its own CFG) stops at `phase1_steps` and a middle pass on
    the high-noise model with the LoRA continues to the split."""
    s = spec.sampling()
    latent = ids["latent"]
    common = {
        "steps": s.steps, "cfg": _number(s.cfg), "sampler_name": spec.sampler_name,
        "scheduler": spec.scheduler, "positive": _link(latent, 0), "negative": _link(latent, 1),
    }
    first_end, handover = s.split_step, ids["sampler_high"]
    if spec.phases == 3:
        first_end, first_cfg = spec.phase1()
        handover = ids["sampler_mid"]
        graph[handover] = _node(
            "KSamplerAdvanced", "KSampler (Advanced) - pass 2, high noise with the speed LoRA",
            model=_link(ids["shift_high"]), add_noise="disable", noise_seed=0, **common,
            latent_image=_link(ids["sampler_high"]), start_at_step=first_end,
            end_at_step=s.split_step, return_with_leftover_noise="enable")
        common = {**common, "cfg": _number(first_cfg)}
    graph[ids["sampler_high"]] = _node(
        "KSamplerAdvanced", "KSampler (Advanced) - pass 1, high noise" +
        (" without the speed LoRA" if spec.phases == 3 else ""),
        model=_link(ids["shift_base" if spec.phases == 3 else "shift_high"]),
        add_noise="enable", noise_seed=seed, **common,
        latent_image=_link(latent, 2), start_at_step=0, end_at_step=first_end,
        return_with_leftover_noise="enable")
    common["cfg"] = _number(s.cfg)
    graph[ids["sampler_low"]] = _node(
        "KSamplerAdvanced", f"KSampler (Advanced) - pass {spec.phases}, low noise",
        model=_link(ids["shift_low"]), add_noise="disable", noise_seed=0, **common,
        latent_image=_link(handover), start_at_step=s.split_step,
        # Each template variant's own value, so built graphs match them exactly.
        end_at_step=s.steps if spec.use_lora else TO_THE_END,
        return_with_leftover_noise="disable")


def _add_output(graph: dict, ids: dict[str, str], spec: JobSpec) -> None:
    """Decode, make the video at `fps`, save it under the filename prefix."""
    graph[ids["vae_decode"]] = _node(
        "VAEDecode", "VAE Decode", samples=_link(ids["sampler_low"]), vae=_link(ids["vae"]))
    graph[ids["create_video"]] = _node(
        "CreateVideo", "Create Video", images=_link(ids["vae_decode"]), fps=_number(spec.fps))
    graph[ids["save"]] = _node(
        "SaveVideo", "Save Video", video=_link(ids["create_video"]),
        filename_prefix=spec.filename_prefix or DEFAULT_FILENAME_PREFIX,
        format="auto", codec="auto")


def _number(value: float) -> int | float:
    """Whole numbers as int (the template writes `cfg: 1`, `fps: 16`); others as float."""
    return int(value) if float(value).is_integer() else float(value)
