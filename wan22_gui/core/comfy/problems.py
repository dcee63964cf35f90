"""Turning ComfyUI's refusals and failures into messages a person can act on.

`rejection_from_response` reads the body of a 400 from POST /prompt; `describe_execution_error`
explains an `execution_error` (an out-of-memory failure gets its own advice).
"""

from __future__ import annotations

import re
from typing import Any

from wan22_gui.core.comfy.events import ExecutionError
from wan22_gui.core.comfy.types import ValidationProblem
from wan22_gui.core.comfy.versions import version_table
from wan22_gui.core.base.errors import PromptRejected

# Where ComfyUI looks for the files of a model combo, by (class, input) and then by input.
_MODEL_FOLDER_BY_CLASS_INPUT = {
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("DualCLIPLoader", "clip_name1"): "text_encoders",
    ("DualCLIPLoader", "clip_name2"): "text_encoders",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("FrameInterpolationModelLoader", "model_name"): "frame_interpolation",
}
_MODEL_FOLDER_BY_INPUT = {
    "unet_name": "diffusion_models",
    "lora_name": "loras",
    "clip_name": "text_encoders",
    "clip_name1": "text_encoders",
    "clip_name2": "text_encoders",
    "vae_name": "vae",
    "ckpt_name": "checkpoints",
    "clip_vision": "clip_vision",
    "control_net_name": "controlnet",
}
# RIFE/FILM name their built-in weights `ckpt_name`, but those are a fixed list they download.
_NOT_MODEL_FILE_CLASSES = {"RIFE VFI", "FILM VFI"}
_FOLDER_ALIASES = {
    "diffusion_models": "models/diffusion_models/ (or models/unet/)",
    "text_encoders": "models/text_encoders/ (or models/clip/)",
}

# Who provides the node classes the app uses that are not part of every ComfyUI.
_CUSTOM_NODE_PACKS = {
    "RIFE VFI": "ComfyUI-Frame-Interpolation (by Fannovel16)",
    "FILM VFI": "ComfyUI-Frame-Interpolation (by Fannovel16)",
    "PathchSageAttentionKJ": "ComfyUI-KJNodes (by kijai)",
    "PatchFlashAttentionKJ": "ComfyUI-KJNodes (by kijai)",
    "UnetLoaderGGUF": "ComfyUI-GGUF (by city96)",
    "UnetLoaderGGUFAdvanced": "ComfyUI-GGUF (by city96)",
}
_CUSTOM_NODE_PREFIXES = {"VHS_": "ComfyUI-VideoHelperSuite (by Kosinkadink)"}

_TYPE_WORDS = {"INT": "a whole number", "FLOAT": "a number", "STRING": "text",
               "BOOLEAN": "true or false"}

_UNKNOWN_CLASS = re.compile(r"node (.+?) does not exist", re.IGNORECASE)
_NODE_ID = re.compile(r"#([^'\"\s]+)")


def model_folder(class_type: str | None, input_name: str | None) -> str | None:
    """The models/ subfolder a loader input reads its files from, or None if not a model file."""
    if input_name is None or class_type in _NOT_MODEL_FILE_CLASSES:
        return None
    return _MODEL_FOLDER_BY_CLASS_INPUT.get((class_type or "", input_name)) or \
        _MODEL_FOLDER_BY_INPUT.get(input_name)


def loader_file(class_type: str | None, inputs: Any) -> tuple[str, str] | None:
    """(file name, where it is looked up) for a loader node's model input, or None.

    `inputs` are the node's inputs from the graph, or an execution error's `current_inputs`
    (where each value is a one-element list)."""
    if not isinstance(inputs, dict):
        return None
    for name, value in inputs.items():
        folder = model_folder(class_type, name)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if folder and isinstance(value, str):
            return value, _FOLDER_ALIASES.get(folder, f"models/{folder}/")
    return None


