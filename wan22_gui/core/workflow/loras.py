"""The user's own LoRAs in a job: a file from ComfyUI's `loras` folder and a strength per expert.

Wan 2.2 14B has two experts (the high-noise model for the first steps, the low-noise model for
the rest), and a LoRA trained for one acts differently on the other, so each LoRA carries two
strengths. A strength of 0 leaves that expert without the LoRA (no node is built for it). The
builder chains them as `LoraLoaderModelOnly` nodes between the model loader and the 4-step
speed LoRA, in the order given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.workflow import limits

MAX_LORAS = 8  # more than this in one job is a typo, not a workflow


@dataclass(frozen=True)
class LoraUse:
    """One LoRA of a job: `name` as ComfyUI lists it, and its strength on each expert."""

    name: str
    high: float = 1.0
    low: float = 1.0

    def strength(self, half: str) -> float:
        """The strength on the "high" or "low" expert."""
        return self.high if half == "high" else self.low

    def text(self) -> str:
        """`NAME:HIGH:LOW`, the CLI's spelling (and a readable summary)."""
        return f"{self.name}:{self.high:g}:{self.low:g}"


def parse_lora(text: str) -> LoraUse:
    """`NAME:HIGH:LOW` (or `NAME:BOTH`, or `NAME` at strength 1) as a LoraUse.

    The strengths are split off the right, so a name with a colon still reads.

    Raises:
        InputError: when a strength is not a number or the name is empty.
    """
    text = str(text).strip()
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and _is_number(parts[1]) and _is_number(parts[2]):
        name, high, low = parts[0], float(parts[1]), float(parts[2])
    elif ":" in text and _is_number(parts[-1]):
        name, _, both = text.rpartition(":")
        high = low = float(both)
    elif ":" in text:
        name, high, low = "", 0.0, 0.0
    else:
        name, high, low = text, 1.0, 1.0
    if not name.strip():
        raise InputError(f"--lora {text!r} is not NAME:HIGH:LOW.",
                         "Give the file as ComfyUI lists it and a strength for each expert, "
                         "e.g. --lora motion.safetensors:1.0:0.5.")
    return LoraUse(name.strip(), high, low)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def lora_problems(loras: Iterable[LoraUse]) -> list[str]:
    """What is wrong with a job's LoRA list, one sentence each (empty when fine)."""
    loras = list(loras)
    out = []
    if len(loras) > MAX_LORAS:
        out.append(f"A job takes at most {MAX_LORAS} LoRAs, not {len(loras)}.")
    for lora in loras:
        if not lora.name.strip():
            out.append("A LoRA has no file name.")
        for half in ("high", "low"):
            problem = limits.LORA_STRENGTH.problem(lora.strength(half))
            if problem:
                out.append(f"{lora.name} ({half} noise): {problem}")
    return out


def loras_from_data(data: Any) -> tuple[LoraUse, ...]:
    """The `loras` field of a stored spec (a list of {name, high, low}) as LoraUse tuples.

    Raises:
        ValueError: when an entry is not such an object (the spec reports it as malformed).
    """
    if data is None:
        return ()
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise ValueError(f"loras must be a list, not {data!r}")
    out = []
    for item in data:
        if isinstance(item, LoraUse):
            out.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
            out.append(LoraUse(item["name"], _strength(item, "high"), _strength(item, "low")))
        else:
            raise ValueError(f"a LoRA must be {{name, high, low}}, not {item!r}")
    return tuple(out)


def _strength(item: Mapping[str, Any], key: str) -> float:
    value = item.get(key, 1.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the LoRA strength {key} must be a number, not {value!r}")
    return float(value)
