"""Finding the nodes that play each role in a Wan image-to-video graph, by class and wiring.

Works on any API graph (built, imported, or from a history entry): the start image is the
LoadImage feeding the latent node's `start_image`, the high-noise sampler is the one that adds
noise, the prompts are the text encoders feeding `positive` and `negative`, and so on.
"""

from __future__ import annotations

from wan22_gui.core.workflow.graph import Graph, is_link

LATENT_CLASSES = ("WanImageToVideo", "Wan22ImageToVideoLatent", "WanFirstLastFrameToVideo",
                  "WanFunInpaintToVideo", "WanVaceToVideo", "EmptyHunyuanLatentVideo")
SAMPLER_CLASSES = ("KSamplerAdvanced", "KSampler", "SamplerCustomAdvanced", "SamplerCustom")
SAVE_CLASSES = ("SaveVideo", "VHS_VideoCombine", "SaveWEBM", "SaveAnimatedWEBP",
                "SaveAnimatedPNG", "SaveImage")
TEXT_CLASSES = ("CLIPTextEncode",)
IMAGE_CLASSES = ("LoadImage", "LoadImageOutput")
MODEL_LOADERS = ("UNETLoader", "UnetLoaderGGUF", "CheckpointLoaderSimple",
                 "DiffusionModelLoaderKJ")
DECODE_CLASSES = ("VAEDecode", "VAEDecodeTiled")
# Where each role's setting lives, by class.
FPS_INPUTS = {"CreateVideo": "fps", "VHS_VideoCombine": "frame_rate", "SaveWEBM": "fps",
              "SaveAnimatedWEBP": "fps", "SaveAnimatedPNG": "fps"}
SEED_INPUTS = {"KSamplerAdvanced": "noise_seed", "KSampler": "seed"}

# The roles an imported workflow is patched through, and how to name them to a user.
PATCHABLE_ROLES = {
    "image": "start image (a LoadImage feeding the video latent)",
    "latent": "size and length (WanImageToVideo or a similar latent node)",
    "positive": "prompt (a CLIPTextEncode feeding 'positive')",
    "negative": "negative prompt (a CLIPTextEncode feeding 'negative')",
    "sampler_high": "seed and steps (the sampler that adds noise)",
    "sampler_low": "second pass (a KSamplerAdvanced continuing the first)",
    "fps": "frame rate (CreateVideo or Video Combine)",
    "save": "file name prefix (SaveVideo or Video Combine)",
}


def find_roles(graph: Graph) -> tuple[dict[str, str], list[str]]:
    """(role -> node id, roles from PATCHABLE_ROLES that were not found)."""
    roles: dict[str, str] = {}
    _find_output(graph, roles)
    _find_samplers(graph, roles)
    _find_latent_side(graph, roles)
    _find_models(graph, roles)
    missing = [role for role in PATCHABLE_ROLES if role not in roles]
    return roles, missing


def describe_missing(missing: list[str]) -> str:
    """One sentence naming what the app cannot set in an imported workflow."""
    if not missing:
        return ""
    items = "; ".join(PATCHABLE_ROLES[r] for r in missing if r in PATCHABLE_ROLES)
    return f"The app found no node for: {items}. Those settings stay as the workflow has them."


def _of_class(graph: Graph, classes: tuple[str, ...]) -> list[str]:
    """Ids of nodes of these classes, in class priority order, then by id."""
    ids = [i for i, n in graph.items() if n.get("class_type") in classes]
    return sorted(ids, key=lambda i: (classes.index(graph[i]["class_type"]), _id_key(i)))


def _id_key(node_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 1 << 40 for p in node_id.split(":"))


def _source(graph: Graph, node_id: str | None, input_name: str) -> str | None:
    """Id of the node linked into `input_name`, or None."""
    value = ((graph.get(node_id or "") or {}).get("inputs") or {}).get(input_name)
    return value[0] if is_link(value) and value[0] in graph else None


