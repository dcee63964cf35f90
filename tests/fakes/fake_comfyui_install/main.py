"""A fake ComfyUI `main.py` for launcher tests: same command line, console and failure modes.

It parses ComfyUI 0.3.64's flags with argparse (same mutually exclusive groups, so a bad or
conflicting flag exits with code 2), prints ComfyUI-like start-up lines on stderr (stdout with
--log-stdout), exits with 255 and a pip hint when --use-sage-attention / --use-flash-attention
lack their package, fails with an OSError and exit 1 when the port is taken, and otherwise serves
the stand-in ComfyUI (`tests.fakes.comfy_standin`) on --listen/--port until SIGINT.

Test knobs (environment variables):
    FAKE_COMFY_STARTUP_S      seconds of "importing nodes" before the server starts (default 0.2)
    FAKE_COMFY_FAIL_AT_START  "cuda" | "module:<name>": fail during start-up like ComfyUI would
    FAKE_COMFY_CRASH          "oom" | "channels_last" | "cuda" | "abort": crash once serving ...
    FAKE_COMFY_CRASH_AFTER_S  ... this many seconds after it started serving (default 0.5)
    FAKE_COMFY_IGNORE_SIGINT  "1": ignore SIGINT/SIGTERM (the launcher must escalate to a kill)
    FAKE_COMFY_CHILD          "1": start a grandchild process (prints "fake child pid N")
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from comfyui_version import __version__  # noqa: E402  (ComfyUI keeps its version here too)

SWITCHES = [
    "--auto-launch", "--disable-auto-launch", "--cpu-vae", "--force-channels-last",
    "--disable-ipex-optimize", "--supports-fp8-compute", "--disable-xformers",
    "--async-offload", "--force-non-blocking", "--disable-smart-memory", "--deterministic",
    "--mmap-torch-files", "--disable-mmap", "--dont-print-server", "--quick-test-for-ci",
    "--windows-standalone-build", "--disable-metadata", "--disable-all-custom-nodes",
    "--disable-api-nodes", "--multi-user", "--log-stdout", "--enable-compress-response-body",
]
VALUES = {
    "--port": int, "--tls-keyfile": str, "--tls-certfile": str, "--max-upload-size": float,
    "--base-directory": str, "--output-directory": str, "--temp-directory": str,
    "--input-directory": str, "--cuda-device": int, "--default-device": int,
    "--oneapi-device-selector": str, "--preview-method": str, "--preview-size": int,
    "--reserve-vram": float, "--default-hashing-function": str, "--front-end-version": str,
    "--front-end-root": str, "--user-directory": str, "--comfy-api-base": str,
    "--database-url": str,
}
GROUPS = [
    ["--cuda-malloc", "--disable-cuda-malloc"],
    ["--force-fp32", "--force-fp16"],
    ["--fp32-unet", "--fp64-unet", "--bf16-unet", "--fp16-unet", "--fp8_e4m3fn-unet",
     "--fp8_e5m2-unet", "--fp8_e8m0fnu-unet"],
    ["--fp16-vae", "--fp32-vae", "--bf16-vae"],
    ["--fp8_e4m3fn-text-enc", "--fp8_e5m2-text-enc", "--fp16-text-enc", "--fp32-text-enc",
     "--bf16-text-enc"],
    ["--cache-classic", "--cache-lru", "--cache-none"],
    ["--use-split-cross-attention", "--use-quad-cross-attention", "--use-pytorch-cross-attention",
     "--use-sage-attention", "--use-flash-attention"],
    ["--force-upcast-attention", "--dont-upcast-attention"],
    ["--gpu-only", "--highvram", "--normalvram", "--lowvram", "--novram", "--cpu"],
]
ATTENTION_PACKAGES = {"--use-sage-attention": ("sageattention", "sageattention"),
                      "--use-flash-attention": ("flash_attn", "flash-attn")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py")
    parser.add_argument("--listen", type=str, default="127.0.0.1", metavar="IP", nargs="?",
                        const="0.0.0.0,::")
    parser.add_argument("--enable-cors-header", type=str, metavar="ORIGIN", nargs="?", const="*")
    parser.add_argument("--extra-model-paths-config", type=str, metavar="PATH", nargs="+",
                        action="append")
    parser.add_argument("--directml", type=int, nargs="?", metavar="DIRECTML_DEVICE", const=-1)
    parser.add_argument("--fast", nargs="*")
    parser.add_argument("--whitelist-custom-nodes", type=str, nargs="+", default=[])
    parser.add_argument("--verbose", default="INFO", const="DEBUG", nargs="?",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    for flag in SWITCHES:
        parser.add_argument(flag, action="store_true")
    for flag, kind in VALUES.items():
        parser.add_argument(flag, type=kind, default=8188 if flag == "--port" else None)
    for flags in GROUPS:
        group = parser.add_mutually_exclusive_group()
        for flag in flags:
            if flag == "--cache-lru":
                group.add_argument(flag, type=int, default=0)
            else:
                group.add_argument(flag, action="store_true")
    return parser


def say(text: str, args: argparse.Namespace) -> None:
    print(text, file=sys.stdout if args.log_stdout else sys.stderr, flush=True)


def startup(args: argparse.Namespace) -> None:
    device = "cpu" if args.cpu else "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync"
    for line in ("Checkpoint files will always be loaded safely.",
                 "Total VRAM 24564 MB, total RAM 64000 MB", "pytorch version: 2.8.0+cu128",
                 f"Set vram state to: {'DISABLED' if args.cpu else 'NORMAL_VRAM'}",
                 f"Device: {device}", "Using pytorch attention",
                 f"Python version: {sys.version}", f"ComfyUI version: {__version__}",
                 "ComfyUI frontend version: 1.27.10"):
        say(line, args)
    for flag, (module, package) in ATTENTION_PACKAGES.items():
        if getattr(args, flag[2:].replace("-", "_")) and not _importable(module):
            say(f"To use the `{flag}` feature, the `{package}` package must be installed first.",
                args)
            say(f"command:\n\t{sys.executable} -m pip install {package}", args)
            sys.exit(-1)
    fail = os.environ.get("FAKE_COMFY_FAIL_AT_START", "")
    if fail == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if fail.startswith("module:"):
        raise ModuleNotFoundError(f"No module named '{fail.split(':', 1)[1]}'")
    time.sleep(float(os.environ.get("FAKE_COMFY_STARTUP_S", "0.2")))
    say("\nImport times for custom nodes:\n   0.0 seconds: custom_nodes/websocket_image_save.py\n",
        args)


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def check_port(host: str, port: int) -> None:
    """Fail the way aiohttp does when the port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"error while attempting to bind on address "
                                     f"('{host}', {port}): address already in use") from None


