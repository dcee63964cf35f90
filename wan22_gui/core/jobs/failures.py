"""What went wrong with a job, in words a user can act on, and the fix for a re-queue.

Every failure becomes the `error` dict of a history record: a message, a hint, the phase and
node it happened in, and for an out-of-memory error a concrete `fix` (changed JobSpec fields)
that "Re-queue with fix" applies to a copy of the job.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from wan22_gui.core.jobs.phases import (
    HIGH_NOISE, LOW_NOISE, MODEL_LOAD, TEXT_ENCODE, VAE_DECODE, phase_title,
)

FRAME_STEP = 16  # one second at 16 fps: 81 -> 65 -> 49 -> 33 -> 17
MIN_FRAMES = 17
RESOLUTION_STEP = 0.85  # each retry takes about 15 % off both sides
MIN_SIDE = 256
LOG_TAIL_LINES = 30


def error_info(
    message: str,
    hint: str = "",
    *,
    phase: str | None = None,
    node_id: str | None = None,
    node_type: str | None = None,
    exception_type: str | None = None,
    oom: bool = False,
    log_tail: Sequence[str] = (),
    fix: Mapping[str, Any] | None = None,
    details: str = "",
) -> dict[str, Any]:
    """The `error` dict stored with a failed job (see JobRecord)."""
    return {
        "message": message, "hint": hint, "phase": phase, "node_id": node_id,
        "node_type": node_type, "exception_type": exception_type, "oom": oom,
        "log_tail": list(log_tail)[-LOG_TAIL_LINES:], "fix": dict(fix) if fix else None,
        "details": details,
    }


def _where(phase: str | None, node_id: str | None, node_type: str | None) -> str:
    node = f"node {node_id} ({node_type})" if node_id and node_type else ""
    if phase and node:
        return f"the {phase_title(phase).lower()}, {node}"
    return node or (f"the {phase_title(phase).lower()}" if phase else "an unknown step")


def oom_error(params: Mapping[str, Any], phase: str | None, node_id: str | None,
              node_type: str | None, exception_message: str = "") -> dict[str, Any]:
    """An out-of-memory failure: where it happened, what to change, and the fix to apply."""
    fix = oom_fix(params, phase)
    fixes = []
    if fix and "frames" in fix:
        fixes.append(f"fewer frames ({params.get('frames')} → {fix['frames']})")
    elif fix:
        fixes.append(f"a lower resolution ({params.get('width')}×{params.get('height')} → "
                     f"{fix['width']}×{fix['height']})")
    if phase not in (MODEL_LOAD, TEXT_ENCODE):
        if not fix or "frames" not in fix:
            fixes.append("fewer frames")
        if not fix or "width" not in fix:
            fixes.append("a lower resolution")
    fixes.append("a launch preset with more VRAM reserve (for example --reserve-vram 4)")
    if phase in (MODEL_LOAD, TEXT_ENCODE):
        fixes.append("closing other programs that use the GPU")
    return error_info(
        f"ComfyUI ran out of GPU memory in {_where(phase, node_id, node_type)}.",
        "Try " + ", or ".join(fixes) + ".",
        phase=phase, node_id=node_id, node_type=node_type,
        exception_type="OutOfMemoryError", oom=True, fix=fix, details=exception_message,
    )


def oom_fix(params: Mapping[str, Any], phase: str | None) -> dict[str, Any] | None:
    """Changed JobSpec fields that need less VRAM: fewer frames first, then a smaller size.

    Loading and text encoding do not depend on the clip size, so they get no fix.
    """
    if phase in (MODEL_LOAD, TEXT_ENCODE):
        return None
    frames = int(params.get("frames") or 0)
    if frames > MIN_FRAMES:
        return {"frames": max(MIN_FRAMES, _snap_down(frames - FRAME_STEP))}
    width, height = int(params.get("width") or 0), int(params.get("height") or 0)
    if min(width, height) * RESOLUTION_STEP >= MIN_SIDE:
        return {"width": _size_down(width), "height": _size_down(height)}
    return None


def _snap_down(frames: int) -> int:
    return max(1, ((frames - 1) // 4) * 4 + 1)


def _size_down(side: int) -> int:
    return max(16, int(side * RESOLUTION_STEP) // 16 * 16)


def fix_label(params: Mapping[str, Any], fix: Mapping[str, Any]) -> str:
    """Short text for the retried job ("Retry: 65 frames", "Retry: 704×1024")."""
    parts = []
    if "frames" in fix:
        parts.append(f"{fix['frames']} frames")
    if "width" in fix or "height" in fix:
        parts.append(f"{fix.get('width', params.get('width'))}×"
                     f"{fix.get('height', params.get('height'))}")
    return "Retry: " + ", ".join(parts) if parts else "Retry"


def node_error(params: Mapping[str, Any], phase: str | None, node_id: str | None,
               node_type: str | None, exception_type: str, exception_message: str,
               traceback: Sequence[str] = (), inputs: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
    """A node raised something other than OOM (missing or broken model file, bad input...).

    `inputs` are the node's `current_inputs` (a loader's failure then names its file)."""
    first_line = (exception_message.strip().splitlines() or [""])[0]
    short_type = exception_type.rsplit(".", 1)[-1] or "Error"
    hint = "The details below say what ComfyUI reported; the server log has the full traceback."
    if "safetensors" in exception_type.lower() or "header" in first_line.lower():
        # the problem catalogue (ComfyUI's version table, its events) loads with the first failure
        from wan22_gui.core.comfy.problems import damaged_model_text

        hint = damaged_model_text(node_type, dict(inputs or {}))
    elif phase == MODEL_LOAD:
        hint = "Check that the model files are complete and match the Wan 2.2 14B i2v workflow."
    return error_info(
        f"ComfyUI failed in {_where(phase, node_id, node_type)}: {short_type}: {first_line}",
        hint, phase=phase, node_id=node_id, node_type=node_type,
        exception_type=exception_type, details="".join(traceback[-5:]),
    )


def crash_error(phase: str | None, log_tail: Sequence[str], *, cause: str = "",
                hint: str = "") -> dict[str, Any]:
    """ComfyUI went away while the job ran (process died, connection gone and not back).

    `cause` is what is known about why (the launcher's crash report, or the watcher's
    "stopped answering" sentence) and `hint` what to do; without a hint a generic one is made.
    """
    where = f" during the {phase_title(phase).lower()}" if phase else ""
    message = f"ComfyUI stopped while running this job{where}" + (f": {cause}" if cause else ".")
    if hint:  # the cause's own advice; it never guesses memory without evidence
        hint += " The last lines of its log are below." if log_tail else ""
    else:
        hint = ("Restart ComfyUI from the launcher panel; the last lines of its log are below."
                if log_tail else "Restart ComfyUI and check its console for the reason.")
        if phase in (HIGH_NOISE, LOW_NOISE, VAE_DECODE):
            hint += " A crash while sampling or decoding is often memory: try fewer frames."
    return error_info(message, hint, phase=phase, log_tail=log_tail)


def not_downloaded_error(job_id: str, left: Sequence[Any]) -> dict[str, Any]:
    """The clip is finished on the server, but /view would not give it to us (ServerFiles)."""
    first = left[0]
    more = f" (and {len(left) - 1} more file(s))" if len(left) > 1 else ""
    return error_info(
        f"The clip is finished on the server but could not be downloaded: {first.error} "
        f"It is on the server at {first.where()}{more}.",
        f"Download it again with `wan22 history fetch {job_id}` or **Download again** in the "
        f"Gallery once ComfyUI answers, or copy it from that folder.",
        phase="download", details="\n".join(f"{f.location}: {f.error}" for f in left))


def lost_error(phase: str | None) -> dict[str, Any]:
    """The server answers but no longer knows the job (restarted, or history cleared)."""
    return error_info(
        "ComfyUI no longer knows this job (it was probably restarted while the job ran).",
        "Queue the job again.", phase=phase,
    )


def apply_fix(params: Mapping[str, Any], fix: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the job's params with the fix applied. The seed is kept (for comparison);
    the output name is made again, so it tells the new length or size."""
    out = dict(params)
    out.update(fix)
    if "filename_prefix" in out:
        out["filename_prefix"] = None
    return out
