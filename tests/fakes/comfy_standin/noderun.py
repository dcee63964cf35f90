"""The framework for the stand-in's node behaviours: one execution's hooks, errors, registry.

Unknown classes pass values through by type (an IMAGE output takes the first IMAGE input), so any
graph that validates also runs. Behaviours live in nodes_core.py and nodes_video.py.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from tests.fakes.comfy_standin.media import Frames, Latent, Opaque, Video, wan_decoded_frames

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
