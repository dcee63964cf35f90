"""What each node class does in the stand-in: time spent, progress sent, values and files made.

Unknown classes pass values through by type (an IMAGE output takes the first IMAGE input), so any
graph that validates also runs. Samplers report one `progress` per step; loaders, encoders and
VAE decode take ``faults.node_seconds`` and report nothing, like the real nodes.
"""

from __future__ import annotations

import random
import string
import time
from typing import Any, Callable

from .catalog import model_folder_for
from .media import (Frames, Latent, Opaque, Video, encode_preview, image_size, interpolated_count,
                    next_save_path, probe_video, wan_decoded_frames, write_png)
from .writers import write_video

SAMPLERS = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")


class Interrupted(Exception):
    """The interrupt flag was seen (ComfyUI's InterruptProcessingException)."""


class Stopped(Exception):
    """The stand-in itself is stopping or dying: abandon the prompt without history."""


class NodeError(Exception):
    """A node failed; carries what ComfyUI's execution_error reports."""

    def __init__(self, exception_type: str, message: str, *, function: str = "execute",
                 source_line: str = "raise", module_file: str = "nodes.py", line: int = 1) -> None:
        super().__init__(message)
        self.exception_type = exception_type
        self.message = message
        self.function = function
        self.source_line = source_line
        self.module_file = module_file
        self.line = line

    @property
    def is_oom(self) -> bool:
        return self.exception_type.endswith("OutOfMemoryError")


def oom(message: str) -> NodeError:
    return NodeError("torch.OutOfMemoryError", message, function="forward",
                     source_line="raise torch.OutOfMemoryError(message)",
                     module_file="comfy/ldm/modules/attention.py", line=348)