def provider_of(class_type: str, comfyui_version: str | None = None) -> str:
    """What to install (or update) to get a node class ComfyUI does not know.

    A core node of a newer ComfyUI (resources/comfyui_versions.toml) says which version has
    it and, when known, which version the server runs.
    """
    update = version_table().node_advice(class_type, comfyui_version)
    if update:
        return update
    pack = _CUSTOM_NODE_PACKS.get(class_type) or next(
        (p for prefix, p in _CUSTOM_NODE_PREFIXES.items() if class_type.startswith(prefix)), None
    )
    if pack:
        return f"install the custom node pack {pack} and restart ComfyUI"
    return "install the custom node pack that provides it (ComfyUI Manager can find it) " \
           "and restart ComfyUI"


def rejection_from_response(body: Any, graph: dict[str, Any] | None = None) -> PromptRejected:
    """A `PromptRejected` for the JSON body of a 400 from POST /prompt."""
    graph = graph or {}
    if not isinstance(body, dict):
        return PromptRejected(
            "ComfyUI refused the workflow without saying why.",
            hint=f"Its answer was: {str(body)[:200]!r}. Check the ComfyUI console.",
        )
    error = body["error"] if isinstance(body.get("error"), dict) else {}
    problems = problems_from_node_errors(body.get("node_errors"), graph)
    if not problems:
        problems = [_problem_from_error(error, graph)]
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    return PromptRejected(
        f"ComfyUI refused the workflow ({count} {noun}).", problems,
        hint="Fix the items above and queue the job again.",
    )


def problems_from_node_errors(node_errors: Any, graph: dict[str, Any]) -> list[ValidationProblem]:
    """One ValidationProblem per error in a `node_errors` map (from a 400 or a 200 reply)."""
    problems: list[ValidationProblem] = []
    if not isinstance(node_errors, dict):
        return problems
    for node_id, entry in sorted(node_errors.items(), key=lambda kv: _node_sort_key(kv[0])):
        if not isinstance(entry, dict):
            continue
        class_type = entry.get("class_type") or _node(graph, node_id).get("class_type")
        for err in entry.get("errors") or ():
            if isinstance(err, dict):
                problems.append(_problem_from_node_error(str(node_id), class_type, err, graph))
    return problems


def _node_sort_key(node_id: Any) -> tuple[int, str]:
    text = str(node_id)
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def _node(graph: dict[str, Any], node_id: str | None) -> dict[str, Any]:
    node = graph.get(node_id) if node_id is not None else None
    return node if isinstance(node, dict) else {}


def _title(graph: dict[str, Any], node_id: str | None) -> str | None:
    meta = _node(graph, node_id).get("_meta")
    title = meta.get("title") if isinstance(meta, dict) else None
    return str(title) if title else None


def _problem_from_error(error: dict[str, Any], graph: dict[str, Any]) -> ValidationProblem:
    """A problem for the top-level `error` when no node_errors explain it."""
    kind = str(error.get("type") or "")
    message = str(error.get("message") or "ComfyUI refused the workflow")
    details = str(error.get("details") or "")
    match = _NODE_ID.search(details)
    node_id = match.group(1) if match else None
    node = _node(graph, node_id)
    class_type = node.get("class_type")
    fix = ""
    unknown = _UNKNOWN_CLASS.search(message)
    if kind == "invalid_prompt" and unknown:
        class_type = unknown.group(1)
        message = f"this ComfyUI has no node type '{class_type}'"
        fix = f"To use it, {provider_of(class_type)}."
    elif kind == "invalid_prompt" and "class_type" in message:
        message = "the node has no class_type"
        fix = "The workflow file is damaged; export it again in API format."
    elif kind == "missing_node_type" and (error.get("extra_info") or {}).get("class_type"):
        class_type = str(error["extra_info"]["class_type"])
        message = f"this ComfyUI has no node type '{class_type}'"
        fix = f"To use it, {provider_of(class_type)}."
    elif kind == "prompt_no_outputs":
        message = "it has no output node, so there is nothing to run"
        fix = "Add a node that saves the result, such as SaveVideo."
    elif kind == "no_prompt":
        message = "the request held no workflow"
        fix = "This is a bug in the app: please report it with the log."
    elif details and details not in message:
        message = f"{message}: {details}"
    return ValidationProblem(node_id, _title(graph, node_id), class_type, None, None, message, fix)


