"""Running one queued prompt: the WebSocket event sequence, cache, errors and history result.

Mirrors ComfyUI 0.3.64's PromptExecutor (transcripts 02-07, 09, 12, 13): `execution_start`,
`execution_cached`, then per node `progress_state` / `executing` / `progress` / `executed`, and
`execution_success`, `execution_error` or `execution_interrupted`. Only `progress`,
`progress_state` and `execution_interrupted` reach sockets when the prompt has no client_id.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.fakes.comfy_standin import hub as hub_mod
from tests.fakes.comfy_standin import nodes_core, nodes_video  # noqa: F401 - importing them registers the behaviours
from tests.fakes.comfy_standin.noderun import Interrupted, NodeError, NodeRun, Stopped, run_node
from tests.fakes.comfy_standin.scheduler import ExecutionOrder, cache_keys, is_link
from tests.fakes.comfy_standin.validation import full_type_name

TRACEBACK_HEAD = [
    '  File "ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, '
    "has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, "
    "execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n",
    '  File "ComfyUI/execution.py", line 315, in get_output_data\n    return_values = await '
    "_async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, "
    "allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, "
    "hidden_inputs=hidden_inputs)\n",
    '  File "ComfyUI/execution.py", line 289, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n',
    '  File "ComfyUI/execution.py", line 277, in process_inputs\n    result = f(**inputs)\n',
]
OOM_TIPS = ("This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked "
            "before you might have accidentally set the batch_size to a large number.")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class RunResult:
    history: dict
    status: dict
    client_id: str | None


@dataclass
class OutputCache:
    """Classic cache: outputs and UI by cache key, trimmed to the latest prompt's keys."""

    outputs: dict[str, tuple] = field(default_factory=dict)
    ui: dict[str, dict] = field(default_factory=dict)

    def retain(self, keys: set[str]) -> None:
        for store in (self.outputs, self.ui):
            for key in [k for k in store if k not in keys]:
                del store[key]


class ProgressState:
    """The cumulative per-node snapshot behind every `progress_state` message."""

    def __init__(self, send: Callable[[str, Any], None], prompt_id: str) -> None:
        self._send = send
        self.prompt_id = prompt_id
        self.nodes: dict[str, dict] = {}

    def _publish(self) -> None:
        active = {node_id: {"value": s["value"], "max": s["max"], "state": s["state"],
                            "node_id": node_id, "prompt_id": self.prompt_id,
                            "display_node_id": node_id, "parent_node_id": None,
                            "real_node_id": node_id}
                  for node_id, s in self.nodes.items() if s["state"] != "pending"}
        self._send("progress_state", {"prompt_id": self.prompt_id, "nodes": active})

    def _entry(self, node_id: str) -> dict:
        return self.nodes.setdefault(node_id, {"state": "pending", "value": 0, "max": 1})

    def start(self, node_id: str) -> None:
        self._entry(node_id).update(state="running", value=0.0, max=1.0)
        self._publish()

    def update(self, node_id: str, value: int, total: int) -> None:
        self._entry(node_id).update(state="running", value=value, max=total)
        self._publish()

    def finish(self, node_id: str) -> None:
        entry = self._entry(node_id)
        entry.update(state="finished", value=entry["max"])
        self._publish()


