"""Pending/running prompts and finished history, shaped like ComfyUI 0.3.64's PromptQueue.

Items are ``(number, prompt_id, prompt, extra_data, outputs_to_execute)`` kept in a min-heap on
``number``. Every change calls ``on_change`` (the server broadcasts `status`), including the
double call when the last pending item is deleted (transcript 07 shows two `status` messages).
"""

from __future__ import annotations

import copy
import heapq
import threading
from typing import Any, Callable

MAXIMUM_HISTORY_SIZE = 10000
SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")


class PromptQueue:
    """Thread-safe queue + history; the HTTP layer and the worker thread share it."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self.mutex = threading.RLock()
        self.not_empty = threading.Condition(self.mutex)
        self.task_counter = 0
        self.queue: list[tuple] = []
        self.running: dict[int, tuple] = {}
        self.history: dict[str, dict] = {}
        self.flags: dict[str, Any] = {}

    def put(self, item: tuple) -> None:
        with self.mutex:
            heapq.heappush(self.queue, item)
            self._on_change()
            self.not_empty.notify()

    def get(self, timeout: float | None = None) -> tuple[tuple, int] | None:
        """The next item and its running id, or None after ``timeout`` seconds with no work."""
        with self.not_empty:
            if not self.queue:
                self.not_empty.wait(timeout=timeout)
                if not self.queue:
                    return None
            item = heapq.heappop(self.queue)
            task_id = self.task_counter
            self.running[task_id] = copy.deepcopy(item)
            self.task_counter += 1
            self._on_change()
            return item, task_id

    def wake(self) -> None:
        """Release a worker blocked in get() (used when the server stops)."""
        with self.not_empty:
            self.not_empty.notify_all()

    def task_done(self, task_id: int, history_result: dict, status: dict | None) -> None:
        with self.mutex:
            item = self.running.pop(task_id)
            if len(self.history) > MAXIMUM_HISTORY_SIZE:
                self.history.pop(next(iter(self.history)))
            for key in SENSITIVE_EXTRA_DATA_KEYS:
                item[3].pop(key, None)
            entry = {"prompt": item, "outputs": {}, "status": copy.deepcopy(status)}
            entry.update(history_result)
            self.history[item[1]] = entry
            self._on_change()

    def drop_running(self, task_id: int) -> None:
        """Forget a running item without history (the server died mid-job)."""
        with self.mutex:
            self.running.pop(task_id, None)

    def current(self) -> tuple[list, list]:
        """(running items, pending items in heap order)."""
        with self.mutex:
            return list(self.running.values()), list(self.queue)

    def running_ids(self) -> list[str]:
        with self.mutex:
            return [item[1] for item in self.running.values()]

    def tasks_remaining(self) -> int:
        with self.mutex:
            return len(self.queue) + len(self.running)

    def wipe_queue(self) -> None:
        with self.mutex:
            self.queue = []
            self._on_change()

    def delete_queue_item(self, prompt_id: str) -> bool:
        with self.mutex:
            for index, item in enumerate(self.queue):
                if item[1] == prompt_id:
                    if len(self.queue) == 1:
                        self.wipe_queue()
                    else:
                        self.queue.pop(index)
                        heapq.heapify(self.queue)
                    self._on_change()
                    return True
        return False

    def get_history(self, prompt_id: str | None = None, max_items: int | None = None,
                    offset: int = -1) -> dict[str, dict]:
        with self.mutex:
            if prompt_id is not None:
                entry = self.history.get(prompt_id)
                return {prompt_id: copy.deepcopy(entry)} if entry is not None else {}
            out: dict[str, dict] = {}
            if offset < 0 and max_items is not None:
                offset = len(self.history) - max_items
            for index, key in enumerate(self.history):
                if index >= offset:
                    out[key] = self.history[key]
                    if max_items is not None and len(out) >= max_items:
                        break
            return copy.deepcopy(out)

    def wipe_history(self) -> None:
        with self.mutex:
            self.history = {}

    def delete_history_item(self, prompt_id: str) -> None:
        with self.mutex:
            self.history.pop(prompt_id, None)

    def set_flag(self, name: str, value: Any) -> None:
        with self.mutex:
            self.flags[name] = value
            self.not_empty.notify()

    def take_flags(self) -> dict[str, Any]:
        with self.mutex:
            flags, self.flags = self.flags, {}
            return flags
