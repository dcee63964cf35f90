"""A dead, slow, broken or foreign server gives a clear message naming the URL, never a hang."""

from __future__ import annotations

import json
import time

import pytest

from tests.core.comfy_fixtures import closed_port_url, scripted_http, send  # noqa: F401
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.comfy.transport import normalize_base_url, websocket_url
from wan22_gui.core.base.errors import (
    ComfyApiError, InputError, PromptRejected, ServerUnavailable, WorkflowError,
)

HTML = b"<!doctype html><html><head><title>Router login</title></head><body>hi</body></html>"


def _html(handler):
    send(handler, 200, HTML, "text/html; charset=utf-8")


def _json(value, status=200):
    return lambda handler: send(handler, status, json.dumps(value).encode())


@pytest.mark.parametrize("call", [
    lambda c: c.system_stats(),
    lambda c: c.object_info(),
    lambda c: c.get_queue(),
    lambda c: c.history("abc"),
    lambda c: c.queue_prompt({"1": {"class_type": "X", "inputs": {}}}),
    lambda c: c.interrupt(),
])
def test_a_dead_url_says_nobody_answers_there(call):
    url = closed_port_url()
    client = ComfyClient(url, timeout=2.0)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable) as info:
        call(client)
    assert time.monotonic() - started < 30  # refused at once, no hang
    assert url in str(info.value)
    assert "connection refused" in str(info.value)
    assert "Start ComfyUI" in info.value.hint
    client.close()


def test_an_html_page_is_not_comfyui(scripted_http):
    server = scripted_http({"*": _html})
    client = ComfyClient(server.url)
    with pytest.raises(ComfyApiError) as info:
        client.system_stats()
    text = info.value.user_text()
    assert server.url in text and "text/html" in text and "not ComfyUI's JSON" in text
    assert "another program" in info.value.hint
    client.close()


def test_a_missing_route_asks_whether_this_is_comfyui(scripted_http):
    server = scripted_http({})
    client = ComfyClient(server.url)
    with pytest.raises(ComfyApiError, match=r"has no /object_info \(HTTP 404\)"):
        client.object_info()
    assert client.features() == {}  # old ComfyUI without /features: no error
    client.close()


@pytest.mark.parametrize("route, reply, call, words", [
    ("/system_stats", {"hello": "world"}, lambda c: c.system_stats(), "'system' and 'devices'"),
    ("/system_stats", [1, 2], lambda c: c.system_stats(), "a list where a dict"),
    ("/queue", {"running": []}, lambda c: c.get_queue(), "queue this app cannot read"),
    ("/queue", {"queue_running": [5], "queue_pending": []}, lambda c: c.get_queue(),
     "queue this app cannot read"),
    ("/object_info", {"KSampler": 3}, lambda c: c.object_info(), "not node definitions"),
    ("/history/p1", {"p1": "nonsense"}, lambda c: c.history("p1"), "history entry"),
    ("/prompt", {"number": 3}, lambda c: c.queue_prompt({}), "without returning its prompt_id"),
    ("/upload/image", {"size": 3}, None, "did not say under which name"),
])
def test_json_without_the_expected_fields_is_a_clear_api_error(
        scripted_http, tmp_path, route, reply, call, words):
    server = scripted_http({route: _json(reply)})
    client = ComfyClient(server.url)
    if call is None:
        image = tmp_path / "a.png"
        image.write_bytes(b"\x89PNG....")
        call = lambda c: c.upload_image(image)  # noqa: E731
    with pytest.raises(ComfyApiError, match=words) as info:
        call(client)
    assert server.url in str(info.value)
    client.close()


def test_malformed_json_is_reported_with_the_url(scripted_http):
    server = scripted_http({"/system_stats": lambda h: send(h, 200, b'{"system": ')})
    client = ComfyClient(server.url)
    with pytest.raises(ComfyApiError, match="not ComfyUI's JSON"):
        client.system_stats()
    client.close()


