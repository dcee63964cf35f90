"""The job side of "extend a clip": which clip, its start frames, and the join at the end.

The job runner calls `start_frames` before the upload and `join_parts` after the download;
the CLI and the GUI call `resolve_clip` to turn a history id or a path into the clip to
continue. The part the server made is kept next to the joined clip: nothing is overwritten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import InputError, Wan22Error
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.video.extend import JoinResult, join_clips, write_start_frames
from wan22_gui.core.video.reader import is_video_file
from wan22_gui.core.video.writer import unique_path
from wan22_gui.core.workflow.spec import JobSpec

log = logging.getLogger("wan22.jobs")

SUBFOLDER = "extend"  # under the output folder: the start frames sent to the server


@dataclass(frozen=True)
class ClipRef:
    """The clip to continue and, when it came from the history, its job id."""

    path: Path
    job_id: str | None = None


def resolve_clip(ref: str, history: HistoryStore | None) -> ClipRef:
    """A history id (its first output) or a path to a video file.

    Raises:
        InputError: neither a known job with a clip nor a video file.
    """
    record = history.get(ref) if history is not None and not Path(ref).exists() else None
    if record is not None:
        clip = next((Path(p) for p in record.outputs if Path(p).exists()), None)
        if clip is None:
            raise InputError(f"Job {ref} has no clip on disk to extend.",
                             "Download it again from the Gallery, or give the clip's path.")
        return ClipRef(clip, record.job_id)
    path = Path(ref).expanduser()
    if not path.is_file():
        raise InputError(f"{ref} is neither a clip nor a job in the history.",
                         "Give a video file or an id from `wan22 history list`.")
    if not is_video_file(path):
        raise InputError(f"{path.name} is not a video file.", "Give the clip to extend (.mp4).")
    return ClipRef(path)


def start_frames(spec: JobSpec, folder: Path, job_id: str) -> tuple[JobSpec, Path]:
    """Write the clip's last `extend_overlap` frames for the upload.

    Returns the spec with `image` set to the first of them (what the history and the gallery
    show as the start picture) and the file to upload (an animated PNG when more than one).
    """
    clip = Path(spec.extend_clip or "")
    still, upload = write_start_frames(clip, spec.extend_overlap, Path(folder) / job_id / clip.stem)
    return spec.replace(image=str(still)), upload


def join_parts(history: HistoryStore, job_id: str, spec: JobSpec, part: Path,
               output_dir: Path) -> JoinResult:
    """Join the clip and the new part. The row's clip is the joined one (the gallery shows the
    chain as one clip); both parts' paths stay in `params["extend_parts"]`, and their files
    stay on disk when the joined clip is deleted.

    Raises:
        Wan22Error: a part cannot be read or the joined clip cannot be written (the part
            stays on disk and in the row).
    """
    first = Path(spec.extend_clip or "")
    dest = unique_path(Path(output_dir), f"{Path(part).stem}_joined")
    result = join_clips(first, part, dest, spec.extend_overlap,
                        color_match=spec.extend_color_match)
    record = history.get(job_id)
    params = dict(record.params if record else spec.to_dict())
    params["extend_parts"] = [str(first), str(part)]
    params["extend_frames"] = {"first": result.first_frames, "second": result.second_frames,
                               "overlap": result.overlap, "joined": result.frames}
    history.update(job_id, outputs=[str(dest)], params=params,
                   parent_id=spec.extend_parent)
    log.info("job %s: joined %s + %s -> %s (%d frames)", job_id, first.name, Path(part).name,
             dest.name, result.frames)
    return result


def join_failed(exc: Wan22Error, part: Path) -> tuple[str, str]:
    """The words for a join that failed after the part was made (the part is kept)."""
    return (f"The new part was saved ({part}), but joining it to the clip failed: {exc}",
            getattr(exc, "hint", "") or "Join them again with `wan22 generate --extend`.")


def continue_spec(base: JobSpec | None, clip: Path, job_id: str | None, size: tuple[int, int],
                  fps: float) -> JobSpec:
    """The job that continues `clip` (made by the job `base` came from, if any): its
    settings with a new seed, the clip's size and rate, no start or end image."""
    spec = (base or JobSpec()).replace(
        image="", end_image=None, seed=None, filename_prefix=None, width=int(size[0]),
        height=int(size[1]), fps=float(fps), extend_clip=str(clip), extend_parent=job_id)
    return spec


def joined_text(clip_frames: int | None, new_frames: int, overlap: int, fps: float) -> str:
    """The calculator line: how long the joined clip will be."""
    from wan22_gui.core.video.extend import joined_length
    from wan22_gui.core.workflow.calculator import describe_duration

    if clip_frames is None:
        return f"Joined: the clip + {new_frames} − {overlap} frames"
    total = joined_length(clip_frames, new_frames, overlap)
    return (f"Joined: {clip_frames} + {new_frames} − {overlap} = "
            f"{describe_duration(total, fps)}")


def extend_request(history: HistoryStore, clip: Any) -> tuple[JobSpec, int]:
    """The job continuing a gallery clip (`library.Clip`) and the clip's frame count: the
    clip's own job's settings when the history has them. Blocks (database, file)."""
    from wan22_gui.core.video.reader import probe

    record = history.get(clip.job_id) if clip.job_id else None
    info = clip.info or probe(Path(clip.path))
    base = JobSpec.from_dict(record.params) if record is not None and \
        record.kind == "generate" and record.params else None
    spec = continue_spec(base, Path(clip.path), record.job_id if record else None,
                         (info.width, info.height), info.fps)
    return spec, int(info.frame_count)
