"""The container files: the Dockerfile passes hadolint, compose.yaml matches the Compose
specification and publishes on 127.0.0.1 by default, and the entrypoint turns a preset into the
ComfyUI command line. No image is built here (that needs a Docker engine and a GPU)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_dockerfile_passes_hadolint():
    done = subprocess.run([_tool("hadolint"), "--no-color", str(DOCKER / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN cd /tmp && apt-get install curl\n", encoding="utf-8")
    done = subprocess.run([_tool("hadolint"), "--no-color", str(bad)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "DL3006" in done.stdout  # untagged base image


def _check_compose(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_compose_file_matches_the_compose_specification(tmp_path):
    done = _check_compose(DOCKER / "compose.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "compose.yaml"
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("    restart: unless-stopped", "    restarts: unless-stopped"),
                      encoding="utf-8")
    assert _check_compose(broken).returncode != 0


def test_compose_publishes_on_loopback_and_mounts_models():
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    doc = yaml.YAML(typ="safe").load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    service = doc["services"]["comfyui"]
    assert service["ports"] == ["${WAN22_BIND:-127.0.0.1}:${WAN22_HOST_PORT:-8188}:8188"]
    targets = {volume.split(":")[-1] for volume in service["volumes"]}
    assert "/opt/ComfyUI/models" in targets and "/opt/ComfyUI/output" in targets
    assert service["build"]["dockerfile"] == "docker/Dockerfile"
    assert "WAN22_PRESET" in service["environment"]


def _entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WAN22_")}
    full.update({"WAN22_PRESETS_FILE": str(ROOT / "resources" / "presets.json"), **env})
    return subprocess.run([sys.executable, str(DOCKER / "entrypoint.py"), "--dry-run"],
                          capture_output=True, text=True, timeout=60, env=full)


def test_entrypoint_applies_the_chosen_preset():
    done = _entrypoint({"WAN22_PRESET": "rtx-4090", "WAN22_EXTRA_ARGS": "--verbose DEBUG"})
    assert done.returncode == 0, done.stderr
    command = done.stdout.strip().splitlines()[-1]
    assert "--listen 0.0.0.0 --port 8188" in command
    assert "--reserve-vram 4" in command and command.endswith("--verbose DEBUG")
    presets = {p["name"]: p for p in json.loads(
        (ROOT / "resources" / "presets.json").read_text(encoding="utf-8"))["presets"]}
    for name in presets["rtx-4090"]["env"]:
        assert f"wan22 container: {name}=" in done.stdout


def test_entrypoint_attention_choice_adds_its_flag():
    done = _entrypoint({"WAN22_PRESET": "h100-h200", "WAN22_ATTENTION": "sage"})
    assert done.returncode == 0, done.stderr
    assert "--use-sage-attention" in done.stdout
    assert "--gpu-only" not in done.stdout  # measured: no faster on an H200, 35 GB more VRAM


@pytest.mark.parametrize("env, message", [
    ({"WAN22_PRESET": "rtx-9090"}, "is not a preset. Known presets: a100"),
    ({"WAN22_PRESET": "none", "WAN22_ATTENTION": "xformers"}, "is not one of: sdpa, sage, flash"),
    ({"WAN22_PORT": "http"}, "is not a port number"),
    ({"WAN22_EXTRA_ARGS": "--listen 192.168.1.5"}, "not with --listen/--port"),
    ({"WAN22_EXTRA_ARGS": "--x 'unclosed"}, "check its quotes"),
])
def test_entrypoint_explains_bad_settings(env, message):
    done = _entrypoint(env)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_entrypoint_names_a_damaged_presets_file(tmp_path):
    broken = tmp_path / "presets.json"
    broken.write_text("{", encoding="utf-8")
    done = _entrypoint({"WAN22_PRESET": "a100", "WAN22_PRESETS_FILE": str(broken)})
    assert done.returncode == 2 and "is not valid JSON" in done.stderr


@pytest.mark.parametrize("version, has_lowvram", [("0.3.64", True), ("0.38.1", False)])
def test_entrypoint_uses_the_preset_flags_of_the_checked_out_comfyui(tmp_path, version,
                                                                     has_lowvram):
    (tmp_path / "comfyui_version.py").write_text(f'__version__ = "{version}"\n')
    done = _entrypoint({"WAN22_PRESET": "vram-under-12", "COMFYUI_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert ("--lowvram" in done.stdout) == has_lowvram
    assert "--reserve-vram 1" in done.stdout


def _pool() -> dict:
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    return yaml.YAML(typ="safe").load((DOCKER / "compose.pool.yaml").read_text(encoding="utf-8"))


def test_pool_compose_file_matches_the_compose_specification():
    done = _check_compose(DOCKER / "compose.pool.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_pool_runs_one_comfyui_per_gpu_on_distinct_loopback_ports():
    services = _pool()["services"]
    assert len(services) == 2
    gpus = [s["deploy"]["resources"]["reservations"]["devices"][0]["device_ids"]
            for s in services.values()]
    assert sorted(gpus) == [["0"], ["1"]]
    ports = [port for s in services.values() for port in s["ports"]]
    assert all(port.startswith("127.0.0.1:") for port in ports), ports  # no WAN22_BIND override
    host_ports = {port.split(":")[1] for port in ports}
    assert len(host_ports) == 2  # the two servers never fight over one port


def test_pool_servers_share_models_but_not_outputs_or_user_data():
    services = list(_pool()["services"].values())

    def source(service: dict, target: str) -> str:
        return next(v.rsplit(":", 1)[0] for v in service["volumes"] if v.endswith(":" + target))

    assert source(services[0], "/opt/ComfyUI/models") == source(services[1], "/opt/ComfyUI/models")
    for folder in ("/opt/ComfyUI/output", "/opt/ComfyUI/user"):
        assert source(services[0], folder) != source(services[1], folder)
    assert all(s["build"]["dockerfile"] == "docker/Dockerfile" for s in services)  # the anchor