def _upstream(graph: Graph, start: str | None, classes: tuple[str, ...],
              limit: int = 12) -> str | None:
    """The nearest node of `classes` reached by walking links upwards from `start`."""
    frontier, seen = [start] if start else [], set()
    for _ in range(limit):
        next_frontier = []
        for node_id in frontier:
            if node_id in seen or node_id not in graph:
                continue
            seen.add(node_id)
            if graph[node_id].get("class_type") in classes:
                return node_id
            next_frontier += [v[0] for v in (graph[node_id].get("inputs") or {}).values()
                              if is_link(v)]
        frontier = next_frontier
    return None


def _find_output(graph: Graph, roles: dict[str, str]) -> None:
    saves = _of_class(graph, SAVE_CLASSES)
    if saves:
        roles["save"] = saves[0]
        source = _source(graph, saves[0], "video")
        if source and graph[source].get("class_type") == "CreateVideo":
            roles["create_video"] = source
    fps_node = roles.get("create_video") or next(
        (s for s in saves if graph[s].get("class_type") in FPS_INPUTS), None)
    if fps_node:
        roles["fps"] = fps_node
    decode = _upstream(graph, roles.get("create_video") or roles.get("save"), DECODE_CLASSES) \
        or next(iter(_of_class(graph, DECODE_CLASSES)), None)
    if decode:
        roles["vae_decode"] = decode
        if _source(graph, decode, "vae"):
            roles["vae"] = _source(graph, decode, "vae")


def _find_samplers(graph: Graph, roles: dict[str, str]) -> None:
    samplers = _of_class(graph, SAMPLER_CLASSES)
    # The last sampler is the one the decoder reads; walk back through latent_image links.
    last = _upstream(graph, roles.get("vae_decode"), SAMPLER_CLASSES) or \
        (samplers[-1] if samplers else None)
    if last is None:
        return
    chain = [last]
    while True:
        prev = _upstream(graph, _source(graph, chain[-1], "latent_image"), SAMPLER_CLASSES, 4)
        if prev is None or prev in chain:
            break
        chain.append(prev)
    chain.reverse()
    noisy = [s for s in chain if (graph[s]["inputs"].get("add_noise", "enable")) == "enable"]
    roles["sampler_high"] = noisy[0] if noisy else chain[0]
    if len(chain) > 1:
        roles["sampler_low"] = chain[-1] if chain[-1] != roles["sampler_high"] else chain[1]


def _find_latent_side(graph: Graph, roles: dict[str, str]) -> None:
    sampler = roles.get("sampler_high")
    latent = _upstream(graph, _source(graph, sampler, "latent_image"), LATENT_CLASSES, 4) \
        if sampler else None
    latent = latent or next(iter(_of_class(graph, LATENT_CLASSES)), None)
    if latent is None:
        return
    roles["latent"] = latent
    image = _upstream(graph, _source(graph, latent, "start_image"), IMAGE_CLASSES, 6)
    images = _of_class(graph, IMAGE_CLASSES)
    image = image or (images[0] if len(images) == 1 else None)
    if image:
        roles["image"] = image
    # Conditioning reaches the latent node (Wan i2v) or the sampler directly (5B, t2v).
    for polarity in ("positive", "negative"):
        for holder in (latent, sampler):
            text = _upstream(graph, _source(graph, holder, polarity), TEXT_CLASSES, 6)
            if text:
                roles[polarity] = text
                break
    if "positive" in roles and _source(graph, roles["positive"], "clip"):
        roles["text_encode"] = _source(graph, roles["positive"], "clip")


def _find_models(graph: Graph, roles: dict[str, str]) -> None:
    """Model chain of each pass: loader, LoRA, SageAttention patch, shift."""
    for half in ("high", "low"):
        node = _source(graph, roles.get(f"sampler_{half}"), "model")
        seen = 0
        while node and seen < 12:
            seen += 1
            role = _model_role(graph[node].get("class_type", ""))
            if role and f"{role}_{half}" not in roles:
                roles[f"{role}_{half}"] = node
            if role == "unet":
                break
            node = _source(graph, node, "model")


def _model_role(class_type: str) -> str | None:
    if class_type in MODEL_LOADERS:
        return "unet"
    if class_type.startswith("LoraLoader"):
        return "lora"
    if class_type.startswith("ModelSampling"):
        return "shift"
    if "SageAttention" in class_type:
        return "sage"
    return None

