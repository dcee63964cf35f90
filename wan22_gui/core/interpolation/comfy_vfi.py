"""ComfyUI graphs for RIFE and FILM, for both node families, chosen from `/object_info`.

- The Frame-Interpolation pack (Fannovel16): `RIFE VFI` / `FILM VFI` take the checkpoint name
  and the frames directly; their weights download on first use into
  `custom_nodes/ComfyUI-Frame-Interpolation/ckpts/<rife|film>/` (which fails offline).
- The newer core nodes (ComfyUI 0.19.3 or newer, see resources/comfyui_versions.toml):
  `FrameInterpolationModelLoader` reads a RIFE or FILM model from `models/frame_interpolation/`
  and `FrameInterpolate` applies it. They are preferred when the server has a model for the
  method: nothing to install and nothing downloaded at run time.

Input names of the newer nodes are read from object_info rather than assumed, because the core
nodes are young and may still change. Inputs a node does not declare are ignored by ComfyUI,
so sending today's full input set to an older pack version is harmless.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from wan22_gui.core.comfy.problems import provider_of
from wan22_gui.core.base.errors import WorkflowError

METHODS = ("rife", "film")
PACK_NODES = {"rife": "RIFE VFI", "film": "FILM VFI"}
CORE_LOADER = "FrameInterpolationModelLoader"
CORE_NODE = "FrameInterpolate"
# rife49 is the only RIFE name every version of the pack accepts (api-facts, section 3)
PACK_DEFAULT_CKPT = {"rife": "rife49.pth", "film": "film_net_fp32.pt"}
CORE_DEFAULT_MODEL = {"rife": "rife_v4.25.safetensors", "film": "film_net_fp16.safetensors"}
PACK_CKPT_FOLDER = "ComfyUI/custom_nodes/ComfyUI-Frame-Interpolation/ckpts/{method}/"
CORE_MODEL_FOLDER = "ComfyUI/models/frame_interpolation/"
INSTALL_HINT = (
    "Install the ComfyUI-Frame-Interpolation custom nodes (ComfyUI-Manager → search "
    "\"Frame Interpolation\", or clone Fannovel16/ComfyUI-Frame-Interpolation into "
    "ComfyUI/custom_nodes and run its install script), then restart ComfyUI. "
    "ComfyUI 0.19.3 or newer also has built-in FrameInterpolate nodes."
)
TITLES = {"rife": "RIFE", "film": "FILM"}
# Every class `plan_vfi` looks at: reading just these tells whether a server can interpolate.
VFI_CLASSES = (*PACK_NODES.values(), CORE_LOADER, CORE_NODE)


class NoEngine(WorkflowError):
    """The server cannot run the method at all: neither the core nodes with a model for it nor
    the pack. The app's built-in engine interpolates instead (`interpolation.fallback`); a
    model the user asked for and the server lacks is a plain WorkflowError, never a fallback."""


@dataclass(frozen=True)
class VfiPlan:
    """Which nodes and weights interpolate with `method` on one server.

    Attributes:
        method: "rife" or "film".
        family: "pack" (RIFE VFI / FILM VFI) or "core" (FrameInterpolate).
        model: checkpoint (pack) or model file (core).
    """

    method: str
    family: str
    model: str

    def label(self, multiplier: int) -> str:
        """The gallery label, e.g. "RIFE ×2 (ComfyUI, rife49)"."""
        model = self.model.rsplit(".", 1)[0]
        detail = f", {model}" if self.method == "rife" else ""
        return f"{TITLES[self.method]} ×{multiplier} (ComfyUI{detail})"

    def weights_location(self) -> str:
        """Where the weights must be for this plan, for messages."""
        if self.family == "pack":
            return PACK_CKPT_FOLDER.format(method=self.method) + self.model
        return CORE_MODEL_FOLDER + self.model


def plan_vfi(object_info: dict, method: str, *, model: str | None = None) -> VfiPlan:
    """Choose the node family and weights for `method` on the server described by object_info.

    The core nodes come first when the server has them and a model for the method (or the
    asked-for `model`) in models/frame_interpolation/: they ship with ComfyUI and read local
    files. Otherwise the Frame-Interpolation pack; a server with neither raises NoEngine, on
    which the callers run the app's built-in engine instead (`interpolation.fallback`).

    Raises:
        NoEngine: no interpolation nodes (with how to install them), or core nodes without a
            model for the method and no pack (with which file and folder).
        WorkflowError: unknown method, or a requested model the server does not list (with
            the ones it does).
    """
    if method not in METHODS:
        raise WorkflowError(f"Unknown interpolation method {method!r}.", "Use rife or film.")
    core = _core_plan(object_info, method, model)
    if core is not None:
        return core
    pack = object_info.get(PACK_NODES[method])
    if pack is not None:
        options = _combo_options(pack, "ckpt_name")
        _check_requested(options, model, PACK_NODES[method])
        return VfiPlan(method, "pack", _pick(options, model, PACK_DEFAULT_CKPT[method], method))
    if CORE_LOADER in object_info and CORE_NODE in object_info:
        loader = object_info[CORE_LOADER]
        options = _combo_options(loader, _first_combo_input(loader))
        _check_requested(options, model, CORE_LOADER)
        matching = [o for o in options if method in o.lower()]
        if model is None and not matching:
            wanted = CORE_DEFAULT_MODEL[method]
            raise NoEngine(
                f"ComfyUI has no {TITLES[method]} model for its FrameInterpolate node.",
                f"Put {wanted} (from the Comfy-Org/frame_interpolation files) into "
                f"{CORE_MODEL_FOLDER} and restart ComfyUI.",
            )
        return VfiPlan(method, "core", _pick(options, model, CORE_DEFAULT_MODEL[method], method))
    raise NoEngine(
        f"This ComfyUI has no {TITLES[method]} frame-interpolation nodes "
        f"({PACK_NODES[method]} or {CORE_NODE}): {provider_of(PACK_NODES[method])}.",
        INSTALL_HINT,
    )


def _core_plan(object_info: dict, method: str, model: str | None) -> VfiPlan | None:
    """The core-node plan when the server has the nodes and a usable model, else None."""
    if CORE_LOADER not in object_info or CORE_NODE not in object_info:
        return None
    loader = object_info[CORE_LOADER]
    options = _combo_options(loader, _first_combo_input(loader))
    if model is not None:
        return VfiPlan(method, "core", model) if model in options else None
    matching = [o for o in options if method in o.lower()]
    if not matching:
        return None
    return VfiPlan(method, "core", _pick(matching, None, CORE_DEFAULT_MODEL[method], method))


def _check_requested(options: list[str], model: str | None, node: str) -> None:
    if model is not None and options and model not in options:
        raise WorkflowError(f"This ComfyUI's {node} has no model {model!r}.",
                            "Choose one it lists: " + ", ".join(options) + ".")


def model_choices(object_info: dict, method: str) -> list[str]:
    """The models for `method` a user can choose on this server, from the family `plan_vfi`
    would use (core: the files in models/frame_interpolation/ that name the method; pack:
    its checkpoint list), the one the app picks by itself first. Empty when the server cannot
    run the method."""
    if method not in METHODS:
        return []
    try:
        chosen = plan_vfi(object_info, method).model
    except WorkflowError:
        return []
    if CORE_LOADER in object_info and CORE_NODE in object_info:
        loader = object_info[CORE_LOADER]
        options = [o for o in _combo_options(loader, _first_combo_input(loader))
                   if method in o.lower()]
    else:
        options = []
    if not options and PACK_NODES[method] in object_info:
        options = _combo_options(object_info[PACK_NODES[method]], "ckpt_name")
    return sorted(options, key=lambda o: o != chosen)


def add_vfi(graph: dict, images: list, plan: VfiPlan, multiplier: int, object_info: dict,
            *, title: str = "") -> list:
    """Add the interpolation node(s) fed by `images` (a link); return the link to their frames."""
    _check_multiplier(plan, multiplier, object_info)
    suffix = f" - {title}" if title else ""
    if plan.family == "pack":
        inputs: dict[str, Any] = {"ckpt_name": plan.model, "frames": images,
                                  "clear_cache_after_n_frames": 10, "multiplier": multiplier}
        if plan.method == "rife":  # the pack's defaults, spelled out so old versions agree
            inputs.update(fast_mode=True, ensemble=True, scale_factor=1.0)
        inputs = with_defaults(object_info[PACK_NODES[plan.method]], inputs)
        node_id = _add(graph, PACK_NODES[plan.method], f"{TITLES[plan.method]} ×{multiplier}{suffix}",
                       inputs)
        return [node_id, 0]
    loader_info = object_info[CORE_LOADER]
    loader_id = _add(graph, CORE_LOADER, f"Load {TITLES[plan.method]} model{suffix}",
                     {_first_combo_input(loader_info): plan.model})
    node_info = object_info[CORE_NODE]
    model_type = (loader_info.get("output") or ["INTERP_MODEL"])[0]
    inputs = {
        _input_of_type(node_info, model_type, "interp_model"): [loader_id, 0],
        _input_of_type(node_info, "IMAGE", "images"): images,
        "multiplier": multiplier,
    }
    node_id = _add(graph, CORE_NODE, f"{TITLES[plan.method]} ×{multiplier}{suffix}",
                   with_defaults(node_info, inputs))
    return [node_id, 0]


def add_video_output(graph: dict, images: list, fps: float, prefix: str, object_info: dict) -> str:
    """CreateVideo + SaveVideo (or VHS_VideoCombine on servers without them); returns the id of
    the node whose outputs hold the file."""
    if "CreateVideo" in object_info and "SaveVideo" in object_info:
        limit = _input_max(object_info["CreateVideo"], "fps")
        if limit is not None and fps > limit:
            raise WorkflowError(f"{fps:g} fps is above CreateVideo's limit of {limit:g} fps.",
                                "Use a smaller multiplier.")
        video = _add(graph, "CreateVideo", f"Create video {fps:g} fps", {"images": images, "fps": fps})
        return _add(graph, "SaveVideo", "Save interpolated video", {
            "video": [video, 0], "filename_prefix": prefix, "format": "auto", "codec": "auto"})
    if "VHS_VideoCombine" in object_info:
        return _add(graph, "VHS_VideoCombine", "Save interpolated video", {
            "images": images, "frame_rate": fps, "loop_count": 0, "filename_prefix": prefix,
            "format": "video/h264-mp4", "pingpong": False, "save_output": True,
            "pix_fmt": "yuv420p", "crf": 19, "save_metadata": True, "trim_to_audio": False})
    raise WorkflowError("This ComfyUI cannot save videos (no SaveVideo or VHS_VideoCombine).",
                        "Update ComfyUI to 0.3.40 or newer.")


def build_interpolation_graph(
    plan: VfiPlan, video_name: str, multiplier: int, fps: float, prefix: str, object_info: dict
) -> tuple[dict, str]:
    """A graph that loads an uploaded clip, interpolates it ×m and saves it at fps·m.

    Args:
        video_name: the clip's name in ComfyUI's input folder (`UploadedFile.load_value`).
        fps: the source clip's frame rate.

    Returns:
        (graph, id of the node that saves the video).
    """
    graph: dict[str, dict] = {}
    frames = _add_video_input(graph, video_name, object_info)
    interpolated = add_vfi(graph, frames, plan, multiplier, object_info)
    save_id = add_video_output(graph, interpolated, fps * multiplier, prefix, object_info)
    return graph, save_id


def append_vfi(
    graph: dict, roles: dict[str, str], plan: VfiPlan, multiplier: int, fps: float, prefix: str,
    object_info: dict,
) -> tuple[dict, dict[str, str]]:
    """The seed's combined workflow: a generation graph with RIFE/FILM after its VAEDecode and a
    second SaveVideo at fps·m (the 16 fps original is still saved by the first one).

    Args:
        graph, roles: a `BuiltWorkflow`'s graph and roles (roles["vae_decode"] is required).
        fps: the generation's frame rate.

    Returns:
        (a new graph, roles plus "vfi" and "vfi_save").
    """
    decode = roles.get("vae_decode")
    if decode is None or decode not in graph:
        raise WorkflowError("The workflow has no VAE decode node to interpolate after.",
                            "Use a workflow with a VAEDecode node, or interpolate the saved clip.")
    graph = copy.deepcopy(graph)
    frames = add_vfi(graph, [decode, 0], plan, multiplier, object_info, title="after decode")
    save_id = add_video_output(graph, frames, fps * multiplier, prefix, object_info)
    return graph, {**roles, "vfi": frames[0], "vfi_save": save_id}


def with_defaults(node_info: dict, inputs: dict) -> dict:
    """`inputs` plus the declared default of every required widget input left out.

    Pack versions add required inputs (dtype, torch_compile and batch_size in 2026), and
    ComfyUI refuses a prompt that misses one; their defaults are what the UI would send.
    """
    required = (node_info.get("input") or {}).get("required") or {}
    out = dict(inputs)
    for name, entry in required.items():
        if name in out or not entry:
            continue
        options = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
        if "default" in options:
            out[name] = options["default"]
        elif isinstance(entry[0], list) and entry[0]:
            out[name] = entry[0][0]
        elif entry[0] == "COMBO" and options.get("options"):
            out[name] = options["options"][0]
    return out


def _add_video_input(graph: dict, video_name: str, object_info: dict) -> list:
    if "LoadVideo" in object_info and "GetVideoComponents" in object_info:
        video = _add(graph, "LoadVideo", "Load clip", {"file": video_name})
        parts = _add(graph, "GetVideoComponents", "Clip frames", {"video": [video, 0]})
        return [parts, 0]
    if "VHS_LoadVideo" in object_info:
        node = _add(graph, "VHS_LoadVideo", "Load clip", {
            "video": video_name, "force_rate": 0, "custom_width": 0, "custom_height": 0,
            "frame_load_cap": 0, "skip_first_frames": 0, "select_every_nth": 1, "format": "None"})
        return [node, 0]
    raise WorkflowError("This ComfyUI cannot load videos (no LoadVideo or VHS_LoadVideo).",
                        "Update ComfyUI to 0.3.40 or newer.")


def _add(graph: dict, class_type: str, title: str, inputs: dict) -> str:
    numeric = [int(k) for k in graph if str(k).isdigit()]
    node_id = str(max(numeric, default=0) + 1)
    while node_id in graph:
        node_id = str(int(node_id) + 1)
    graph[node_id] = {"class_type": class_type, "inputs": inputs, "_meta": {"title": title}}
    return node_id


def _inputs(node_info: dict) -> dict[str, Any]:
    spec = node_info.get("input") or {}
    return {**(spec.get("required") or {}), **(spec.get("optional") or {})}


def _combo_options(node_info: dict, name: str) -> list[str]:
    """The choices of a combo input, in both object_info spellings ([[...]] and ["COMBO", {options}])."""
    entry = _inputs(node_info).get(name)
    if not entry:
        return []
    if isinstance(entry[0], list):
        return [str(o) for o in entry[0]]
    if entry[0] == "COMBO" and len(entry) > 1 and isinstance(entry[1], dict):
        return [str(o) for o in entry[1].get("options", [])]
    return []


def _first_combo_input(node_info: dict) -> str:
    for name, entry in _inputs(node_info).items():
        if entry and (isinstance(entry[0], list) or entry[0] == "COMBO"):
            return name
    return "model_name"


def _input_of_type(node_info: dict, type_name: str, fallback: str) -> str:
    for name, entry in _inputs(node_info).items():
        if entry and entry[0] == type_name:
            return name
    return fallback


def _input_max(node_info: dict, name: str) -> float | None:
    entry = _inputs(node_info).get(name)
    if entry and len(entry) > 1 and isinstance(entry[1], dict) and "max" in entry[1]:
        return float(entry[1]["max"])
    return None


def _check_multiplier(plan: VfiPlan, multiplier: int, object_info: dict) -> None:
    node = PACK_NODES[plan.method] if plan.family == "pack" else CORE_NODE
    low = 2
    high = _input_max(object_info.get(node, {}), "multiplier")
    if multiplier < low or (high is not None and multiplier > high):
        raise WorkflowError(f"{node} cannot interpolate ×{multiplier}.",
                            f"Choose a multiplier from {low} to {int(high or 16)}.")


def _pick(options: list[str], wanted: str | None, default: str, method: str) -> str:
    """The requested model if offered, else the default, else the first that names the method."""
    for candidate in (wanted, default):
        if candidate and candidate in options:
            return candidate
    if wanted and not options:
        return wanted
    matching = [o for o in options if method in o.lower()]
    return (matching or options or [default])[0]
