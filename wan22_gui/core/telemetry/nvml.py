"""The one place that calls NVML: lazy init under a lock, "not available" instead of errors.

Everything that reads the GPU (the sampler, GPU detection) goes through an `Nvml` object, which
wraps a pynvml-like module. Tests pass a fake module; the app passes nothing and gets the real
`pynvml` (package nvidia-ml-py), imported on first use so that CLI commands that never touch the
GPU do not pay for it.

A value NVML cannot give (unsupported on this card, no permission, driver gone) comes back as the
`NA` sentinel, never as an exception. If NVML cannot start at all, `problem` says why in words a
user can act on; after a mid-run loss (driver crash, GPU fell off the bus) the object retries init
every `retry_s` seconds, so the graph resumes by itself when the driver comes back.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from types import ModuleType
from typing import Any, Callable, Protocol

from wan22_gui.core.base.errors import NvmlUnavailable

log = logging.getLogger("wan22.telemetry")

# pynvml error codes we react to (values from nvml.h, stable across driver versions).
_ERR_UNINITIALIZED = 1
_ERR_NO_PERMISSION = 4
_ERR_DRIVER_NOT_LOADED = 9
_ERR_LIBRARY_NOT_FOUND = 12
_ERR_GPU_IS_LOST = 15
# Errors after which the whole library is unusable (not just one value on one card).
_FATAL = {_ERR_UNINITIALIZED, _ERR_DRIVER_NOT_LOADED, _ERR_LIBRARY_NOT_FOUND, _ERR_GPU_IS_LOST}


class NaType:
    """'Not available': prints as "N/A", is falsy, and is NaN when converted to float."""

    _instance: "NaType | None" = None

    def __new__(cls) -> "NaType":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"

    def __str__(self) -> str:
        return "N/A"

    def __format__(self, spec: str) -> str:
        return "N/A"

    def __bool__(self) -> bool:
        return False

    def __float__(self) -> float:
        return math.nan


NA = NaType()


def is_na(value: Any) -> bool:
    """True for the NA sentinel (and for None, which some pynvml versions return)."""
    return value is NA or value is None


class NvmlReader(Protocol):
    """What the sampler and GPU detection need from NVML (so tests can pass anything like it)."""

    def query(self, fn_name: str, *args: Any, default: Any = NA) -> Any: ...

    def available(self) -> bool: ...

    def handle(self, index: int) -> Any: ...

    @property
    def problem(self) -> NvmlUnavailable | None: ...

    def shutdown(self) -> None: ...


class Nvml:
    """A pynvml-like module behind one choke point.

    Args:
        module: an object with pynvml's functions (`nvmlInit`, `nvmlDeviceGetMemoryInfo`, ...)
            and its `NVMLError` class. None imports the real `pynvml` on first use.
        retry_s: after NVML failed or was lost, how long to wait before trying init again.
        clock: monotonic clock (tests pass a fake one to step through retries).
        register_atexit: call `shutdown()` when the interpreter exits.
    """

    def __init__(
        self,
        module: ModuleType | Any | None = None,
        *,
        retry_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        register_atexit: bool = True,
    ) -> None:
        self._module = module
        self._retry_s = retry_s
        self._clock = clock
        self._register_atexit = register_atexit
        self._lock = threading.RLock()
        self._initialized = False
        self._problem: NvmlUnavailable | None = None
        self._failed_at: float | None = None
        self._handles: dict[int, Any] = {}
        self._atexit_registered = False

    # --- state -------------------------------------------------------------------------------

    @property
    def problem(self) -> NvmlUnavailable | None:
        """Why NVML gives no data right now (None while it works or before the first try)."""
        with self._lock:
            return self._problem

    def why_unavailable(self) -> str | None:
        """The problem as one text for a panel or the CLI (message and hint), or None."""
        problem = self.problem
        return problem.user_text() if problem else None

    def available(self) -> bool:
        """Initialize NVML if needed; True when it can be queried."""
        return self._ensure_init()

    # --- queries -----------------------------------------------------------------------------

    def query(self, fn_name: str, *args: Any, default: Any = NA) -> Any:
        """Call `module.<fn_name>(*args)`; return `default` on any NVML error.

        An error that means the driver or GPU is gone marks NVML as lost (see `problem`) and makes
        later queries return `default` at once until a retry succeeds.
        """
        if not self._ensure_init():
            return default
        module = self._module
        fn = getattr(module, fn_name, None)
        if fn is None:  # older bindings or a driver without this function
            return default
        try:
            return fn(*args)
        except self._error_class() as exc:
            code = getattr(exc, "value", None)
            if code in _FATAL:
                self._mark_lost(exc, code)
            return default

    def handle(self, index: int) -> Any:
        """The device handle for GPU `index` (cached until NVML is re-initialized), or NA."""
        if not self._ensure_init():
            return NA
        with self._lock:
            cached = self._handles.get(index)
        if cached is not None:
            return cached
        found = self.query("nvmlDeviceGetHandleByIndex", index)
        if not is_na(found):
            with self._lock:
                self._handles[index] = found
        return found

    def device_count(self) -> int:
        """Number of GPUs NVML sees (0 when unavailable)."""
        count = self.query("nvmlDeviceGetCount", default=0)
        return int(count) if not is_na(count) else 0

    # --- lifecycle ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Release NVML (safe to call twice; called at interpreter exit)."""
        with self._lock:
            if not self._initialized:
                return
            self._initialized = False
            self._handles.clear()
            module = self._module
        try:
            module.nvmlShutdown()  # type: ignore[union-attr]  # set: _initialized was True
        except Exception as exc:  # shutting down a lost driver may fail; nothing to do about it
            log.debug("nvmlShutdown failed: %s", exc)

    def _ensure_init(self) -> bool:
        with self._lock:
            if self._initialized:
                return True
            if self._failed_at is not None and self._clock() - self._failed_at < self._retry_s:
                return False
            try:
                if self._module is None:
                    import pynvml  # noqa: PLC0415 (lazy: only the GPU paths pay for it)

                    self._module = pynvml
                self._module.nvmlInit()
            except ImportError:
                self._fail(NvmlUnavailable(
                    "The NVML Python bindings (package nvidia-ml-py) are not installed.",
                    "Reinstall Wan 2.2 Studio, or run: pip install nvidia-ml-py",
                ))
                return False
            except Exception as exc:  # NVMLError, or OSError from a broken library
                self._fail(_explain(exc, getattr(exc, "value", None)))
                return False
            self._initialized = True
            self._problem = None
            self._failed_at = None
            self._handles.clear()
            if self._register_atexit and not self._atexit_registered:
                atexit.register(self.shutdown)
                self._atexit_registered = True
            log.info("NVML initialized")
            return True

    def _fail(self, problem: NvmlUnavailable) -> None:
        if self._problem is None or str(self._problem) != str(problem):
            log.warning("GPU telemetry unavailable: %s", problem)
        self._problem = problem
        self._failed_at = self._clock()

    def _mark_lost(self, exc: BaseException, code: int) -> None:
        with self._lock:
            if not self._initialized:
                return
            self._fail(_explain(exc, code, mid_run=True))
        self.shutdown()

    def _error_class(self) -> type[BaseException]:
        error = getattr(self._module, "NVMLError", None)
        return error if isinstance(error, type) and issubclass(error, BaseException) else Exception


