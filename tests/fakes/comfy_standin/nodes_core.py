"""Behaviour of loaders, image helpers, the Wan latent, samplers and VAE decode.

Samplers report one `progress` per step (KSamplerAdvanced: the steps of its start..end slice);
loaders, encoders and VAE decode take ``faults.node_seconds`` and report nothing, like the real
nodes.
"""

from __future__ import annotations

from tests.fakes.comfy_standin.catalog import model_folder_for
from tests.fakes.comfy_standin.media import Frames, Latent, Opaque, encode_preview, image_frames, image_size, wan_decoded_frames
from tests.fakes.comfy_standin.noderun import NodeError, NodeRun, node, oom

SAMPLERS = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")


# -- loaders, encoders, model patches -----------------------------------------------------------

@node("UNETLoader", "CLIPLoader", "VAELoader", "LoraLoaderModelOnly", "CLIPVisionLoader",
      "CheckpointLoaderSimple", "LoraLoader", "DualCLIPLoader", "UpscaleModelLoader",
      "UnetLoaderGGUF", "UnetLoaderGGUFAdvanced")
def _loader(run: NodeRun) -> tuple[tuple, dict | None]:
    if run.faults.fail_empty_model_files:
        for name, value in run.inputs.items():
            folder = model_folder_for(run.class_type, name)
            path = run.folders.model_path(folder, str(value)) if folder else None
            if path is not None and path.stat().st_size == 0:
                raise NodeError("safetensors._safetensors_rust.SafetensorError",
                                "Error while deserializing header: header too small",
                                function="load_torch_file", module_file="comfy/utils.py", line=59,
                                source_line='with safetensors.safe_open(ckpt, framework="pt", '
                                            'device=device.type) as f:')
    run.sleep(run.faults.seconds_for(run.class_type))
    label = next((v for v in run.inputs.values() if isinstance(v, str)), "")
    return tuple(Opaque(kind, label) for kind in run.job.s.catalog.output_types(run.class_type)), None


@node("PathchSageAttentionKJ")
def _sage(run: NodeRun) -> tuple[tuple, dict | None]:
    if run.get("sage_attention") != "disabled" and run.faults.sage_missing:
        raise NodeError("ModuleNotFoundError", "No module named 'sageattention'",
                        function="patch", source_line="from sageattention import sageattn",
                        module_file="custom_nodes/ComfyUI-KJNodes/nodes/model_optimization_nodes.py")
    run.sleep(run.faults.seconds_for(run.class_type))
    return (run.get("model"),), None


@node("LoadImage")
def _load_image(run: NodeRun) -> tuple[tuple, dict | None]:
    path = run.folders.annotated_path(str(run.get("image")))
    try:
        width, height = image_size(path)
        count = image_frames(path)
    except Exception as ex:  # noqa: BLE001 - reported like PIL would
        raise NodeError("PIL.UnidentifiedImageError", f"cannot identify image file '{path}'",
                        function="load_image", source_line="img = node_helpers.pillow(Image.open, image_path)") from ex
    run.sleep(run.faults.seconds_for(run.class_type))
    return (Frames(width, height, count, str(path)), Opaque("MASK")), None


# -- image batch helpers ------------------------------------------------------------------------

@node("EmptyImage")
def _empty_image(run: NodeRun) -> tuple[tuple, dict | None]:
    return (Frames(int(run.get("width")), int(run.get("height")), int(run.get("batch_size"))),), None


@node("ImageScale")
def _image_scale(run: NodeRun) -> tuple[tuple, dict | None]:
    image: Frames = run.get("image")
    width, height = int(run.get("width")), int(run.get("height"))
    if width == 0 and height == 0:
        width, height = image.width, image.height
    elif width == 0:
        width = max(1, round(image.width * height / image.height))
    elif height == 0:
        height = max(1, round(image.height * width / image.width))
    run.sleep(run.faults.seconds_for(run.class_type))
    return (Frames(width, height, image.count, image.source),), None