class NodeRun:
    """One node execution: its inputs and the hooks it may call."""

    def __init__(self, job: Any, node_id: str, class_type: str, inputs: dict[str, Any]) -> None:
        self.job = job
        self.node_id = node_id
        self.class_type = class_type
        self.inputs = inputs
        self.faults = job.s.faults
        self.folders = job.s.folders
        self.console: Callable[[str], None] = job.s.console

    def check_interrupt(self) -> None:
        if self.job.executor.interrupted.is_set():
            raise Interrupted()

    def sleep(self, seconds: float) -> None:
        """Spend time; ends early only when the server stops (interrupts wait, like ComfyUI)."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            left = deadline - time.monotonic()
            if self.job.s.stopping.is_set():
                raise Stopped()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))

    def progress(self, value: int, total: int, preview: tuple[str, bytes] | None = None) -> None:
        self.job.report_progress(self.node_id, value, total, preview)

    def mid_job(self) -> None:
        self.job.mid_job()

    def get(self, name: str, default: Any = None) -> Any:
        return self.inputs.get(name, default)

    def upstream(self, name: str) -> dict | None:
        """The prompt node linked to input ``name`` (to read a scheduler's steps)."""
        value = self.job.prompt[self.node_id]["inputs"].get(name)
        if isinstance(value, list) and len(value) == 2:
            return self.job.prompt.get(value[0])
        return None


Impl = Callable[[NodeRun], tuple[tuple, dict | None]]
_IMPLS: dict[str, Impl] = {}


def node(*names: str) -> Callable[[Impl], Impl]:
    def register(fn: Impl) -> Impl:
        for name in names:
            _IMPLS[name] = fn
        return fn
    return register


def run_node(run: NodeRun) -> tuple[tuple, dict | None]:
    """Apply scripted faults, then the class's behaviour (or the generic pass-through)."""
    faults = run.faults
    if faults.matches(faults.oom_at_node, run.node_id, run.class_type):
        raise oom(faults.oom_message)
    if faults.matches(faults.error_at_node, run.node_id, run.class_type):
        raise NodeError(faults.error_type, faults.error_message)
    impl = _IMPLS.get(run.class_type, _generic)
    return impl(run)


# -- generic ------------------------------------------------------------------------------------

def _generic(run: NodeRun) -> tuple[tuple, dict | None]:
    run.sleep(run.faults.seconds_for(run.class_type))
    outputs = []
    for kind in run.job.s.catalog.output_types(run.class_type):
        outputs.append(_make_output(run, kind))
    return tuple(outputs), None


def _make_output(run: NodeRun, kind: Any) -> Any:
    wanted = {"IMAGE": Frames, "LATENT": Latent, "VIDEO": Video}.get(kind)
    if wanted is not None:
        for value in run.inputs.values():
            if isinstance(value, wanted):
                return value
        if kind == "LATENT" and isinstance(run.get("width"), int) and isinstance(run.get("height"), int):
            length = run.get("length")
            frames = wan_decoded_frames(length) if isinstance(length, int) else 1
            return Latent(run.get("width"), run.get("height"), frames, run.get("batch_size", 1) or 1,
                          length if isinstance(length, int) else None)
    return Opaque(kind if isinstance(kind, str) else "COMBO", run.class_type)


# -- loaders, encoders, model patches -----------------------------------------------------------

@node("UNETLoader", "CLIPLoader", "VAELoader", "LoraLoaderModelOnly", "CLIPVisionLoader",
      "CheckpointLoaderSimple", "LoraLoader", "DualCLIPLoader", "UpscaleModelLoader")
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
    except Exception as ex:  # noqa: BLE001 - reported like PIL would
        raise NodeError("PIL.UnidentifiedImageError", f"cannot identify image file '{path}'",
                        function="load_image", source_line="img = node_helpers.pillow(Image.open, image_path)") from ex
    run.sleep(run.faults.seconds_for(run.class_type))
    return (Frames(width, height, 1, str(path)), Opaque("MASK")), None


@node("LoadVideo")
def _load_video(run: NodeRun) -> tuple[tuple, dict | None]:
    count, fps, width, height, path = _probe(run, str(run.get("file")))
    return (Video(Frames(width, height, count, str(path)), fps),), None


@node("VHS_LoadVideo")
def _vhs_load_video(run: NodeRun) -> tuple[tuple, dict | None]:
    count, fps, width, height, path = _probe(run, str(run.get("video")))
    force_rate = float(run.get("force_rate") or 0)
    if force_rate and fps:
        count = max(1, int(count * force_rate / fps))
    count = max(0, count - int(run.get("skip_first_frames") or 0))
    count = -(-count // max(1, int(run.get("select_every_nth") or 1)))
    cap = int(run.get("frame_load_cap") or 0)
    if cap:
        count = min(count, cap)
    width = int(run.get("custom_width") or 0) or width
    height = int(run.get("custom_height") or 0) or height
    frames = Frames(width, height, count, str(path))
    return (frames, count, Opaque("AUDIO"), Opaque("VHS_VIDEOINFO", f"{fps} fps")), None


def _probe(run: NodeRun, name: str) -> tuple[int, float, int, int, Any]:
    path = run.folders.annotated_path(name)
    try:
        count, fps, width, height = probe_video(path)
    except Exception as ex:  # noqa: BLE001
        raise NodeError("RuntimeError", f"Invalid video file: {name} ({ex})",
                        function="load_video", source_line="container = av.open(file)") from ex
    run.sleep(run.faults.seconds_for(run.class_type))
    return count, fps, width, height, path


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

@node("WanImageToVideo")
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


# -- video ----------------------------------------------------------------------------------------

@node("CreateVideo")
def _create_video(run: NodeRun) -> tuple[tuple, dict | None]:
    return (Video(run.get("images"), float(run.get("fps"))),), None


@node("GetVideoComponents")
def _video_components(run: NodeRun) -> tuple[tuple, dict | None]:
    video: Video = run.get("video")
    return (video.frames, Opaque("AUDIO"), float(video.fps)), None


@node("RIFE VFI", "FILM VFI", "FrameInterpolate")
def _interpolate(run: NodeRun) -> tuple[tuple, dict | None]:
    frames: Frames = run.get("frames", run.get("images"))
    multiplier = int(run.get("multiplier"))
    run.sleep(run.faults.seconds_for(run.class_type) + 0.001 * frames.count)
    if run.class_type != "FrameInterpolate":
        run.console("Comfy-VFI: Final clearing cache... Done cache clearing")
    return (Frames(frames.width, frames.height, interpolated_count(frames.count, multiplier), frames.source),), None


@node("SaveVideo")
def _save_video(run: NodeRun) -> tuple[tuple, dict | None]:
    video: Video = run.get("video")
    path, filename, subfolder = next_save_path(run.folders.output, str(run.get("filename_prefix")), "mp4",
                                               width=video.frames.width, height=video.frames.height)
    write_video(path, video.frames, video.fps)
    return (), {"images": [{"filename": filename, "subfolder": subfolder, "type": "output"}],
                "animated": [True]}


@node("VHS_VideoCombine")
def _vhs_combine(run: NodeRun) -> tuple[tuple, dict | None]:
    frames: Frames = run.get("images")
    fmt = str(run.get("format"))
    save_output = run.get("save_output", True)
    kind = "output" if save_output else "temp"
    folder = run.folders.output if save_output else run.folders.temp
    if run.get("pingpong"):
        frames = Frames(frames.width, frames.height, max(1, frames.count * 2 - 2), frames.source)
    ext = {"image/gif": "gif", "image/webp": "webp", "video/webm": "webm", "video/av1-webm": "webm",
           "video/ProRes": "mov", "video/ffv1-mkv": "mkv"}.get(fmt, "mp4")
    path, filename, subfolder = next_save_path(folder, str(run.get("filename_prefix")), ext,
                                               trailing_underscore=False)
    rate = float(run.get("frame_rate"))
    write_png(path.with_suffix(".png"), frames)  # VHS saves the workflow in a first-frame png
    write_video(path, frames, rate)
    entry = {"filename": filename, "subfolder": subfolder, "type": kind, "format": fmt,
             "frame_rate": rate, "workflow": path.with_suffix(".png").name, "fullpath": str(path)}
    return (("VHS_FILENAMES", [str(path.with_suffix(".png")), str(path)]),), {"gifs": [entry]}


@node("SaveImage", "PreviewImage")
def _save_image(run: NodeRun) -> tuple[tuple, dict | None]:
    frames: Frames = run.get("images")
    if run.class_type == "PreviewImage":
        folder, kind = run.folders.temp, "temp"
        prefix = "ComfyUI_temp_" + "".join(random.choice(string.ascii_lowercase) for _ in range(5))
    else:
        folder, kind, prefix = run.folders.output, "output", str(run.get("filename_prefix"))
    images = []
    for index in range(frames.count):
        path, filename, subfolder = next_save_path(folder, prefix, "png")
        write_png(path, frames, index)
        images.append({"filename": filename, "subfolder": subfolder, "type": kind})
    return (), {"images": images}


@node("SaveImageWebsocket")
def _save_ws(run: NodeRun) -> tuple[tuple, dict | None]:
    frames: Frames = run.get("images")
    for index in range(frames.count):
        run.sleep(run.faults.seconds_for(run.class_type))  # encoding one full-size PNG
        run.progress(index, frames.count, ("PNG", encode_preview(frames, index, "PNG")))
    return (), None
