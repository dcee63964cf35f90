"""Why ComfyUI stopped: a sentence and a suggested fix, from its exit code and last lines.

Rules look at the tail of the console; the most recent evidence wins, so an import error that
ComfyUI survived at start-up (a custom node missing `torchaudio`) does not hide the real cause.

A process killed by a signal says nothing in its console. For SIGKILL the kernel log (`dmesg`,
else `journalctl -k`) is read when it can be: an OOM-killer line naming the pid is said for
certain; without that line, memory is only offered as one possible cause, never asserted.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Callable

from wan22_gui.core.server.logparse import last_exception, missing_module

TAIL = 80
EXIT_ARGPARSE = 2
EXIT_MINUS_ONE = (255, 4294967295, -1)  # sys.exit(-1) on POSIX / on Windows
# Import name -> pip package, where they differ.
PIP_NAMES = {"cv2": "opencv-python", "PIL": "pillow", "yaml": "pyyaml", "skimage": "scikit-image",
             "sklearn": "scikit-learn", "google": "protobuf", "flash_attn": "flash-attn"}


@dataclass(frozen=True)
class CrashReport:
    """What the user sees when ComfyUI stops by itself (`ram_oom`: the kernel log shows that
    its OOM killer ended ComfyUI's process).

    Attributes:
        kind: bad_flag, missing_attention_package, port_in_use, cuda_unavailable,
            missing_module, oom, channels_last, killed, ram_oom, start_timeout or unknown.
        sentence: what happened, in one sentence.
        fix: what to do about it.
        exit_code: the process's exit code (None when it did not exit, e.g. a timeout).
        last_lines: the console tail the verdict is based on.
    """

    kind: str
    sentence: str
    fix: str
    exit_code: int | None
    last_lines: list[str] = field(default_factory=list)

    def user_text(self) -> str:
        return f"{self.sentence}\n{self.fix}"


Rule = Callable[[int | None, list[str], str], "tuple[int, str, str, str] | None"]
KernelLog = Callable[[], "list[str] | None"]  # the kernel log's lines; None: cannot be read


def classify(exit_code: int | None, lines: list[str], python: str = "python", *,
             pid: int | None = None, kernel_log: KernelLog | None = None) -> CrashReport:
    """Turn an exit code and the console's last lines into a CrashReport.

    `pid` and `kernel_log` (default: `read_kernel_log`) are only used for a SIGKILL, to find
    whether the kernel's OOM killer ended that process.
    """
    tail = [line.rstrip("\r\n") for line in lines[-TAIL:]]
    if exit_code is not None and exit_code < 0:  # a signal: the console cannot say why
        return killed(exit_code, tail, pid, kernel_log or read_kernel_log)
    found = [hit for rule in _RULES if (hit := rule(exit_code, tail, python)) is not None]
    if found:
        _, kind, sentence, fix = max(found, key=lambda hit: hit[0])  # latest evidence wins
        return CrashReport(kind, sentence, fix, exit_code, tail)
    return _fallback(exit_code, tail)


def _last_index(tail: list[str], *needles: str, flags: int = re.IGNORECASE) -> int | None:
    pattern = re.compile("|".join(re.escape(n) for n in needles), flags)
    for index in range(len(tail) - 1, -1, -1):
        if pattern.search(tail[index]):
            return index
    return None


def _bad_flag(code, tail, python):
    if code != EXIT_ARGPARSE:
        return None
    index = _last_index(tail, ": error:")
    if index is None:
        return None
    message = tail[index].split(": error:", 1)[1].strip()
    if "not allowed with argument" in message:
        fix = ("Keep only one of these two flags: ComfyUI treats them as alternatives. "
               "Edit the extra flags or pick another preset.")
    else:
        fix = ("Remove or correct that flag in the extra flags. The doctor lists which flags "
               "this ComfyUI version knows.")
    return index + 1000, "bad_flag", f"ComfyUI refused its command line: {message}.", fix


def _attention_package(code, tail, python):
    index = _last_index(tail, "feature, the `")
    if index is None or (code is not None and code not in EXIT_MINUS_ONE):
        return None
    match = re.search(r"`(--[\w-]+)` feature, the `([\w.-]+)` package", tail[index])
    flag, package = (match.group(1), match.group(2)) if match else ("attention", "package")
    command = next((line.strip() for line in tail[index:] if "pip install" in line),
                   f"{python} -m pip install {package}")
    return (index, "missing_attention_package",
            f"ComfyUI stopped because {flag} needs the '{package}' package, which is not "
            f"installed in ComfyUI's Python.",
            f"Choose PyTorch SDPA attention, or install it: {command}")


def _port_in_use(code, tail, python):
    index = _last_index(tail, "address already in use", "Errno 98", "Errno 10048",
                        "only one usage of each socket address")
    if index is None:
        return None
    return (index, "port_in_use", "ComfyUI could not open its port: another program uses it.",
            "Pick another port, or stop the other program. If it is a ComfyUI, use Attach.")


def _cuda_unavailable(code, tail, python):
    index = _last_index(tail, "Torch not compiled with CUDA enabled", "no CUDA GPUs are available",
                        "Found no NVIDIA driver", "CUDA driver version is insufficient")
    if index is None:
        return None
    return (index, "cuda_unavailable",
            "ComfyUI's PyTorch cannot use the GPU (it is a CPU-only build, or the NVIDIA "
            "driver is missing or too old).",
            f"Install a CUDA build of PyTorch into ComfyUI's Python ({python} -m pip install "
            "torch --index-url https://download.pytorch.org/whl/cu128), update the NVIDIA "
            "driver, or start with the CPU preset.")


def _missing_module(code, tail, python):
    exc = last_exception(tail)
    if exc is None or exc[1] != "ModuleNotFoundError" or code in (0, None):
        return None
    module = missing_module(exc[2]) or "a module"
    package = PIP_NAMES.get(module, module)
    return (exc[0], "missing_module",
            f"ComfyUI stopped because the Python module '{module}' is missing.",
            f"Install it into ComfyUI's Python: {python} -m pip install {package} (or run "
            "pip install -r requirements.txt in the ComfyUI folder after an update).")


def _channels_last(code, tail, python):
    index = _last_index(tail, "required rank 4 tensor to use channels_last format")
    if index is None:
        return None
    return (index, "channels_last",
            "--force-channels-last broke Wan's 5-D video tensors (required rank 4 tensor to "
            "use channels_last format).",
            "Remove --force-channels-last from the extra flags; video models need the default "
            "memory format.")


def _oom(code, tail, python):
    index = _last_index(tail, "CUDA out of memory", "OutOfMemoryError", "Allocation on device")
    if index is None:
        return None
    return (index, "oom", "The GPU ran out of memory.",
            "Use a shorter clip or a smaller size, raise --reserve-vram, or pick the preset of "
            "a smaller VRAM tier.")


def killed(code: int, tail: list[str], pid: int | None, kernel_log: KernelLog) -> CrashReport:
    """ComfyUI ended by a signal: say which, and for SIGKILL what the kernel log shows."""
    number = -code
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = "an unknown signal"
    said = f"ComfyUI was killed ({name}, signal {number})."
    if name != "SIGKILL":
        return CrashReport("killed", f"{said} Something outside the app stopped it.",
                           "Restart it.", code, tail)
    evidence = kernel_log() if pid is not None else None
    oom_line = oom_kill_line(evidence or [], pid) if pid is not None else None
    if oom_line is not None:
        return CrashReport(
            "ram_oom", f"The system ran out of memory (RAM) and its OOM killer ended ComfyUI "
                       f"(pid {pid}, SIGKILL). The kernel log says: {oom_line.strip()}",
            "Close programs that use much RAM, add RAM or swap, or make a shorter or smaller "
            "clip; then restart ComfyUI.", code, tail)
    log_says = "Nothing in its log explains it."  # a signal leaves no trace in the console
    if evidence is not None:  # readable, and no OOM kill of this pid in it
        return CrashReport(
            "killed", f"{said} {log_says} The kernel log shows no out-of-memory kill of it "
                      f"(pid {pid}), so something else stopped it (a user, another program or "
                      f"a service manager).", "Restart it.", code, tail)
    return CrashReport(
        "killed", f"{said} {log_says}",
        "The system may have stopped it for lack of memory: check `dmesg` or the system "
        "journal (`journalctl -k`) for an 'Out of memory: Killed process"
        f"{f' {pid}' if pid else ''}' line. Then restart it.", code, tail)


_OOM_KILL = (re.compile(r"Killed process (\d+)\b"), re.compile(r"oom-kill:.*\bpid=(\d+)\b"))


def oom_kill_line(lines: list[str], pid: int | None) -> str | None:
    """The kernel log line that says the OOM killer ended `pid`, if there is one."""
    if pid is None:
        return None
    for line in reversed(lines):
        for pattern in _OOM_KILL:
            match = pattern.search(line)
            if match and int(match.group(1)) == pid and \
                    ("memory" in line.lower() or "oom" in line.lower()):
                return line
    return None


def read_kernel_log(timeout: float = 1.0) -> list[str] | None:
    """The kernel log's lines (`dmesg`, else `journalctl -k`); None when it cannot be read
    (not Linux, no permission, neither tool), which is common for a normal user."""
    if not sys.platform.startswith("linux"):
        return None
    for command in (["dmesg"], ["journalctl", "-k", "-q", "--no-pager", "-n", "5000"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  errors="replace")
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.splitlines()
    return None


_RULES: list[Rule] = [_bad_flag, _attention_package, _port_in_use, _cuda_unavailable,
                      _missing_module, _channels_last, _oom]


def _fallback(exit_code: int | None, tail: list[str]) -> CrashReport:
    exc = last_exception(tail)
    detail = f" The last error was {exc[1]}: {exc[2]}" if exc else ""
    return CrashReport("unknown", f"ComfyUI stopped unexpectedly (exit code {exit_code}).{detail}",
                       "Read the end of the log below, then restart. The full log is in the "
                       "app's log folder (comfyui.log).", exit_code, tail)


def start_timeout(url: str, seconds: float, tail: list[str]) -> CrashReport:
    """ComfyUI kept running but never answered on its URL."""
    return CrashReport(
        "start_timeout", f"ComfyUI did not answer on {url} within {seconds:.0f} s, so it was stopped.",
        "Read the log below. A first start with many custom nodes can take minutes: raise the "
        "start-up timeout (setting launcher.ready_timeout_s) and start again.",
        None, tail[-TAIL:])