@node("ImageScaleBy")
def _image_scale_by(run: NodeRun) -> tuple[tuple, dict | None]:
    image: Frames = run.get("image")
    scale = float(run.get("scale_by"))
    return (Frames(round(image.width * scale), round(image.height * scale), image.count, image.source),), None


@node("RepeatImageBatch")
def _repeat(run: NodeRun) -> tuple[tuple, dict | None]:
    image: Frames = run.get("image")
    return (Frames(image.width, image.height, image.count * int(run.get("amount")), image.source),), None


# -- Wan latent, samplers, decode ---------------------------------------------------------------

@node("WanImageToVideo", "WanFirstLastFrameToVideo")  # the end image only steers the model
def _wan_i2v(run: NodeRun) -> tuple[tuple, dict | None]:
    start: Frames | None = run.get("start_image")
    length = int(run.get("length"))
    latent = Latent(int(run.get("width")), int(run.get("height")), wan_decoded_frames(length),
                    int(run.get("batch_size", 1)), length, start.source if start else None)
    run.sleep(run.faults.seconds_for(run.class_type))
    return (Opaque("CONDITIONING", "positive"), Opaque("CONDITIONING", "negative"), latent), None


def _sampler_steps(run: NodeRun) -> int:
    if run.class_type == "KSamplerAdvanced":
        steps = int(run.get("steps"))
        last = min(int(run.get("end_at_step")), steps)
        start = int(run.get("start_at_step"))
        return last - start if start < last else 0
    if run.class_type == "KSampler":
        return int(run.get("steps"))
    scheduler = run.upstream("sigmas")
    steps = (scheduler or {}).get("inputs", {}).get("steps")
    return int(steps) if isinstance(steps, int) else 20


@node(*SAMPLERS)
def _sampler(run: NodeRun) -> tuple[tuple, dict | None]:
    latent = run.get("latent_image")
    limit = run.faults.oom_above_frames
    if limit is not None and isinstance(latent, Latent) and (latent.length or latent.frames) > limit:
        raise oom(run.faults.oom_message)
    steps = _sampler_steps(run)
    frames = Frames(latent.width, latent.height, 1, latent.source) if isinstance(latent, Latent) else None
    for step in range(1, steps + 1):
        run.sleep(run.faults.step_seconds)
        if step > steps // 2:
            run.mid_job()
        preview = ("JPEG", encode_preview(frames, step)) if run.faults.preview else None
        run.progress(step, steps, preview)
    outputs = (latent,) if run.class_type != "SamplerCustom" and run.class_type != "SamplerCustomAdvanced" \
        else (latent, latent)
    return outputs, None


@node("HarnessSlowProgress")
def _harness_progress(run: NodeRun) -> tuple[tuple, dict | None]:
    images: Frames = run.get("images")
    steps = int(run.get("steps"))
    for step in range(1, steps + 1):
        run.sleep(float(run.get("seconds_per_step")))
        if step > steps // 2:
            run.mid_job()
        preview = ("JPEG", encode_preview(images, step)) if run.get("send_preview") else None
        run.progress(step, steps, preview)
    return (images,), None


@node("HarnessRaiseOOM")
def _harness_oom(run: NodeRun) -> tuple[tuple, dict | None]:
    raise NodeError("torch.OutOfMemoryError", str(run.get("message")), function="run",
                    source_line="raise torch.OutOfMemoryError(message)",
                    module_file="custom_nodes/comfy_harness_nodes.py", line=47)


@node("VAEDecode", "VAEDecodeTiled")
def _vae_decode(run: NodeRun) -> tuple[tuple, dict | None]:
    latent: Latent = run.get("samples")
    run.sleep(run.faults.seconds_for(run.class_type))
    return (Frames(latent.width, latent.height, latent.frames * latent.batch, latent.source),), None
