"""ServerHealth: one connection state (not set / connecting / connected / lost) for every view."""

from __future__ import annotations

import time

import pytest

from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.comfy import health as H
from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def connection():
    return ServerConnection()


def test_nothing_set_reads_not_connected(connection):
    health = H.ServerHealth(connection)
    assert health.current.state == H.NOT_SET
    assert health.current.words == "ComfyUI: not connected"
    health.close()


def test_an_attached_stand_in_shows_connected_with_version_and_gpu(connection, standin):
    health = H.ServerHealth(connection)
    seen = []
    health.changed.connect(seen.append)
    connection.set(ServerInfo(standin.url, "attached"))
    assert health.current.state == H.CONNECTING
    assert health.probe_once().state == H.CONNECTED
    words = health.current.words
    assert words.startswith(f"ComfyUI: connected to {standin.url} (attached)")
    assert "ComfyUI 0.3.64" in words and "NVIDIA GeForce RTX 4090" in words
    assert [h.state for h in seen] == [H.CONNECTING, H.CONNECTED]
    assert health.current.gpu.vram_total == 25_393_692_672
    health.close()


def test_a_dead_server_shows_as_lost_within_five_seconds(connection, standin):
    health = H.ServerHealth(connection, interval_s=0.5)
    health.start()
    try:
        connection.set(ServerInfo(standin.url, "attached"))
        assert wait_for(lambda: health.current.state == H.CONNECTED)
        standin.die()
        died = time.monotonic()
        assert wait_for(lambda: health.current.state == H.LOST, timeout=5.0)
        assert time.monotonic() - died < 5.0
        words = health.current.words
        assert words.startswith("ComfyUI: lost since ")
        assert standin.url in words  # which server, and the client's reason after it
        assert connection.info is not None  # still the server in use: it may come back
    finally:
        health.close()


def test_one_missed_probe_is_not_yet_lost_and_an_answer_brings_it_back(connection):
    answers = []

    def stats(url, timeout):
        reply = answers.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    health = H.ServerHealth(connection, stats=stats, misses_before_lost=2)
    ok = {"system": {"comfyui_version": "0.3.60"}, "devices": []}
    refused = ServerUnavailable("Cannot connect to ComfyUI at http://h:1: connection refused.")
    answers += [ok, refused, refused, ok]
    connection.set(ServerInfo("http://h:1", "attached"))
    assert health.probe_once().state == H.CONNECTED
    assert health.probe_once().state == H.CONNECTED  # one miss: a busy server, not a dead one
    lost = health.probe_once()
    assert lost.state == H.LOST and "connection refused" in lost.words
    assert health.probe_once().state == H.CONNECTED
    health.close()


def test_a_server_that_never_answered_is_lost_at_the_first_failed_probe(connection):
    def stats(url, timeout):
        raise ServerUnavailable(f"Cannot connect to ComfyUI at {url}: connection refused.")

    health = H.ServerHealth(connection, stats=stats)
    connection.set(ServerInfo("http://h:2", "launched", pid=7))
    state = health.probe_once()
    assert state.state == H.LOST
    assert "(started by the app)" in state.words


def test_the_launched_process_exiting_is_lost_with_its_reason_until_a_new_server(connection):
    health = H.ServerHealth(connection, stats=lambda url, t: {"system": {}, "devices": []})
    connection.set(ServerInfo("http://h:3", "launched", pid=7))
    health.probe_once()
    connection.set(None)  # what the controller does when the process ends
    health.mark_lost("ComfyUI ran out of memory.", url="http://h:3", source="launched")
    state = health.current
    assert state.state == H.LOST and state.url == "http://h:3"
    assert state.words.endswith("ComfyUI ran out of memory.")
    health.probe_once()  # no server set: nothing to ask, still lost
    assert health.current.state == H.LOST
    connection.set(ServerInfo("http://h:4", "attached"))
    assert health.current.state == H.CONNECTING


def test_gpus_of_reads_the_devices_of_system_stats():
    stats = {"devices": [
        {"name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync", "type": "cuda",
         "vram_total": 24 * H.GIB, "vram_free": 20 * H.GIB},
        {"name": "cpu", "type": "cpu", "vram_total": 0, "vram_free": 0},
        "junk",
    ]}
    gpus = H.gpus_of(stats)
    assert [g.name for g in gpus] == ["NVIDIA GeForce RTX 4090", "CPU (no GPU)"]
    assert gpus[0].line == "NVIDIA GeForce RTX 4090 — VRAM 4.0 / 24.0 GiB used"
