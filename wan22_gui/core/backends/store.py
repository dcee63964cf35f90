"""The backends the user added, persisted in the settings and changed at run time.

The store holds only `BackendSpec`s (plain data, no secrets); the live state of each backend
(health, capabilities, GPU, launched process) is the pool's (`pool.py`). Every change is saved
at once and announced on `changed`, so the pool, the scheduler and the views follow it.
"""

from __future__ import annotations

import builtins
import dataclasses
import threading
from typing import TYPE_CHECKING

from wan22_gui.core.backends.spec import BackendSpec
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.settings import declare
from wan22_gui.core.base.signals import Signal

if TYPE_CHECKING:
    from wan22_gui.core.base.settings import Settings

BACKENDS_KEY = "backends.specs"
declare(BACKENDS_KEY, [])


class BackendStore:
    """Add, remove, pause and resume backends; thread-safe.

    Signals:
        changed(list[BackendSpec]): the backends after a change (on the caller's thread).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.changed = Signal("backends.changed")
        self._lock = threading.Lock()

    def list(self) -> list[BackendSpec]:
        """Every backend, in the order the user added them (unreadable entries are skipped)."""
        specs = []
        for raw in self.settings.get(BACKENDS_KEY) or []:
            try:
                specs.append(BackendSpec.from_json(raw))
            except (TypeError, ValueError):
                continue  # a hand-edited entry: ignored, never fatal
        return specs

    def get(self, name: str) -> BackendSpec:
        """The backend called `name`. Raises InputError naming the known ones."""
        for spec in self.list():
            if spec.name == name:
                return spec
        known = ", ".join(s.name for s in self.list()) or "none yet"
        raise InputError(f"There is no backend called {name!r} (known: {known}).",
                         "Add it with `wan22 backends add`.")

    def add(self, spec: BackendSpec) -> BackendSpec:
        """Add a backend. Raises InputError for a duplicate name, an incomplete spec or a
        remote URL that is no http(s) address (stored as the client will use it)."""
        _check(spec)
        if spec.kind == "remote" and spec.url:
            from wan22_gui.core.comfy.transport import normalize_base_url

            spec = dataclasses.replace(spec, url=normalize_base_url(spec.url))
        with self._lock:
            specs = self.list()
            if any(s.name == spec.name for s in specs):
                raise InputError(f"A backend called {spec.name!r} exists already.",
                                 "Choose another name, or remove the old one first.")
            self._save(specs + [spec])
        return spec

    def remove(self, name: str) -> None:
        """Forget a backend (its jobs in the history keep its name)."""
        with self._lock:
            self.get(name)
            self._save([s for s in self.list() if s.name != name])

    def set_paused(self, name: str, paused: bool) -> BackendSpec:
        """Pause (it finishes its job, takes no new one) or resume a backend."""
        with self._lock:
            specs = self.list()
            self.get(name)
            specs = [dataclasses.replace(s, paused=paused) if s.name == name else s
                     for s in specs]
            self._save(specs)
        return self.get(name)

    def _save(self, specs: builtins.list[BackendSpec]) -> None:
        self.settings.set(BACKENDS_KEY, [s.to_json() for s in specs])
        self.changed.emit(specs)


def _check(spec: BackendSpec) -> None:
    if not spec.name.strip():
        raise InputError("A backend needs a name.", "For example: 5090, h100, lan-4090.")
    if spec.kind == "remote" and not spec.url:
        raise InputError(f"The remote backend {spec.name!r} needs a URL.",
                         "For example: --url http://192.168.1.20:8188")
    if spec.kind == "local" and (spec.cuda_device is None or spec.port is None):
        raise InputError(f"The local backend {spec.name!r} needs a GPU index and a port.",
                         "For example: --local --cuda-device 1 --port 8190")
