"""What ComfyUI's own Python has: its version, torch (and whether it sees CUDA), and the
optional attention packages. Found by running a short script in that interpreter.

The answer is cached per interpreter and re-used until a package is installed or removed there
(the cache remembers the modification times of its site-packages folders).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wan22_gui.core.server.cache import JsonCache
from wan22_gui.core.server.install import ComfyInstall

log = logging.getLogger("wan22.server")

PROBE_TIMEOUT_S = 120.0  # importing torch on a cold Windows disk can take a minute
MARKER = "WAN22-PROBE:"
ATTENTION_MODULES = {"sage": "sageattention", "flash": "flash_attn"}

# Runs inside ComfyUI's interpreter: standard library only, one JSON line at the end.
_SCRIPT = r"""
import json, platform, site, sys
out = {"python_version": platform.python_version(), "executable": sys.executable,
       "site_dirs": [p for p in (site.getsitepackages() if hasattr(site, "getsitepackages") else [])]
                    + [p for p in sys.path if p.endswith("site-packages")],
       "modules": {}, "errors": {}}
try:
    import torch
    out["torch_version"] = torch.__version__
    out["torch_cuda"] = torch.version.cuda
    out["cuda_available"] = bool(torch.cuda.is_available())
except Exception as exc:
    out["errors"]["torch"] = "%s: %s" % (type(exc).__name__, exc)
for name in sys.argv[1:]:
    try:
        __import__(name)
        out["modules"][name] = True
    except Exception as exc:
        out["modules"][name] = False
        out["errors"][name] = "%s: %s" % (type(exc).__name__, exc)
print("@MARKER@" + json.dumps(out))
""".replace("@MARKER@", MARKER)


@dataclass(frozen=True)
class PythonProbe:
    """What the probe found. `error` is set when the interpreter could not be run at all."""

    python_version: str | None = None
    torch_version: str | None = None
    torch_cuda: str | None = None
    cuda_available: bool | None = None
    modules: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def has_attention(self, backend: str) -> bool:
        """Whether `--use-<backend>-attention` would start ("sdpa" needs nothing)."""
        module = ATTENTION_MODULES.get(backend)
        return module is None or bool(self.modules.get(module))

    def attention_backends(self) -> list[str]:
        return ["sdpa"] + [b for b in ATTENTION_MODULES if self.has_attention(b)]

    def summary(self) -> str:
        if self.error:
            return self.error
        if not self.torch_version:
            why = self.errors.get("torch", "not importable")
            return f"Python {self.python_version}; torch cannot be imported there ({why})"
        cuda = "" if self.cuda_available is None else (
            f", CUDA {self.torch_cuda} available" if self.cuda_available
            else f", CUDA NOT available to torch (built for CUDA {self.torch_cuda})")
        return f"Python {self.python_version}, torch {self.torch_version}{cuda}"


def probe_python(install: ComfyInstall, cache: JsonCache | None = None, *,
                 refresh: bool = False, timeout: float = PROBE_TIMEOUT_S) -> PythonProbe:
    """Run the probe in `install`'s interpreter (or take the cached answer). Never raises."""
    key = f"probe|{install.python}"
    cached = None if (refresh or cache is None) else cache.get(key)
    if cached and _still_valid(cached):
        return PythonProbe(**cached["result"])
    result, site_dirs = _run(install, timeout)
    if cache is not None and result.error is None:
        cache.put(key, {"result": asdict(result), "stamps": _stamps(site_dirs)})
    return result


def _run(install: ComfyInstall, timeout: float) -> tuple[PythonProbe, list[str]]:
    argv = [str(install.python), *install.python_args, "-c", _SCRIPT, *ATTENTION_MODULES.values()]
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=str(install.cwd),
                              env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return PythonProbe(error=f"ComfyUI's Python {install.python} does not exist."), []
    except subprocess.TimeoutExpired:
        return PythonProbe(error=f"ComfyUI's Python did not answer within {timeout:.0f} s."), []
    except OSError as exc:
        return PythonProbe(error=f"Cannot run ComfyUI's Python {install.python}: {exc}."), []
    text = done.stdout.decode("utf-8", errors="replace")
    line = next((ln for ln in reversed(text.splitlines()) if ln.startswith(MARKER)), None)
    if line is None:
        tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or ["?"]
        return PythonProbe(error=f"ComfyUI's Python failed (exit code {done.returncode}): "
                                 f"{tail[0]}"), []
    data: dict[str, Any] = json.loads(line[len(MARKER):])
    probe = PythonProbe(
        python_version=data.get("python_version"), torch_version=data.get("torch_version"),
        torch_cuda=data.get("torch_cuda"), cuda_available=data.get("cuda_available"),
        modules=dict(data.get("modules", {})), errors=dict(data.get("errors", {})),
    )
    return probe, list(dict.fromkeys(data.get("site_dirs", [])))


def _stamps(site_dirs: list[str]) -> dict[str, float]:
    stamps = {}
    for folder in site_dirs:
        try:
            stamps[folder] = Path(folder).stat().st_mtime
        except OSError:
            continue
    return stamps


def _still_valid(entry: dict[str, Any]) -> bool:
    """A cached probe holds while no site-packages folder changed (pip install touches it)."""
    stamps = entry.get("stamps") or {}
    return all(_stamps([folder]).get(folder) == stamp for folder, stamp in stamps.items())
