"""Plain data the ComfyUI client hands out: uploads, queue items, history entries, problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wan22_gui.core.comfy.events import ExecutionError


@dataclass(frozen=True)
class UploadedFile:
    """A file in ComfyUI's input (or temp/output) folder, as named by the server."""

    name: str
    subfolder: str = ""
    type: str = "input"

    @property
    def load_value(self) -> str:
        """The value to put in `LoadImage.image` (ComfyUI's "subfolder/name" spelling)."""
        return f"{self.subfolder}/{self.name}" if self.subfolder else self.name


@dataclass(frozen=True)
class QueuedPrompt:
    """The server's answer to POST /prompt. `node_errors` may list outputs it skipped."""

    prompt_id: str
    number: float
    node_errors: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueItem:
    """One running or pending job: ComfyUI's 5-element queue array."""

    number: float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs_to_execute: list[str]

    @classmethod
    def from_json(cls, item: Any) -> "QueueItem":
        """Build from `[number, prompt_id, prompt, extra_data, outputs]` (ValueError if not)."""
        if not isinstance(item, (list, tuple)) or len(item) < 2:
            raise ValueError(f"queue item is not a [number, prompt_id, ...] list: {item!r:.80}")
        rest = list(item[2:5]) + [None] * (5 - len(item))
        prompt, extra, outputs = rest[0], rest[1], rest[2]
        return cls(
            number=item[0],
            prompt_id=str(item[1]),
            prompt=prompt if isinstance(prompt, dict) else {},
            extra_data=extra if isinstance(extra, dict) else {},
            outputs_to_execute=[str(o) for o in outputs or ()],
        )


@dataclass(frozen=True)
class QueueState:
    running: list[QueueItem] = field(default_factory=list)
    pending: list[QueueItem] = field(default_factory=list)

    def is_running(self, prompt_id: str) -> bool:
        return any(item.prompt_id == prompt_id for item in self.running)

    def is_pending(self, prompt_id: str) -> bool:
        return any(item.prompt_id == prompt_id for item in self.pending)

    def contains(self, prompt_id: str) -> bool:
        return self.is_running(prompt_id) or self.is_pending(prompt_id)


@dataclass(frozen=True)
class OutputFile:
    """A file a node wrote, as listed in `/history` outputs (download it with `/view`)."""

    filename: str
    subfolder: str = ""
    type: str = "output"


@dataclass(frozen=True)
class HistoryEntry:
    """A finished job (success, error or interrupt) as `/history/{id}` reports it."""

    prompt_id: str
    prompt: list[Any]
    outputs: dict[str, Any]
    status_str: str
    completed: bool
    messages: list[Any]
    output_files: list[OutputFile]

    @classmethod
    def from_json(cls, prompt_id: str, entry: Any) -> "HistoryEntry":
        if not isinstance(entry, dict):
            raise ValueError(f"history entry for {prompt_id} is not an object")
        status = entry["status"] if isinstance(entry.get("status"), dict) else {}
        outputs = entry["outputs"] if isinstance(entry.get("outputs"), dict) else {}
        return cls(
            prompt_id=prompt_id,
            prompt=list(entry.get("prompt") or []),
            outputs=outputs,
            status_str=str(status.get("status_str") or ""),
            completed=bool(status.get("completed", False)),
            messages=list(status.get("messages") or []),
            output_files=output_files_of(outputs),
        )

    def _message(self, name: str) -> dict[str, Any] | None:
        for message in self.messages:
            if isinstance(message, (list, tuple)) and len(message) == 2 and message[0] == name:
                return message[1] if isinstance(message[1], dict) else {}
        return None

    @property
    def error(self) -> ExecutionError | None:
        """The execution error recorded for this job, if it failed in a node."""
        data = self._message("execution_error")
        return None if data is None else ExecutionError.from_data(data)

    @property
    def interrupted(self) -> bool:
        return self._message("execution_interrupted") is not None

    @property
    def succeeded(self) -> bool:
        return self.status_str == "success" and not self.interrupted and self.error is None


def output_files_of(outputs: dict[str, Any]) -> list[OutputFile]:
    """Every file in a history/`executed` output, whatever key the node used.

    SaveVideo says `images`, VideoHelperSuite says `gifs`: scan every list for file records.
    """
    files: list[OutputFile] = []
    node_outputs = outputs.values() if _is_per_node(outputs) else [outputs]
    for node_output in node_outputs:
        for value in node_output.values():
            for item in value if isinstance(value, list) else ():
                if isinstance(item, dict) and isinstance(item.get("filename"), str):
                    files.append(OutputFile(
                        item["filename"], str(item.get("subfolder") or ""),
                        str(item.get("type") or "output"),
                    ))
    return files


def _is_per_node(outputs: dict[str, Any]) -> bool:
    """True for `/history` outputs ({node: {key: [...]}}), False for one `executed` output."""
    return bool(outputs) and all(isinstance(v, dict) for v in outputs.values())


@dataclass(frozen=True)
class ValidationProblem:
    """One thing ComfyUI (or our own validator) refused in a graph, with what to do about it."""

    node_id: str | None
    node_title: str | None
    class_type: str | None
    input_name: str | None
    received_value: Any
    message: str
    fix: str = ""

    def where(self) -> str:
        """`Node 'Load VAE' (#90, VAELoader)`, or `The workflow` when no node is named."""
        if self.node_id is None and self.class_type is None:
            return "The workflow"
        if not (self.node_title or self.class_type):
            return f"Node #{self.node_id}"
        label = self.node_title or self.class_type
        details = ", ".join(p for p in (f"#{self.node_id}" if self.node_id else "",
                                        self.class_type or "") if p and p != label)
        return f"Node '{label}'" + (f" ({details})" if details else "")

    def __str__(self) -> str:
        subject = self.where()
        if self.input_name:
            subject += f", input '{self.input_name}'"
        sentence = f"{subject}: {self.message.rstrip('.')}."
        return f"{sentence} {self.fix}" if self.fix else sentence
