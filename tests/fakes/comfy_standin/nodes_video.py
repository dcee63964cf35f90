"""Behaviour of the video nodes: loading clips, RIFE/FILM interpolation, saving videos and images.

Save nodes write real files under the stand-in's output (or temp) folder with ComfyUI's names
(``prefix_00001_.mp4``; VideoHelperSuite's ``prefix_00001.mp4``) and return the UI output shapes
a real server reports (``images`` + ``animated`` for SaveVideo, ``gifs`` for VHS_VideoCombine).
"""

from __future__ import annotations

import random
import string
from typing import Any

from tests.fakes.comfy_standin.media import Frames, Opaque, Video, encode_preview, interpolated_count, next_save_path, probe_video, write_png
from tests.fakes.comfy_standin.noderun import NodeError, NodeRun, node
from tests.fakes.comfy_standin.writers import write_video


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
