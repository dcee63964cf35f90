"""A small JSON file of cached answers (probe results, `--help` text), safe to lose.

Keys are strings the caller builds from what invalidates the answer (Python path, ComfyUI
version, commit). A corrupt or unreadable file is treated as empty.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("wan22.server")


class JsonCache:
    """Key -> JSON value, persisted in one file; thread-safe within one process."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._memory: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
            return self._load().get(key)

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._memory[key] = value
            if self.path is None:
                return
            data = self._load()
            data[key] = value
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                tmp.replace(self.path)
            except OSError as exc:  # a cache that cannot be written only costs time
                log.warning("cannot write cache %s: %s", self.path, exc)

    def _load(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}


def launcher_cache(paths: Any) -> JsonCache:
    """The launcher's cache file (probe results, `--help` tables) in the app's cache folder."""
    return JsonCache(Path(paths.cache_dir) / "comfyui_installs.json")