def test_a_slow_reply_times_out_with_a_message(scripted_http):
    def slow(handler):
        time.sleep(1.5)
        send(handler, 200, b"{}")

    server = scripted_http({"/queue": slow})
    client = ComfyClient(server.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable) as info:
        client.get_queue()
    assert time.monotonic() - started < 1.4  # gave up before the reply came
    assert f"{server.url} did not answer GET /queue within 0.3 s" in str(info.value)
    assert "restart ComfyUI" in info.value.hint
    client.close()


def test_a_server_error_names_the_status(scripted_http):
    server = scripted_http({"/history": lambda h: send(h, 500, b"Traceback ... KeyError",
                                                       "text/plain")})
    client = ComfyClient(server.url)
    with pytest.raises(ComfyApiError, match=r"HTTP 500: Traceback \.\.\. KeyError"):
        client.history_all()
    client.close()


def test_a_400_that_is_not_json_still_rejects_clearly(scripted_http):
    server = scripted_http({"/prompt": lambda h: send(h, 400, b"<h1>Bad</h1>", "text/html")})
    client = ComfyClient(server.url)
    with pytest.raises(PromptRejected) as info:
        client.queue_prompt({"1": {"class_type": "SaveVideo", "inputs": {}}})
    assert "<h1>Bad</h1>" in info.value.hint
    client.close()


def test_a_graph_that_cannot_be_sent_is_a_workflow_error(scripted_http):
    server = scripted_http({})
    client = ComfyClient(server.url)
    with pytest.raises(WorkflowError):
        client.queue_prompt({"1": {"class_type": "X", "inputs": {"v": object()}}})
    assert server.requests == []
    client.close()


def test_uploading_a_missing_or_odd_path_is_an_input_error(tmp_path, scripted_http):
    server = scripted_http({})
    client = ComfyClient(server.url)
    with pytest.raises(InputError, match="does not exist"):
        client.upload_image(tmp_path / "gone.png")
    with pytest.raises(InputError, match="is a folder"):
        client.upload_image(tmp_path)
    assert server.requests == []
    client.close()


def test_an_upload_over_the_server_limit_says_so(tmp_path, scripted_http):
    server = scripted_http({"/upload/image": lambda h: send(h, 413, b"", "text/plain")})
    client = ComfyClient(server.url)
    image = tmp_path / "big.png"
    image.write_bytes(b"x" * 1000)
    with pytest.raises(InputError, match="larger than ComfyUI") as info:
        client.upload_image(image)
    assert "--max-upload-size" in info.value.hint
    client.close()


@pytest.mark.parametrize("given, expected", [
    ("127.0.0.1:8188", "http://127.0.0.1:8188"),
    ("http://localhost:8188/", "http://localhost:8188"),
    (" https://gpu-box:443/ ", "https://gpu-box:443"),
])
def test_addresses_are_normalised(given, expected):
    assert normalize_base_url(given) == expected
    assert ComfyClient(given).base_url == expected


def test_websocket_address_follows_the_scheme():
    assert websocket_url("http://h:1", "abc") == "ws://h:1/ws?clientId=abc"
    assert websocket_url("https://h", "abc") == "wss://h/ws?clientId=abc"


@pytest.mark.parametrize("bad", ["", "   ", "ftp://x", "http://"])
def test_a_bad_address_is_refused(bad):
    with pytest.raises(ValueError):
        normalize_base_url(bad)


def test_a_proxy_is_used_for_remote_servers_only(monkeypatch, scripted_http):
    from wan22_gui.core.comfy.transport import HttpTransport

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    server = scripted_http({"/features": _json({"supports_preview_metadata": True})})
    assert ComfyClient(server.url).features() == {"supports_preview_metadata": True}
    assert HttpTransport("http://[::1]:8188", 1)._session.trust_env is False
    assert HttpTransport("http://gpu-box.lan:8188", 1)._session.trust_env is True
