"""The stand-in's file and information routes behave like ComfyUI 0.3.64's."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.fakes.comfy_standin import StandinServer
from tests.fakes.comfy_standin.process import REPO_ROOT
from tests.fakes.comfy_standin.rawclient import RawClient
from tests.fakes.fixtures import add_input_image


def _upload(url: str, name: str, data: bytes, **form) -> requests.Response:
    return requests.post(url + "/upload/image", files={"image": (name, data, "image/png")},
                         data=form, timeout=10)


def test_uploads_reuse_identical_bytes_and_rename_different_ones(standin):
    first = _upload(standin.url, "start.png", b"one")
    assert first.json() == {"name": "start.png", "subfolder": "", "type": "input"}
    assert _upload(standin.url, "start.png", b"one").json()["name"] == "start.png"
    assert _upload(standin.url, "start.png", b"two").json()["name"] == "start (1).png"
    assert _upload(standin.url, "start.png", b"three").json()["name"] == "start (2).png"
    assert _upload(standin.url, "start.png", b"new", overwrite="true").json()["name"] == "start.png"
    assert (standin.root / "input" / "start.png").read_bytes() == b"new"
    sub = _upload(standin.url, "in_sub.png", b"x", subfolder="clips", type="input").json()
    assert sub == {"name": "in_sub.png", "subfolder": "clips", "type": "input"}
    assert (standin.root / "input" / "clips" / "in_sub.png").exists()
    assert standin.counters["uploads"] == 6


def test_upload_refusals(tmp_path):
    with StandinServer(tmp_path / "c", max_upload_size=1024) as server:
        missing = requests.post(server.url + "/upload/image", data={"type": "input"}, timeout=10)
        assert missing.status_code == 400 and missing.content == b""
        escaping = _upload(server.url, "../evil.png", b"x")
        assert escaping.status_code == 400
        too_big = _upload(server.url, "big.png", b"x" * 4096)
        assert too_big.status_code == 413
        assert requests.get(server.url + "/features", timeout=10).json() == {
            "supports_preview_metadata": True, "max_upload_size": 1024}


def test_view_streams_files_with_range_and_guards_paths(standin):
    add_input_image(standin.root, "pic.png", (32, 32))
    size = (standin.root / "input" / "pic.png").stat().st_size
    whole = requests.get(standin.url + "/view", params={"filename": "pic.png", "type": "input"}, timeout=10)
    assert whole.status_code == 200 and len(whole.content) == size
    assert whole.headers["Content-Type"] == "image/png"
    assert whole.headers["Content-Disposition"] == 'filename="pic.png"'
    part = requests.get(standin.url + "/api/view", params={"filename": "pic.png [input]"},
                        headers={"Range": "bytes=0-9"}, timeout=10)
    assert part.status_code == 206 and part.content == whole.content[:10]

    def status(**params) -> int:
        return requests.get(standin.url + "/view", params=params, timeout=10).status_code

    assert status(filename="../secret.txt", type="output") == 400
    assert status(filename="/etc/passwd") == 400
    assert status(filename="pic.png", type="output", subfolder="../..") == 403
    assert status(filename="nope.mp4", type="output") == 404
    assert status(filename="pic.png", type="bogus") == 400
    preview = requests.get(standin.url + "/view", timeout=10,
                           params={"filename": "pic.png", "type": "input", "preview": "jpeg;50"})
    assert preview.headers["Content-Type"] == "image/jpeg" and preview.content[:2] == b"\xff\xd8"


def test_origin_check_blocks_foreign_pages_but_not_desktop_clients(standin):
    assert requests.get(standin.url + "/system_stats", timeout=10).status_code == 200
    foreign = requests.get(standin.url + "/system_stats", headers={"Origin": "http://evil.example"},
                           timeout=10)
    assert foreign.status_code == 403
    same = requests.get(standin.url + "/system_stats", headers={"Origin": standin.url}, timeout=10)
    assert same.status_code == 200


@pytest.mark.parametrize("path", ["/system_stats", "/queue", "/prompt", "/history", "/models",
                                  "/embeddings", "/features", "/object_info/SaveVideo"])
def test_every_route_also_answers_under_api(standin, path):
    bare = requests.get(standin.url + path, timeout=10)
    prefixed = requests.get(standin.url + "/api" + path, timeout=10)
    assert bare.status_code == prefixed.status_code == 200
    assert bare.headers["Content-Type"] == "application/json; charset=utf-8"
    assert bare.json() == prefixed.json()


def test_small_routes(tmp_path):
    device = {"name": "cuda:0 NVIDIA GeForce RTX 3060 : cudaMallocAsync", "type": "cuda", "index": 0,
              "vram_total": 12 << 30, "vram_free": 11 << 30, "torch_vram_total": 0, "torch_vram_free": 0}
    with StandinServer(tmp_path / "c", argv=["main.py", "--reserve-vram", "1.0"], devices=[device]) as server:
        stats = requests.get(server.url + "/system_stats", timeout=10).json()
        assert stats["system"]["argv"] == ["main.py", "--reserve-vram", "1.0"]
        assert stats["devices"] == [device]
        assert requests.get(server.url + "/object_info/NoSuchNode", timeout=10).json() == {}
        assert requests.get(server.url + "/models/no_such_folder", timeout=10).status_code == 404
        assert "diffusion_models" in requests.get(server.url + "/models", timeout=10).json()
        empty = requests.post(server.url + "/interrupt", timeout=10)
        assert empty.status_code == 200 and empty.content == b""
        assert requests.get(server.url + "/prompt", timeout=10).json() == {"exec_info": {"queue_remaining": 0}}


def test_free_memory_drops_the_node_cache(standin):
    add_input_image(standin.root, "p.png", (16, 16))
    graph = {"1": {"class_type": "LoadImage", "inputs": {"image": "p.png"}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "f"}}}

    def cached(client: RawClient) -> list[str]:
        _, messages = client.run(graph)
        return next(m["data"]["nodes"] for m in messages
                    if isinstance(m, dict) and m["type"] == "execution_cached")

    with RawClient(standin.url) as client:
        assert cached(client) == []
        assert cached(client) == ["1", "2"]
        requests.post(standin.url + "/free", json={"unload_models": True, "free_memory": True}, timeout=10)
        deadline = time.monotonic() + 10  # the worker applies /free when idle, like ComfyUI
        while standin.counters["model_unloads"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cached(client) == []


def test_history_paging_and_deleting(standin):
    add_input_image(standin.root, "p.png", (16, 16))
    ids = []
    with RawClient(standin.url) as client:
        for n in range(3):
            graph = {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8,
                                                                   "batch_size": 1, "color": n}},
                     "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "h"}}}
            ids.append(client.run(graph)[0])

    def history(**params) -> list[str]:
        return list(requests.get(standin.url + "/history", params=params, timeout=10).json())

    assert history() == ids
    assert history(max_items=2) == ids[1:]
    assert history(max_items=1, offset=0) == ids[:1]
    assert requests.get(standin.url + "/history/not-an-id", timeout=10).json() == {}
    requests.post(standin.url + "/history", json={"delete": [ids[0]]}, timeout=10)
    assert history() == ids[1:]
    requests.post(standin.url + "/history", json={"clear": True}, timeout=10)
    assert history() == []


def test_busy_port_fails_like_comfyui(tmp_path):
    with StandinServer(tmp_path / "a") as first:
        result = subprocess.run(
            [sys.executable, "-m", "tests.fakes.comfy_standin", "--port", str(first.port),
             "--root", str(tmp_path / "b")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "error while attempting to bind on address" in result.stderr
    assert "READY" not in result.stdout