def _problem_from_node_error(
    node_id: str, class_type: str | None, err: dict[str, Any], graph: dict[str, Any]
) -> ValidationProblem:
    extra = err["extra_info"] if isinstance(err.get("extra_info"), dict) else {}
    input_name = extra.get("input_name") or None
    received = extra.get("received_value")
    kind = str(err.get("type") or "")
    dangling = _dangling_link(kind, err, extra, graph, node_id)
    if dangling is not None:  # ComfyUI's KeyError names the input of the node downstream
        name, link, message, fix = dangling
        return ValidationProblem(node_id, _title(graph, node_id), class_type, name, link,
                                 message, fix)
    if received is None and input_name:
        inputs = _node(graph, node_id).get("inputs")
        received = inputs.get(input_name) if isinstance(inputs, dict) else None
    if received is None and kind == "value_not_in_list":
        received = _quoted_value(str(err.get("details") or ""))
    message, fix = _explain(kind, err, extra, class_type, input_name, received)
    return ValidationProblem(node_id, _title(graph, node_id), class_type, input_name, received,
                             message, fix)


_QUOTED = re.compile(r": '(.*)' not in ")
_KEY_MESSAGE = re.compile(r"^'(.+)'$")
_LOOP_HINT = "Remove one of the links in the loop, export the workflow again and reload it."


def _quoted_value(details: str) -> str | None:
    """The rejected value of a value_not_in_list ("unet_name: 'x.safetensors' not in [...]")."""
    match = _QUOTED.search(details)
    return match.group(1) if match else None


def _dangling_link(kind: str, err: dict[str, Any], extra: dict[str, Any],
                   graph: dict[str, Any], node_id: str) -> tuple | None:
    """(input, link, message, fix) when a validation exception is a link to a missing node.

    ComfyUI looks the linked node up with `prompt[id]`: a missing one raises KeyError('id'),
    reported on this node but under the input of the node *downstream* that asked for it. The
    input that really dangles is found in the graph."""
    if not kind.startswith("exception_during") or \
            str(extra.get("exception_type") or "").rpartition(".")[2] != "KeyError":
        return None
    match = _KEY_MESSAGE.match(str(extra.get("exception_message") or err.get("details") or ""))
    if not match:
        return None
    missing = match.group(1)
    inputs = _node(graph, node_id).get("inputs")
    name, link = next(((n, v) for n, v in (inputs.items() if isinstance(inputs, dict) else ())
                       if isinstance(v, list) and v and str(v[0]) == missing), (None, None))
    return (name, link, f"it is connected to node #{missing}, which is not in the workflow",
            "Reconnect it, or import the workflow again.")