class _StubHandler(BaseHTTPRequestHandler):
    """Used only when the stand-in server cannot be imported: the few routes a launcher needs."""

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        path = self.path.split("?")[0].removeprefix("/api")
        if path == "/system_stats":
            self._json(system_stats())
        elif path in ("/queue", "/prompt", "/history"):
            self._json({"queue_running": [], "queue_pending": []} if path == "/queue"
                       else {"exec_info": {"queue_remaining": 0}} if path == "/prompt" else {})
        else:
            self._json({}, 404)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, data: object, status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def system_stats() -> dict:
    return {"system": {"os": os.name, "ram_total": 64 << 30, "ram_free": 48 << 30,
                       "comfyui_version": __version__, "python_version": sys.version,
                       "pytorch_version": "2.8.0+cu128", "embedded_python": False,
                       "argv": list(sys.argv)},
            "devices": [{"name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
                         "type": "cuda", "index": 0, "vram_total": 24564 << 20,
                         "vram_free": 23000 << 20, "torch_vram_total": 0, "torch_vram_free": 0}]}


def serve(args: argparse.Namespace, host: str) -> object:
    """Serve the stand-in ComfyUI on host:port (it prints "To see the GUI go to: ...");
    returns its stop function. Falls back to a tiny stub if the stand-in cannot be imported."""
    stream = sys.stdout if args.log_stdout else sys.stderr
    try:
        from tests.fakes.comfy_standin import StandinServer
    except ImportError:
        httpd = ThreadingHTTPServer((host, args.port), _StubHandler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        say(f"To see the GUI go to: http://{host}:{args.port}", args)
        return httpd.shutdown
    server = StandinServer(HERE, host=host, port=args.port, argv=list(sys.argv),
                           console_stream=stream)
    server.start()
    return server.stop


def crash_later(args: argparse.Namespace) -> None:
    kind = os.environ.get("FAKE_COMFY_CRASH")
    if not kind:
        return
    time.sleep(float(os.environ.get("FAKE_COMFY_CRASH_AFTER_S", "0.5")))
    say("got prompt", args)
    messages = {
        "oom": "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has "
               "a total capacity of 23.99 GiB of which 0 bytes is free.",
        "channels_last": "RuntimeError: required rank 4 tensor to use channels_last format",
        "cuda": "RuntimeError: No CUDA GPUs are available",
        "abort": "Fatal Python error: Aborted",
    }
    say("Traceback (most recent call last):\n  File \"execution.py\", line 496, in execute", args)
    say(messages.get(kind, f"RuntimeError: {kind}"), args)
    os._exit(1)


def main() -> None:
    args = build_parser().parse_args()
    if os.environ.get("FAKE_COMFY_IGNORE_SIGINT") == "1":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    startup(args)
    host = args.listen.split(",")[0] if args.listen not in ("0.0.0.0,::",) else "0.0.0.0"
    check_port(host, args.port)
    if os.environ.get("FAKE_COMFY_CHILD") == "1":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        say(f"fake child pid {child.pid}", args)
    say("Starting server\n", args)
    stop = serve(args, host)
    threading.Thread(target=crash_later, args=(args,), daemon=True).start()
    try:
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop()
        say("\nStopped server", args)


if __name__ == "__main__":
    main()
