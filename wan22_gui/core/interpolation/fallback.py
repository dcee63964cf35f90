"""The last link of the engine chain: core FrameInterpolate nodes, else the Frame-Interpolation
pack, else the app's built-in optical flow on this computer.

`plan_vfi` picks between the first two and raises NoEngine when the server has neither; these
helpers turn that into the built-in run and into the sentence that tells the user which engine
made the clip and why (the Gallery's and `wan22 interpolate`'s runs, and a generation's
"After generation" choice alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.comfy.problems import provider_of
from wan22_gui.core.comfy.versions import version_from_stats
from wan22_gui.core.interpolation.builtin import ENGINE_NAME
from wan22_gui.core.interpolation.comfy_vfi import (
    CORE_NODE, PACK_NODES, TITLES, VFI_CLASSES, NoEngine, plan_vfi,
)


@dataclass(frozen=True)
class LocalVfi:
    """A generation's interpolation that the built-in engine does after the download.

    Attributes:
        method: what the user asked for ("rife" or "film").
        multiplier: ×m.
        note: which engine runs and why, for the user (`fallback_note`).
    """

    method: str
    multiplier: int
    note: str


def fallback_note(method: str, reason: NoEngine, object_info: dict,
                  comfyui_version: str | None = None) -> str:
    """One sentence: the engine that runs instead of `method`, why, and how to get `method`.

    A server that has the core nodes lacks only the model file (the reason's hint names it);
    an older one is told which ComfyUI version brings the core nodes (version table).
    """
    title = TITLES.get(method, method)
    if CORE_NODE in object_info:  # core nodes without a model file for the method
        why, fix = str(reason).splitlines()[0].rstrip("."), reason.hint
    else:
        why = (f"this ComfyUI has neither the core {CORE_NODE} nodes nor the pack's "
               f"{PACK_NODES.get(method, method)}")
        fix = (f"install the ComfyUI-Frame-Interpolation pack, or "
               f"{provider_of(CORE_NODE, comfyui_version)}.")
    return f"{ENGINE_NAME} (built-in) ran instead of {title}: {why}. For {title}: {fix}"


def missing_engine(object_info: dict, method: str, model: str | None = None,
                   comfyui_version: str | None = None) -> str | None:
    """None when the server described by object_info can run `method` (core nodes or pack),
    else the note of the built-in engine's run instead.

    Raises:
        WorkflowError: a requested `model` the server does not list (the user's choice is
            refused, not replaced), or an unknown method.
    """
    try:
        plan_vfi(object_info, method, model=model)
    except NoEngine as exc:
        return fallback_note(method, exc, object_info, comfyui_version)
    return None


def missing_engine_on(client: Any, method: str, model: str | None = None) -> str | None:
    """`missing_engine` for the client's server, its interpolation nodes read afresh (a pack
    installed or a model file added since the last read counts).

    Raises:
        WorkflowError: as `missing_engine`. ServerUnavailable: from the client.
    """
    return missing_engine(vfi_info(client), method, model, server_version(client))


def vfi_info(client: Any) -> dict[str, Any]:
    """object_info of just the classes `plan_vfi` reads (one cheap request each)."""
    info: dict[str, Any] = {}
    for node_class in VFI_CLASSES:
        info.update(client.object_info(node_class, refresh=True))
    return info


def server_version(client: Any) -> str | None:
    """The server's ComfyUI version, None when it does not say (or cannot be asked)."""
    try:
        return version_from_stats(client.system_stats())
    except Wan22Error:  # the advice is still right without "(you have X)"
        return None
