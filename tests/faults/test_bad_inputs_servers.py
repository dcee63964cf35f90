"""Bad-input corpus: ComfyUI addresses that are wrong, and servers that are not ComfyUI or
misbehave, through `wan22 generate`, `wan22 workflow check` and `wan22 interpolate --method
rife`. Each names the address and says what to do; none hangs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

from tests.fakes.comfy_standin import StandinServer, install_wan_models
from tests.faults.bad_inputs import (  # noqa: F401 (fixtures)
    CASE_TIMEOUT_S, _corpus_summary, RawServer, assert_nothing_lost, expect, http_reply,
    run_cli, seeded_history,
)

pytestmark = pytest.mark.timeout(CASE_TIMEOUT_S)
CLIENT_TIMEOUT_S = 0.5  # the client gives up on a silent server after this (10 s in the app)


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "start.png"
    Image.new("RGB", (320, 224), (40, 90, 160)).save(path)
    return path


@pytest.fixture
def workflow(tmp_path) -> Path:
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    path = tmp_path / "wan.json"
    graph = build_wan_i2v(JobSpec(image="x.png", width=320, height=224, frames=17), "x.png")
    path.write_text(json.dumps(graph.graph), encoding="utf-8")
    return path


@pytest.fixture
def clip(tmp_path) -> Path:
    from wan22_gui.core.video.testclip import write_test_clip

    return write_test_clip(tmp_path / "clip.mp4", frames=5, fps=16, size=(32, 32))


@pytest.fixture
def short_timeouts(monkeypatch):
    """A silent server is given up on quickly (the app waits 10 s; the corpus cannot)."""
    from wan22_gui.core.comfy import transport

    real_init = transport.HttpTransport.__init__

    def init(self, base_url, timeout, *args, **kwargs):
        real_init(self, base_url, min(timeout, CLIENT_TIMEOUT_S), *args, **kwargs)

    monkeypatch.setattr(transport.HttpTransport, "__init__", init)


BAD_ADDRESSES = [
    ("ftp://127.0.0.1:8190", "is not an http(s) address"),
    ("file:///notes.txt", "is not an http(s) address"),
    ("javascript:alert(1)", "is not"),
    ("http://", "is not an http(s) address"),
    ("   ", "The ComfyUI address is empty"),
    ("http://[::1", "is not a valid ComfyUI address"),
    ("http://127.0.0.1:99999", "is not a valid ComfyUI address"),
    ("http://127.0.0.1:-1", "is not a valid ComfyUI address"),
    ("ws://127.0.0.1:8190", "is not an http(s) address"),
]


@pytest.mark.parametrize("url, phrase", BAD_ADDRESSES, ids=[u for u, _ in BAD_ADDRESSES])
def test_generate_refuses_an_address(url, phrase, picture, seeded_history):
    expect(run_cli(["generate", picture, "--server", url]), phrase, code=2)
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("url, phrase", BAD_ADDRESSES[:5], ids=[u for u, _ in BAD_ADDRESSES[:5]])
def test_workflow_check_refuses_an_address(url, phrase, workflow, seeded_history):
    expect(run_cli(["workflow", "check", workflow, "--server", url]), phrase)
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("url, phrase", BAD_ADDRESSES[:3], ids=[u for u, _ in BAD_ADDRESSES[:3]])
def test_interpolate_refuses_an_address(url, phrase, clip, seeded_history):
    expect(run_cli(["interpolate", clip, "--method", "rife", "--server", url]), phrase)
    assert_nothing_lost(seeded_history)


# -- something listens, but it is not a working ComfyUI -------------------------------------

MISBEHAVING = {
    "garbage": (b"\x00\xffthis is not http\r\n\r\n", "answered, but not in HTTP"),
    "http_500": (http_reply("500 Internal Server Error", b"boom"), "500"),
    "html_200": (http_reply("200 OK", b"<html><body>router login</body></html>"),
                 "not ComfyUI's JSON"),
    "json_without_fields": (http_reply("200 OK", b'{"hello": "world"}', "application/json"),
                            "ComfyUI"),
    "silent": (b"", "did not answer"),
}


@pytest.fixture
def misbehaving(request) -> Iterator[RawServer]:
    reply, _ = MISBEHAVING[request.param]
    server = RawServer(reply, hold_s=2.0 if not reply else 0.0)
    yield server
    server.close()


@pytest.mark.parametrize("misbehaving", list(MISBEHAVING), indirect=True)
def test_generate_against_a_server_that_is_not_comfyui(misbehaving, picture, short_timeouts,
                                                       request, seeded_history):
    phrase = MISBEHAVING[request.node.callspec.params["misbehaving"]][1]
    outcome = run_cli(["generate", picture, "--server", misbehaving.url])
    expect(outcome, phrase)
    assert misbehaving.url in outcome.err  # the message names the address
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("misbehaving", list(MISBEHAVING), indirect=True)
def test_workflow_check_against_a_server_that_is_not_comfyui(misbehaving, workflow,
                                                             short_timeouts, request,
                                                             seeded_history):
    phrase = MISBEHAVING[request.node.callspec.params["misbehaving"]][1]
    outcome = run_cli(["workflow", "check", workflow, "--server", misbehaving.url])
    expect(outcome, phrase)
    assert "ready to queue" not in outcome.out
    assert_nothing_lost(seeded_history)


def test_closed_port(picture, seeded_history):
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    expect(run_cli(["generate", picture, "--server", url]), "connection refused", code=3)
    expect(run_cli(["workflow", "check", picture, "--server", url]), "connection refused",
           code=3)
    assert_nothing_lost(seeded_history)


# -- a real (stand-in) ComfyUI that fails in the middle ------------------------------------


@pytest.fixture
def standin(tmp_path) -> Iterator[StandinServer]:
    root = tmp_path / "comfyui"
    install_wan_models(root)
    server = StandinServer(root)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("fault, phrase", [
    ({"malformed_reply": "/system_stats"}, "not ComfyUI's JSON"),
    ({"malformed_reply": "/prompt"}, "answered POST /prompt with application/json"),
    ({"malformed_reply": "/upload/image"}, "answered POST /upload/image"),
    ({"error_at_node": "90", "error_type": "safetensors.SafetensorError",
      "error_message": "Error while deserializing header: header too small"},
     "'wan_2.1_vae.safetensors' in ComfyUI's models/vae/"),
    ({"slow_reply_s": 2.0}, "did not answer"),
], ids=["system_stats_broken", "prompt_broken", "upload_broken", "damaged_model", "slow"])
def test_generate_when_comfyui_misbehaves(fault, phrase, standin, picture, short_timeouts,
                                          seeded_history):
    for key, value in fault.items():
        setattr(standin.faults, key, value)
    outcome = run_cli(["generate", picture, "--frames", "17", "--width", "320", "--height",
                       "224", "--server", standin.url])
    expect(outcome, phrase)
    assert_nothing_lost(seeded_history)
