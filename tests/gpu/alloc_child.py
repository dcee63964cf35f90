"""Child process for the GPU tests: holds a known amount of GPU memory on command.

Run as `python alloc_child.py BYTES`. Protocol on stdout/stdin, one line each:
    -> "CONTEXT <method>"   CUDA is initialized (the context's own memory is already taken)
    <- "alloc"
    -> "ALLOCATED"          BYTES are allocated and written
    <- "free"
    -> "FREED"             (the CUDA context stays until:)
    <- "exit"
Allocation uses torch if importable, else cupy, else the CUDA driver API through ctypes
(libcuda ships with the NVIDIA driver, so the last way needs no package at all).
Any failure prints "ERROR <text>" and exits 2.
"""

from __future__ import annotations

import ctypes
import sys


def _say(text: str) -> None:
    print(text, flush=True)


def _expect(word: str) -> None:
    line = sys.stdin.readline().strip()
    if line != word:
        raise SystemExit(0)  # the parent went away or gave up: just exit


class Unusable(Exception):
    """This way of allocating is not available here (not installed, no CUDA build, ...)."""


def _with_torch(size: int) -> None:
    try:
        import torch

        torch.zeros(1, device="cuda")
        torch.cuda.synchronize()
    except Exception as exc:
        raise Unusable(f"torch: {exc}") from exc
    _say("CONTEXT torch")
    _expect("alloc")
    block = torch.ones(size, dtype=torch.uint8, device="cuda")
    torch.cuda.synchronize()
    _say("ALLOCATED")
    _expect("free")
    del block
    torch.cuda.empty_cache()
    torch.cuda.synchronize()
    _say("FREED")


def _with_cupy(size: int) -> None:
    try:
        import cupy

        cupy.cuda.runtime.free(cupy.cuda.runtime.malloc(1))
    except Exception as exc:
        raise Unusable(f"cupy: {exc}") from exc
    _say("CONTEXT cupy")
    _expect("alloc")
    pointer = cupy.cuda.runtime.malloc(size)
    cupy.cuda.runtime.memset(pointer, 1, size)
    cupy.cuda.runtime.deviceSynchronize()
    _say("ALLOCATED")
    _expect("free")
    cupy.cuda.runtime.free(pointer)
    cupy.cuda.runtime.deviceSynchronize()
    _say("FREED")


def _with_driver_api(size: int) -> None:
    name = "nvcuda.dll" if sys.platform.startswith("win") else "libcuda.so.1"
    try:
        cuda = ctypes.CDLL(name)
    except OSError as exc:
        raise Unusable(f"ctypes: {exc}") from exc

    def check(result: int, what: str) -> None:
        if result != 0:
            raise RuntimeError(f"{what} failed with CUDA error {result}")

    device = ctypes.c_int()
    context = ctypes.c_void_p()
    check(cuda.cuInit(0), "cuInit")
    check(cuda.cuDeviceGet(ctypes.byref(device), 0), "cuDeviceGet")
    check(cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device), "cuDevicePrimaryCtxRetain")
    check(cuda.cuCtxSetCurrent(context), "cuCtxSetCurrent")
    _say("CONTEXT ctypes")
    _expect("alloc")
    pointer = ctypes.c_uint64()
    check(cuda.cuMemAlloc_v2(ctypes.byref(pointer), ctypes.c_size_t(size)), "cuMemAlloc")
    check(cuda.cuMemsetD8_v2(pointer, ctypes.c_ubyte(1), ctypes.c_size_t(size)), "cuMemsetD8")
    check(cuda.cuCtxSynchronize(), "cuCtxSynchronize")
    _say("ALLOCATED")
    _expect("free")
    check(cuda.cuMemFree_v2(pointer), "cuMemFree")
    check(cuda.cuCtxSynchronize(), "cuCtxSynchronize")
    _say("FREED")


def main() -> None:
    size = int(sys.argv[1])
    method = sys.argv[2] if len(sys.argv) > 2 else "auto"
    ways = {"torch": _with_torch, "cupy": _with_cupy, "ctypes": _with_driver_api}
    order = [method] if method != "auto" else ["torch", "cupy", "ctypes"]
    reasons = []
    for name in order:
        try:
            ways[name](size)
            _expect("exit")
            return
        except Unusable as exc:
            reasons.append(str(exc))
        except Exception as exc:  # report to the parent instead of a traceback
            _say(f"ERROR {name}: {exc}")
            raise SystemExit(2) from None
    _say("ERROR no way to allocate GPU memory: " + "; ".join(reasons))
    raise SystemExit(2)


if __name__ == "__main__":
    main()
