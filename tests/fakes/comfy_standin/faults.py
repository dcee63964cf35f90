"""Scripted misbehaviour and timing for one stand-in, changeable while it runs.

Set attributes directly (``server.faults.oom_at_node = "KSamplerAdvanced"``), call
``update(**kw)``, pass ``--faults '{"oom_above_frames": 49}'`` on the command line, or POST the
same JSON to ``/__standin__/faults`` of a running process.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

OOM_MESSAGE = ("CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of "
               "23.99 GiB of which 0 bytes is free. Of the allocated memory 21.50 GiB is allocated "
               "by PyTorch, and 1.20 GiB is reserved by PyTorch but unallocated.")


@dataclass
class Faults:
    """Knobs read by the worker and the HTTP layer on every use.

    Attributes:
        oom_at_node: class_type or node id that raises torch.OutOfMemoryError when it runs.
        error_at_node: class_type or node id that raises ``error_type: error_message``.
        oom_above_frames: samplers raise OOM when WanImageToVideo's length exceeds this.
        die_mid_job: the server dies halfway through the first sampler (a process exits with
            ``die_exit_code``; an in-process server drops every connection and stops serving).
        drop_ws_mid_job: close every WebSocket halfway through the first sampler; the job goes on.
        slow_reply_s: delay before every HTTP reply.
        malformed_reply: a route path (or list of paths, or "*") answered with a broken JSON body.
        step_seconds: time per sampler step.
        node_seconds: time for a node that reports no progress (loaders, encoders, VAE decode).
        node_seconds_by_class: per-class override of node_seconds, e.g. {"UNETLoader": 0.5}.
        preview: samplers send a JPEG preview per step (like --preview-method auto).
        fail_empty_model_files: loaders fail on 0-byte model files like the real server
            ("header too small", transcript 12); off by default so dummy files run.
        sage_missing: PathchSageAttentionKJ with a mode other than "disabled" fails like a
            server without the sageattention package.
        view_errors: what the next `/view` requests do instead of serving, one entry each, in
            order: an HTTP status (500, 503, 404, ...) or "drop" (the connection closes after
            a third of the file); once used up, files are served normally.
        view_status: every `/view` answers this status (a server that never serves files).
    """

    oom_at_node: str | None = None
    error_at_node: str | None = None
    error_type: str = "RuntimeError"
    error_message: str = "Scripted failure in the stand-in server"
    oom_message: str = OOM_MESSAGE
    oom_above_frames: int | None = None
    die_mid_job: bool = False
    die_exit_code: int = 1
    drop_ws_mid_job: bool = False
    slow_reply_s: float = 0.0
    malformed_reply: str | list[str] | None = None
    step_seconds: float = 0.02
    node_seconds: float = 0.005
    node_seconds_by_class: dict[str, float] = field(default_factory=dict)
    preview: bool = False
    fail_empty_model_files: bool = False
    sage_missing: bool = False
    view_errors: list = field(default_factory=list)
    view_status: int | None = None

    def take_view_error(self) -> int | str | None:
        """The scripted misbehaviour of this `/view` request (None: serve it)."""
        if self.view_status is not None:
            return int(self.view_status)
        return self.view_errors.pop(0) if self.view_errors else None

    def update(self, **changes: Any) -> None:
        """Change several knobs; an unknown name raises ValueError naming the known ones."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(known)}")
        for name, value in changes.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def seconds_for(self, class_type: str) -> float:
        return float(self.node_seconds_by_class.get(class_type, self.node_seconds))

    def is_malformed(self, path: str) -> bool:
        targets = self.malformed_reply
        if not targets:
            return False
        if isinstance(targets, str):
            targets = [targets]
        bare = path[4:] if path.startswith("/api/") else path
        return "*" in targets or path in targets or bare in targets

    @staticmethod
    def matches(target: str | None, node_id: str, class_type: str) -> bool:
        return target is not None and target in (node_id, class_type)


class Counters:
    """Thread-safe tallies that tests read: ``counters["uploads"]``, ``counters.snapshot()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: collections.Counter[str] = collections.Counter()

    def bump(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
