"""The model arguments of `wan22 generate`: the user's LoRAs, the speed LoRA's strengths, the
3-phase split and the experts (by file, or by format from what the server has).

    --lora NAME:HIGH:LOW          (repeatable; NAME as ComfyUI lists it in models/loras)
    --speed-lora-strength HIGH:LOW
    --phases 3 [--phase1-steps N] [--phase1-cfg X]
    --high-model FILE --low-model FILE     (a .gguf file loads with ComfyUI-GGUF)
    --model-format Q4_K_M                  (the server's pair of that format)
"""

from __future__ import annotations

import argparse
from typing import Any

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow.experts import SUGGESTED
from wan22_gui.core.workflow.loras import parse_lora
from wan22_gui.core.workflow.spec import PHASES


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lora", dest="loras", action="append", default=[],
                        metavar="NAME:HIGH:LOW",
                        help="one of your LoRAs from ComfyUI's models/loras with its strength "
                             "on the high-noise and the low-noise model (0 leaves that model "
                             "without it); repeat for more")
    parser.add_argument("--speed-lora-strength", metavar="HIGH:LOW",
                        help="strengths of the 4-step LoRA (default 1:1; a lower high-noise "
                             "strength is a common fix for slow motion)")
    parser.add_argument("--phases", type=int, choices=PHASES,
                        help="3: the first steps on the high-noise model without the 4-step "
                             "LoRA at CFG 3.5, then high noise with it, then low noise "
                             "(default 6 steps: 2 + 2 + 2; --split sets where low noise starts)")
    parser.add_argument("--phase1-steps", type=int, metavar="N",
                        help="steps of the 3-phase split's first phase (default 2)")
    parser.add_argument("--phase1-cfg", type=float, metavar="X",
                        help="CFG of the 3-phase split's first phase (default 3.5)")
    parser.add_argument("--high-model", metavar="FILE",
                        help="high-noise expert as the server lists it (a .gguf file is "
                             "loaded with the ComfyUI-GGUF pack's UnetLoaderGGUF)")
    parser.add_argument("--low-model", metavar="FILE", help="low-noise expert, likewise")
    parser.add_argument("--model-format", metavar="FORMAT",
                        help="use the server's pair of experts of this format: "
                             f"{', '.join(SUGGESTED)} (GGUF files need ComfyUI-GGUF)")


def model_changes(args: argparse.Namespace, base_models: Any) -> dict[str, Any]:
    """The JobSpec fields these arguments set. Raises InputError with what to change."""
    import dataclasses

    changes: dict[str, Any] = {"loras": tuple(parse_lora(t) for t in args.loras or ())}
    if args.speed_lora_strength is not None:
        high, low = _pair(args.speed_lora_strength, "--speed-lora-strength")
        changes.update(lora_strength_high=high, lora_strength_low=low)
    if args.phases is not None:
        changes["phases"] = args.phases
    if (args.phase1_steps is not None or args.phase1_cfg is not None) and args.phases != 3:
        raise InputError("--phase1-steps and --phase1-cfg only apply with --phases 3.",
                         "Add --phases 3, or leave them out.")
    changes.update(phase1_steps=args.phase1_steps, phase1_cfg=args.phase1_cfg)
    if args.model_format and (args.high_model or args.low_model):
        raise InputError("--model-format picks both experts; it cannot go with --high-model "
                         "or --low-model.", "Give either the format or the files.")
    files = {k: v for k, v in (("unet_high", args.high_model), ("unet_low", args.low_model))
             if v}
    if files:
        changes["models"] = dataclasses.replace(base_models, **files)
    return changes


def _pair(text: str, flag: str) -> tuple[float, float]:
    parts = str(text).split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2):
        raise InputError(f"{flag} {text!r} is not HIGH:LOW.", f"For example {flag} 0.7:1.")
    return values[0], values[-1]


def resolve_format(spec: Any, fmt: str | None, client: Any) -> Any:
    """`spec` with the server's pair of experts of format `fmt` (unchanged without one).

    Raises:
        InputError: naming the formats the server does have when it has no such pair.
    """
    if not fmt:
        return spec
    import dataclasses

    from wan22_gui.core.jobs.models import fetch_model_lists
    from wan22_gui.core.workflow.experts import formats_of, pair_of_format

    experts = fetch_model_lists(client).get("unet_high", [])
    pair = pair_of_format(experts, fmt)
    if pair is None:
        have = ", ".join(formats_of(experts)) or "none"
        raise InputError(f"The server has no {fmt} pair of Wan experts (high and low noise); "
                         f"it has: {have}.",
                         "Put both files in ComfyUI's models/unet/ (GGUF needs the ComfyUI-GGUF "
                         "pack), or choose another --model-format.")
    return spec.replace(models=dataclasses.replace(spec.models, unet_high=pair[0],
                                                   unet_low=pair[1]))