def _explain(kind: str, err: dict[str, Any], extra: dict[str, Any], class_type: str | None,
             input_name: str | None, received: Any) -> tuple[str, str]:
    """(message, fix) for one node error type."""
    details = str(err.get("details") or "")
    config = extra.get("input_config")
    if kind == "value_not_in_list":
        folder = model_folder(class_type, input_name)
        if folder:
            where = _FOLDER_ALIASES.get(folder, f"models/{folder}/")
            return (f"the file '{received}' is not in ComfyUI's {where}",
                    "Download it into that folder (or pick a file that is there), "
                    "then refresh the model lists.")
        return f"'{received}' is not one of the allowed values", _choices_fix(config)
    if kind in ("value_smaller_than_min", "value_bigger_than_max"):
        return f"{received} is out of range", _range_fix(config, err)
    if kind == "required_input_missing":
        return "a required input is missing", "Connect it to a node or give it a value."
    if kind == "custom_validation_failed" and class_type == "LoadImage":
        name = received if received is not None else details.rpartition(": ")[2]
        return (f"the image '{name}' is not in ComfyUI's input folder",
                "Upload the image first (the app does this when you queue a job).")
    if kind == "invalid_input_type":
        expected = config[0] if isinstance(config, list) and config else None
        wanted = _TYPE_WORDS.get(str(expected), "a value of the right type")
        return f"'{received}' is not a valid {expected or 'value'}", f"Enter {wanted}."
    if kind == "return_type_mismatch":
        got = extra.get("received_type") or "another type"
        linked = extra.get("linked_node")
        source = f" of node #{linked[0]}" if isinstance(linked, list) and linked else ""
        return (f"it is connected to a {got} output{source}",
                "Connect it to an output of the right type.")
    if kind == "bad_linked_input":
        return "its link is malformed", "The workflow file is damaged; export it again."
    if kind == "dependency_cycle":
        loop = f" ({details})" if details else ""
        return (f"it is part of a loop{loop}, so it could never run", _LOOP_HINT)
    if kind.startswith("exception_during") and \
            str(extra.get("exception_type") or "").endswith("RecursionError"):
        return ("ComfyUI could not check it: the workflow probably loops back on itself",
                _LOOP_HINT)
    if kind.startswith("exception_during"):
        exc = extra.get("exception_type") or "an exception"
        return (f"ComfyUI raised {exc} while checking it ({extra.get('exception_message', '')})",
                "See the ComfyUI console for details; updating the custom node may help.")
    message = str(err.get("message") or kind or "invalid")
    return (f"{message}: {details}" if details and details not in message else message), ""


def _choices_fix(config: Any) -> str:
    options = config[0] if isinstance(config, list) and config else None
    if isinstance(config, list) and config and config[0] == "COMBO" and len(config) > 1:
        options = (config[1] or {}).get("options")
    if isinstance(options, list) and options:
        shown = ", ".join(repr(o) for o in options[:8]) + (", ..." if len(options) > 8 else "")
        return f"Choose one of: {shown}."
    return "Choose one of the values ComfyUI offers for it."


def _range_fix(config: Any, err: dict[str, Any]) -> str:
    opts = config[1] if isinstance(config, list) and len(config) > 1 else {}
    low, high = (opts or {}).get("min"), (opts or {}).get("max")
    if low is not None and high is not None:
        return f"The allowed range is {low} to {high}."
    return f"{err.get('message', 'Use a value within the allowed range')}."


def damaged_model_text(class_type: str | None, inputs: Any) -> str:
    """What to do about a model file a loader could not read, naming the file and folder."""
    found = loader_file(class_type, inputs)
    if found is None:
        return "The model file looks incomplete or damaged; download it again."
    name, where = found
    return (f"The model file '{name}' in ComfyUI's {where} looks incomplete or damaged; "
            "download it again into that folder.")


def describe_execution_error(error: ExecutionError, graph: dict[str, Any] | None = None) -> str:
    """One or two sentences about a failed run, naming the node and what to try."""
    title = _title(graph or {}, error.node_id)
    node = f"'{title}' ({error.node_type} #{error.node_id})" if title else \
        f"{error.node_type or 'a node'} (#{error.node_id})"
    if error.is_oom:
        return (f"The GPU ran out of memory in {node}. Try fewer frames or a smaller size, "
                f"close other programs that use the GPU, or use a preset that reserves more "
                f"VRAM or offloads (lowvram).")
    first_line = error.exception_message.strip().splitlines()[0] if \
        error.exception_message.strip() else "no message"
    short_type = error.exception_type.rpartition(".")[2] or "Error"
    text = f"ComfyUI failed in {node}: {short_type}: {first_line}"
    if "safetensors" in error.exception_type.lower() or "deserializing header" in first_line:
        text += " " + damaged_model_text(error.node_type, error.current_inputs)
    elif error.exception_type == "ExecutionBlocked":
        text += " A node blocked the run; see the ComfyUI console."
    return text