class Executor:
    """Runs prompts one at a time on the worker thread; keeps the node cache between them."""

    def __init__(self, services: Any) -> None:
        self.s = services  # folders, catalog, faults, hub, console, counters, stop/die hooks
        self.cache = OutputCache()
        self.interrupted = threading.Event()

    def reset(self) -> None:
        self.cache = OutputCache()

    # -- one prompt ------------------------------------------------------------------------

    def run(self, item: tuple) -> RunResult:
        _number, prompt_id, prompt, extra_data, outputs = item
        self.interrupted.clear()  # each execution starts by clearing the flag (transcript 07c)
        hub = self.s.hub
        client_id = extra_data.get("client_id")
        hub.client_id = client_id
        messages: list[list] = []

        def send(event: str, data: Any) -> None:
            hub.send_sync(event, data, client_id)

        def add_message(event: str, data: dict, broadcast: bool) -> None:
            data = {**data, "timestamp": now_ms()}
            messages.append([event, data])
            if client_id is not None or broadcast:
                send(event, data)

        add_message("execution_start", {"prompt_id": prompt_id}, False)
        keys = cache_keys(prompt, self._changed_token)
        self.cache.retain(set(keys.values()))
        cached = [n for n in prompt if keys[n] in self.cache.outputs]
        add_message("execution_cached", {"nodes": cached, "prompt_id": prompt_id}, False)

        job = _Job(self, prompt_id, prompt, keys, client_id, send, ProgressState(send, prompt_id))
        order = ExecutionOrder(prompt, lambda n: keys[n] in self.cache.outputs,
                               lambda n: self.s.catalog.is_output_node(prompt[n]["class_type"]))
        for output in outputs:
            order.add_node(output)
        success = True
        while not order.is_empty():
            node_id = order.next_node()
            failure = job.execute(node_id)
            if failure is not None:
                success = False
                kind, details = failure
                base = {"prompt_id": prompt_id, "node_id": node_id,
                        "node_type": prompt[node_id]["class_type"], "executed": list(job.executed)}
                if kind == "interrupted":
                    add_message("execution_interrupted", base, True)
                else:
                    add_message("execution_error", {**base, **details,
                                                    "current_outputs": list(prompt)}, False)
                break
            order.complete(node_id)
        else:
            add_message("execution_success", {"prompt_id": prompt_id}, False)

        ui_outputs, meta = {}, {}
        for node_id in prompt:
            ui = self.cache.ui.get(keys[node_id])
            if ui is not None:
                ui_outputs[node_id], meta[node_id] = ui["output"], ui["meta"]
        hub.last_node_id = None
        status = {"status_str": "success" if success else "error", "completed": success,
                  "messages": messages}
        return RunResult({"outputs": ui_outputs, "meta": meta}, status, client_id)

    def _changed_token(self, class_type: str, node: dict) -> Any:
        """IS_CHANGED-like token: file contents for loaders of input files, NaN = always run."""
        inputs = node.get("inputs", {})
        if class_type in ("LoadImage", "LoadImageMask", "LoadVideo", "VHS_LoadVideo"):
            name = inputs.get("image", inputs.get("file", inputs.get("video")))
            if isinstance(name, str):
                path = self.s.folders.annotated_path(name)
                try:
                    stat = path.stat()
                    return f"{stat.st_size}:{stat.st_mtime_ns}"
                except OSError:
                    return None
        if class_type == "SaveImageWebsocket":
            return float("nan")
        return None


