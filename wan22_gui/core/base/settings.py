"""User settings: a versioned JSON file in the config dir, with migrations.

Settings are a flat namespace of dotted keys ("launcher.comfyui_path") with declared defaults,
so any module can own its keys without a central class growing without end. Unknown keys in the
file are kept (a newer version of the app may have written them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

from wan22_gui.core.base.errors import StorageError, storage_reason
from wan22_gui.core.base.signals import Signal

log = logging.getLogger("wan22.settings")

SCHEMA_VERSION = 1

# key -> default. Modules add their keys with `declare()` at import time.
_DEFAULTS: dict[str, Any] = {
    "server.url": "http://127.0.0.1:8188",
    "server.mode": "launch",  # "launch" (we start ComfyUI) or "attach" (one already runs)
}

# from_version -> function(dict) -> dict, applied in order up to SCHEMA_VERSION.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def declare(key: str, default: Any) -> None:
    """Declare a setting and its default (idempotent)."""
    _DEFAULTS.setdefault(key, default)


class Settings:
    """Loaded settings. Thread-safe; `changed` emits (key, value) after each `set`.

    Signals:
        changed(key, value): a value was set.
    """

    def __init__(self, path: Path | None, values: dict[str, Any] | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = dict(values or {})
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self.changed = Signal("settings.changed")

    @classmethod
    def load(cls, path: Path) -> "Settings":
        """Read settings; a missing or corrupt file gives defaults (a corrupt one is kept aside)."""
        override = os.environ.get("WAN22_CONFIG")
        path = Path(override) if override else Path(path)
        if not path.exists():
            return cls(path)
        try:
            raw = _migrate(_checked(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, RecursionError) as exc:
            backup = path.with_suffix(path.suffix + ".corrupt")
            log.warning("settings file %s unreadable (%s); kept as %s", path, exc, backup)
            try:
                path.replace(backup)
            except OSError:
                pass
            return cls(path)
        return cls(path, raw.get("values") or {})

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            if key in self._values:
                return self._values[key]
        return _DEFAULTS.get(key, default)

    def set(self, key: str, value: Any, *, save: bool = True) -> None:
        with self._lock:
            self._values[key] = value
        if save:
            self.save()
        self.changed.emit(key, value)

    def save(self) -> None:
        if self.path is None:
            return
        with self._save_lock:  # two threads saving at once shared one temp file
            with self._lock:
                payload = {"schema_version": SCHEMA_VERSION, "values": dict(self._values)}
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
                tmp.replace(self.path)  # atomic: a crash never leaves half a file
            except OSError as exc:  # the old file stays as it was
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)
                raise StorageError(f"The settings could not be saved to {self.path}: "
                                   f"{storage_reason(exc)}.",
                                   "Free some space or fix the folder's permissions; the change "
                                   "applies until the app closes.") from None


def _checked(raw: Any) -> dict[str, Any]:
    """The file's content if it has the shape settings have; ValueError saying what is off
    (the file is then kept aside as corrupt and the app starts with defaults)."""
    if not isinstance(raw, dict):
        raise ValueError("top level is not an object")
    version = raw.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"schema_version is {version!r}, not a whole number")
    if version > SCHEMA_VERSION:
        log.warning("settings file written by a newer app (schema %s); reading what we know",
                    version)
    if "values" in raw and not isinstance(raw["values"], dict):
        raise ValueError(f"'values' is a {type(raw['values']).__name__}, not an object")
    return raw


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = int(raw.get("schema_version", 0))
    if version == 0 and "values" not in raw:
        raw = {"schema_version": 1, "values": dict(raw)}
        version = 1
    while version < SCHEMA_VERSION:
        raw = _MIGRATIONS.get(version, dict)(raw)  # no migration: the shape did not change
        version += 1
        raw["schema_version"] = version
    return raw
