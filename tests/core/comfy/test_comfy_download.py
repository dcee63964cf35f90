"""Downloading outputs: atomic, never overwriting, resuming with Range, refusing unsafe names."""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.core.comfy_fixtures import scripted_http, send  # noqa: F401
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.comfy.download import candidate_names, safe_filename
from wan22_gui.core.comfy.types import OutputFile
from wan22_gui.core.base.errors import ComfyApiError, ServerUnavailable, UnsafePath

DATA = bytes(range(256)) * 4096  # 1 MiB
REF = OutputFile("clip_00001_.mp4", "video", "output")


class ViewServer:
    """Serves DATA at /view; `plan` lists what each request does: "ok", "drop", "stall",
    "ignore-range" (answers 200 with everything), "404"."""

    def __init__(self, scripted_http, plan):
        self.plan = list(plan)
        self.ranges: list[str | None] = []
        self.server = scripted_http({"/view": self._view})
        self.url = self.server.url

    def _view(self, handler):
        action = self.plan.pop(0) if self.plan else "ok"
        header = handler.headers.get("Range")
        self.ranges.append(header)
        if action == "404":
            return send(handler, 404, b"", "text/plain")
        start = int(re.match(r"bytes=(\d+)-", header).group(1)) if header else 0
        if action == "ignore-range":
            start = 0
        body = DATA[start:]
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", str(len(body)))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
        handler.end_headers()
        if action in ("drop", "stall"):
            handler.wfile.write(body[: len(body) // 3])
            handler.wfile.flush()
            if action == "stall":
                time.sleep(1.0)
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return
        handler.wfile.write(body)


def _client(url, **kwargs):
    return ComfyClient(url, download_read_timeout=kwargs.pop("read_timeout", 5.0), **kwargs)


def test_a_download_lands_complete_with_progress(scripted_http, tmp_path):
    view = ViewServer(scripted_http, ["ok"])
    seen = []
    path = _client(view.url).download(REF, tmp_path / "out",
                                      progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "out" / "clip_00001_.mp4"
    assert path.read_bytes() == DATA
    assert seen[-1] == (len(DATA), len(DATA))
    assert [a for a, _ in seen] == sorted(a for a, _ in seen)
    assert list((tmp_path / "out").iterdir()) == [path]  # no .part left


def test_a_dropped_connection_resumes_with_range(scripted_http, tmp_path):
    view = ViewServer(scripted_http, ["drop", "drop", "ok"])
    path = _client(view.url).download(REF, tmp_path)
    assert path.read_bytes() == DATA
    assert view.ranges[0] is None
    resumed = [int(r[len("bytes="):-1]) for r in view.ranges[1:]]
    assert 0 < resumed[0] <= len(DATA) // 3  # from what it had, not from zero
    assert resumed[0] < resumed[1]


def test_a_stalled_transfer_hits_the_read_timeout_and_resumes(scripted_http, tmp_path):
    view = ViewServer(scripted_http, ["stall", "ok"])
    path = _client(view.url, read_timeout=0.3).download(REF, tmp_path)
    assert path.read_bytes() == DATA
    assert view.ranges[1] is not None


def test_a_server_that_ignores_range_restarts_cleanly(scripted_http, tmp_path):
    view = ViewServer(scripted_http, ["drop", "ignore-range"])
    path = _client(view.url).download(REF, tmp_path)
    assert path.read_bytes() == DATA  # not the first third twice


def test_giving_up_after_retries_names_how_far_it_got(scripted_http, tmp_path):
    view = ViewServer(scripted_http, ["drop"] * 10)
    with pytest.raises(ServerUnavailable, match=r"stopped at [\d,]+ bytes of 1,048,576 bytes"):
        _client(view.url).download(REF, tmp_path)
    assert list(tmp_path.iterdir()) == []  # the partial file is removed


def test_an_existing_file_is_never_overwritten(scripted_http, tmp_path):
    view = ViewServer(scripted_http, [])
    (tmp_path / "clip.mp4").write_bytes(b"mine")
    (tmp_path / "clip (2).mp4").write_bytes(b"mine too")
    client = _client(view.url)
    path = client.download(REF, tmp_path, name="clip.mp4")
    assert path.name == "clip (3).mp4" and path.read_bytes() == DATA
    assert (tmp_path / "clip.mp4").read_bytes() == b"mine"
    assert client.download(REF, tmp_path, name="clip.mp4").name == "clip (4).mp4"


def test_a_missing_output_is_a_clear_error(scripted_http, tmp_path):
    view = ViewServer(scripted_http, ["404"])
    with pytest.raises(ComfyApiError, match="has no output file 'video/clip_00001_.mp4'"):
        _client(view.url).download(REF, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ref, name", [
    (OutputFile("../evil.mp4", "", "output"), None),
    (OutputFile("..", "", "output"), None),
    (OutputFile("/etc/passwd", "", "output"), None),
    (OutputFile("C:evil.mp4", "", "output"), None),
    (OutputFile("sub\\evil.mp4", "", "output"), None),
    (OutputFile("a/b.mp4", "", "output"), None),
    (OutputFile("ok.mp4", "../..", "output"), None),
    (OutputFile("ok.mp4", "/abs", "output"), None),
    (OutputFile("ok.mp4", "D:\\x", "output"), None),
    (OutputFile("ok.mp4", "video", "output"), "../../x.mp4"),
    (OutputFile("NUL.mp4", "", "output"), None),
])
def test_unsafe_names_are_refused_before_anything_is_requested(scripted_http, tmp_path, ref,
                                                               name):
    view = ViewServer(scripted_http, [])
    with pytest.raises(UnsafePath):
        _client(view.url).download(ref, tmp_path / "out", name=name)
    assert view.ranges == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_windows_style_subfolders_are_accepted(scripted_http, tmp_path):
    view = ViewServer(scripted_http, [])
    path = _client(view.url).download(OutputFile("a.mp4", "video\\wan", "output"), tmp_path)
    assert path.name == "a.mp4"


def test_name_helpers():
    assert list(zip(range(3), candidate_names("a.b.mp4"))) == \
        [(0, "a.b.mp4"), (1, "a.b (2).mp4"), (2, "a.b (3).mp4")]
    names = candidate_names("README")
    assert [next(names), next(names)] == ["README", "README (2)"]
    assert safe_filename("harness_00001_.mp4") == "harness_00001_.mp4"


def test_an_unwritable_folder_is_an_input_error(scripted_http, tmp_path):
    from wan22_gui.core.base.errors import InputError

    view = ViewServer(scripted_http, [])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="Could not save"):
        _client(view.url).download(REF, blocker / "sub")
