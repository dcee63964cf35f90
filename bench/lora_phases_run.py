"""Two LoRAs in the 3-phase split on a real ComfyUI: the graph ComfyUI ran and each pass's time.

Given a running ComfyUI whose models folder holds the Wan 2.2 template files (the real ones, or
the random-weight ones of the GPU tools), this copies the high- and low-noise speed LoRAs under
two new names into models/loras (stand-ins for a user's own LoRAs: same shapes, so ComfyUI
applies them for real), then runs through `wan22 generate`, in this process:

  1. the template job (2 passes, the speed LoRA only)                      -> reference
  2. the same with --lora A:1:0.5 --lora B:0:0.8 --phases 3                -> app

and prints, for each, the exit code, the LoraLoaderModelOnly nodes and KSamplerAdvanced passes
ComfyUI's /history shows it ran, and the sampling seconds; then app / reference / ratio of the
sampling time (the 3-phase job has 6 steps, 2 of them at CFG 3.5: about 2x the 4-step job's
evaluations is expected).

    python bench/lora_phases_run.py --server http://127.0.0.1:8188 --models COMFYUI/models \
        --image start.jpg --out DIR [--width 832 --height 480 --frames 33]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEED = "wan2.2_i2v_lightx2v_4steps_lora_v1_{}_noise.safetensors"
USER_LORAS = ("bench_user_motion.safetensors", "bench_user_style.safetensors")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["WAN22_HOME"] = str(args.out / "home")  # never the user's own history
    loras = args.models / "loras"
    for name, half in zip(USER_LORAS, ("high", "low")):
        if not (loras / name).exists():
            shutil.copyfile(loras / SPEED.format(half), loras / name)
    common = [str(args.image), "--server", args.server, "--width", str(args.width),
              "--height", str(args.height), "--frames", str(args.frames), "--seed", "7",
              "--output-dir", str(args.out), "--quiet"]
    runs = {"reference": common,
            "app": [*common, "--lora", f"{USER_LORAS[0]}:1:0.5",
                    "--lora", f"{USER_LORAS[1]}:0:0.8", "--phases", "3"]}
    record = {name: _run(argv_, args.server) for name, argv_ in runs.items()}
    (args.out / "lora_phases_run.json").write_text(json.dumps(record, indent=1))
    ref, app = (record[k]["sampling_s"] for k in ("reference", "app"))
    ratio = f"{app / ref:.2f}" if ref and app else "n/a"
    print(f"sampling seconds: app (2 LoRAs, 3 phases) {app} / reference (template) {ref} "
          f"/ ratio {ratio}")
    return 0 if all(r["exit_code"] == 0 for r in record.values()) else 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the running ComfyUI's address")
    parser.add_argument("--models", type=Path, required=True, help="its models folder")
    parser.add_argument("--image", type=Path, required=True, help="start image")
    parser.add_argument("--out", type=Path, required=True, help="folder for the clips and JSON")
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--frames", type=int, default=33)
    return parser.parse_args(argv)


def _run(argv: list[str], server: str) -> dict:
    from wan22_gui.cli.main import main as wan22

    code = wan22(["generate", *argv])
    graph, timings = _last_prompt(server), _last_timings()
    out = {"exit_code": code, "loras": _loras(graph), "passes": _passes(graph),
           "timings": timings,
           "sampling_s": round(sum(timings.get(k, 0.0) for k in ("high_noise", "low_noise")), 2)}
    print(json.dumps(out), flush=True)
    return out


def _last_prompt(server: str) -> dict:
    import requests

    history = requests.get(f"{server.rstrip('/')}/history", timeout=30).json()
    if not history:
        return {}
    newest = max(history.values(), key=lambda e: e["prompt"][0])  # prompt number
    return newest["prompt"][2]


def _last_timings() -> dict:
    from wan22_gui.app import App

    app = App.build(history=True)
    try:
        rows = app.history.list(kind="generate", limit=1)
        return dict(rows[0].timings) if rows else {}
    finally:
        app.close()


def _loras(graph: dict) -> list[str]:
    return sorted(f"{n['inputs']['lora_name']} @ {n['inputs']['strength_model']:g}"
                  for n in graph.values() if n.get("class_type") == "LoraLoaderModelOnly")


def _passes(graph: dict) -> list[str]:
    passes = [n["inputs"] for n in graph.values() if n.get("class_type") == "KSamplerAdvanced"]
    return [f"steps {p['start_at_step']}-{p['end_at_step']} cfg {p['cfg']}"
            for p in sorted(passes, key=lambda p: p["start_at_step"])]


if __name__ == "__main__":
    sys.exit(main())
