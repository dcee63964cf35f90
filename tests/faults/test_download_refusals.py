"""A finished clip is never lost because `/view` failed (issue 12, item 3, second half).

Transient failures (5xx, a dropped connection) are retried with a growing pause; a refusal
that cannot change (ComfyUI's 400 for a name holding "..") ends the job saying the clip is
finished on the server, where (the path in ComfyUI's output folder and the /view URL), and
the history row keeps that for `wan22 history fetch ID`. Names are made safe before they are
sent; a server name this disk refuses is saved under a safe local name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.fakes.comfy_standin.process import StandinProcess
from wan22_gui.app import App
from wan22_gui.cli.main import main
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.comfy.retrieve import RetryPolicy
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec

QUICK = RetryPolicy(attempts=3, first_pause_s=0.05)


@pytest.fixture
def server(tmp_path):
    """The stand-in ComfyUI as its own process, started with --base-directory like ComfyUI."""
    process = StandinProcess(tmp_path / "ComfyUI", args=["--wan-models"])
    yield process
    process.stop()


@pytest.fixture
def app(app_paths):
    core = App.build(app_paths, history=True)  # the history `wan22 history fetch` reads
    yield core
    core.close()


def _run(server, app, tmp_path, *, build=None, **spec_fields):
    image = tmp_path / "fox.png"
    Image.new("RGB", (320, 224), (200, 60, 20)).save(image)
    spec = JobSpec(image=str(image), prompt="the fox blinks", width=320, height=224, frames=17,
                   **spec_fields)
    with ServerSession(server.url, poll_interval=0.3).open() as session:
        runner = JobRunner(session.client, session.watcher, app.history, tmp_path / "out",
                           times=FollowTimes(poll=0.05), download_retry=QUICK)
        return runner.run(spec, build=build)


def _save_as(prefix):
    """A workflow whose save node names its file itself (as an imported one may)."""
    def build(spec, image_name):
        built = build_wan_i2v(spec, image_name)
        built.graph[built.roles["save"]]["inputs"]["filename_prefix"] = prefix
        return built
    return build


def test_transient_view_failures_are_retried_until_the_clip_arrives(server, app, tmp_path):
    server.set_faults(view_errors=[500, "drop", 503])
    result = _run(server, app, tmp_path)
    assert result.status == "succeeded", result.error
    [clip] = result.outputs
    assert clip.is_file() and clip.stat().st_size > 0
    assert server.counters()["views"] == 4  # three failures, then the file


def test_a_refused_download_keeps_the_clip_on_the_server_and_says_where(server, app, tmp_path):
    result = _run(server, app, tmp_path, build=_save_as("video/holiday..final"))
    record = app.history.get(result.job_id)
    assert result.status == "failed" and result.reason == "download"
    [left] = record.server_outputs
    on_server = server.root / "output" / "video" / "holiday..final_00001_.mp4"
    assert on_server.is_file()  # finished, and still there
    assert left["location"] == str(on_server)
    assert left["url"] == f"{server.url}/view?filename=holiday..final_00001_.mp4" \
                          "&subfolder=video&type=output"
    assert "HTTP 400" in left["error"]
    message = record.error["message"]
    assert message.startswith("The clip is finished on the server but could not be downloaded")
    assert str(on_server) in message and left["url"] in message
    assert f"wan22 history fetch {result.job_id}" in record.error["hint"]
    assert server.counters()["views"] == 1  # a 400 will not change: not retried
    assert record.timings["high_noise"] > 0  # the run itself is kept


def test_a_server_that_keeps_failing_is_retried_then_the_clip_is_fetched_later(
        server, app, tmp_path, capsys):
    server.set_faults(view_status=500)
    result = _run(server, app, tmp_path)
    record = app.history.get(result.job_id)
    assert result.reason == "download" and server.counters()["views"] == QUICK.attempts
    [left] = record.server_outputs
    assert "HTTP 500" in left["error"]
    server.set_faults(view_status=None)  # ComfyUI serves files again
    assert main(["history", "fetch", result.job_id]) == 0
    printed = capsys.readouterr().out
    fetched = app.history.get(result.job_id)
    assert fetched.status == "succeeded" and fetched.error is None
    assert fetched.server_outputs == []
    [clip] = fetched.outputs
    assert f"Downloaded {clip}" in printed and Path(clip).parent == tmp_path / "out"
    assert Path(clip).read_bytes() == (server.root / "output" / "video" /
                                       Path(left["filename"]).name).read_bytes()


def test_fetching_a_clip_the_server_refuses_says_where_it_is(server, app, tmp_path, capsys):
    result = _run(server, app, tmp_path, build=_save_as("video/holiday..final"))
    assert main(["history", "fetch", result.job_id]) == 1
    err = capsys.readouterr().err
    assert "HTTP 400" in err
    assert str(server.root / "output" / "video" / "holiday..final_00001_.mp4") in err
    assert "Traceback" not in err
    assert app.history.get(result.job_id).server_outputs  # still listed for later


def test_an_explicit_prefix_holding_dots_is_made_safe_before_it_is_sent(server, app, tmp_path):
    result = _run(server, app, tmp_path, filename_prefix="video/holiday..final")
    assert result.status == "succeeded", result.error
    assert result.outputs[0].name == "holiday.final.mp4"


def test_a_server_name_this_disk_refuses_is_saved_under_a_safe_name(server, app, tmp_path):
    result = _run(server, app, tmp_path, build=_save_as("video/take:1"))
    assert result.status == "succeeded", result.error
    assert result.outputs[0].name == "take_1.mp4"
    assert (server.root / "output" / "video" / "take:1_00001_.mp4").is_file()