def _explain(exc: BaseException, code: int | None, *, mid_run: bool = False) -> NvmlUnavailable:
    """Turn an NVML init/query failure into a message that says what to do."""
    if code == _ERR_LIBRARY_NOT_FOUND:
        return NvmlUnavailable(
            "No NVIDIA driver found: the NVML library (libnvidia-ml / nvml.dll) is missing.",
            "Install the NVIDIA driver to see the GPU graph; the rest of the app works without it.",
        )
    if code == _ERR_DRIVER_NOT_LOADED:
        return NvmlUnavailable(
            "The NVIDIA driver is not loaded" + (" any more." if mid_run else "."),
            "Check `nvidia-smi` in a terminal; a reboot usually reloads the driver.",
        )
    if code == _ERR_NO_PERMISSION:
        return NvmlUnavailable(
            "No permission to read the GPU through NVML.",
            "Run the app as a user allowed to use the GPU (on Linux, access to /dev/nvidia*).",
        )
    if code == _ERR_GPU_IS_LOST:
        return NvmlUnavailable(
            "The GPU stopped answering (NVML: GPU is lost).",
            "The driver or the card crashed; check the system log, then restart ComfyUI. "
            "The graph resumes by itself when the GPU answers again.",
        )
    what = "NVML stopped working" if mid_run else "NVML could not start"
    return NvmlUnavailable(
        f"{what}: {exc}",
        "Check `nvidia-smi` in a terminal; the graph retries by itself.",
    )