class _Job:
    """State of the prompt being run: what executed, how to run one node."""

    def __init__(self, executor: Executor, prompt_id: str, prompt: dict, keys: dict[str, str],
                 client_id: str | None, send: Callable[[str, Any], None],
                 progress: ProgressState) -> None:
        self.executor = executor
        self.s = executor.s
        self.prompt_id = prompt_id
        self.prompt = prompt
        self.keys = keys
        self.client_id = client_id
        self.send = send
        self.progress = progress
        self.executed: set[str] = set()
        self.mid_job_fired = False

    def execute(self, node_id: str) -> tuple[str, dict] | None:
        """Run or replay one node; returns (kind, details) when the prompt must stop."""
        cache = self.executor.cache
        key = self.keys[node_id]
        if key in cache.outputs:
            if self.client_id is not None:
                ui = cache.ui.get(key) or {}
                self.send("executed", {"node": node_id, "display_node": node_id,
                                       "output": ui.get("output"), "prompt_id": self.prompt_id})
            self.progress.finish(node_id)
            return None
        node = self.prompt[node_id]
        class_type = node["class_type"]
        self.progress.start(node_id)
        inputs = self._inputs(node)
        if self.client_id is not None:
            self.s.hub.last_node_id = node_id
            self.send("executing", {"node": node_id, "display_node": node_id,
                                    "prompt_id": self.prompt_id})
        run = NodeRun(self, node_id, class_type, inputs)
        try:
            run.check_interrupt()
            outputs, ui = run_node(run)
        except Interrupted:
            self.s.console("Processing interrupted")
            return "interrupted", {}
        except Stopped:
            raise
        except NodeError as error:
            return "error", self._error_details(error, class_type, inputs)
        except Exception as ex:  # noqa: BLE001 - any node exception becomes execution_error
            error = NodeError(full_type_name(type(ex)), str(ex), source_line=repr(ex))
            return "error", self._error_details(error, class_type, inputs)
        if ui:
            cache.ui[key] = {"meta": {"node_id": node_id, "display_node": node_id,
                                      "parent_node": None, "real_node_id": node_id},
                             "output": ui}
            if self.client_id is not None:
                self.send("executed", {"node": node_id, "display_node": node_id, "output": ui,
                                       "prompt_id": self.prompt_id})
        cache.outputs[key] = outputs
        self.progress.finish(node_id)
        self.executed.add(node_id)
        return None

    def _inputs(self, node: dict) -> dict[str, Any]:
        """Declared inputs only (extra keys are dropped, as ComfyUI does), links resolved."""
        info = self.s.catalog.info(node["class_type"]) or {}
        declared = {**info.get("input", {}).get("required", {}), **info.get("input", {}).get("optional", {})}
        resolved: dict[str, Any] = {}
        for name in declared:
            if name not in node["inputs"]:
                continue
            value = node["inputs"][name]
            if is_link(value):
                outputs = self.executor.cache.outputs.get(self.keys.get(value[0], ""))
                value = outputs[int(value[1])] if outputs is not None else None
            resolved[name] = value
        return resolved

    def _error_details(self, error: NodeError, class_type: str, inputs: dict) -> dict:
        message = f"{error.message}\n{OOM_TIPS if error.is_oom else ''}"
        frame = (f'  File "ComfyUI/{error.module_file}", line {error.line}, in {error.function}\n'
                 f"    {error.source_line}\n")
        self.s.console(f"!!! Exception during processing !!! {error.message}")
        self.s.console("Traceback (most recent call last):")
        for line in (*TRACEBACK_HEAD, frame):
            self.s.console(line.rstrip("\n"))
        self.s.console(f"{error.exception_type}: {error.message}\n")
        if error.is_oom:
            self.s.console("Got an OOM, unloading all loaded models.")
        return {"exception_message": message, "exception_type": error.exception_type,
                "traceback": [*TRACEBACK_HEAD, frame],
                "current_inputs": {name: [_format_value(v)] for name, v in inputs.items()}}

    # -- hooks used by NodeRun -------------------------------------------------------------

    def report_progress(self, node_id: str, value: int, total: int,
                        preview: tuple[str, bytes] | None) -> None:
        """ComfyUI's ProgressBar hook: interrupt check, progress_state, preview, progress."""
        if self.executor.interrupted.is_set():
            raise Interrupted()
        hub = self.s.hub
        self.progress.update(node_id, value, total)
        with_metadata = hub.supports_metadata(self.client_id)
        if preview is not None and with_metadata:
            metadata = {"node_id": node_id, "prompt_id": self.prompt_id, "display_node_id": node_id,
                        "parent_node_id": None, "real_node_id": node_id}
            self.send(hub_mod.METADATA_PREVIEW, (preview[0], preview[1], metadata))
        self.send("progress", {"value": value, "max": total, "prompt_id": self.prompt_id,
                               "node": node_id})
        if preview is not None and not with_metadata:
            self.send(hub_mod.LEGACY_PREVIEW, preview)

    def mid_job(self) -> None:
        """Fire the once-per-prompt mid-job faults (die, drop sockets)."""
        if self.mid_job_fired:
            return
        self.mid_job_fired = True
        faults = self.s.faults
        if faults.die_mid_job:
            self.s.die()
            raise Stopped()
        if faults.drop_ws_mid_job:
            self.s.drop_sockets()


def _format_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)
