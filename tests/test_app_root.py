"""The composition root: services built in dependency order, closed in reverse, optional ones
None unless asked for, and no domain module ever handed the App itself."""

from __future__ import annotations

import pytest

from tests.fakes.fake_nvml import make_nvml, rtx_5090
from wan22_gui.app import App, Given
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs.queue import JobQueue
from wan22_gui.core.server.launcher import ServerController
from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.core.telemetry.sampler import GpuSampler

CLOSERS = [(JobQueue, "close", "jobs"), (ServerController, "close", "server"),
           (GpuSampler, "stop", "sampler"), (Nvml, "shutdown", "nvml"),
           (HistoryStore, "close", "history")]


@pytest.fixture
def closed(monkeypatch):
    """The names of the services closed, in the order they were closed."""
    order: list[str] = []
    for cls, method, name in CLOSERS:
        real = getattr(cls, method)

        def record(self, *args, _real=real, _name=name, **kwargs):
            order.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, record)
    return order


def test_everything_is_built_in_dependency_order_and_closed_in_reverse(app_paths, closed):
    app = App.for_gui(app_paths)
    assert app.built() == ("health", "history", "nvml", "sampler", "server", "jobs")
    assert isinstance(app.jobs, JobQueue) and app.jobs.history is app.history
    assert app.jobs.connection is app.connection is app.server.connection
    app.close()
    assert closed == ["jobs", "server", "sampler", "nvml", "history"]
    app.close()  # twice is safe: nothing is closed again
    assert closed == ["jobs", "server", "sampler", "nvml", "history"]


def test_optional_services_are_none_unless_asked_for(app_paths, closed):
    app = App.build(app_paths)
    try:
        assert (app.history, app.sampler, app.server, app.jobs) == (None, None, None, None)
        assert not app_paths.history_db.exists()  # `wan22 env-snapshot` opens no database
        assert app.settings is not None and app.presets.presets
    finally:
        app.close()
    assert closed == ["nvml"]


def test_the_queue_brings_its_history_and_nothing_else(app_paths):
    app = App.build(app_paths, jobs=True)
    try:
        assert app.built() == ("health", "history", "nvml", "jobs")
        assert app.sampler is None and app.server is None
    finally:
        app.close()


def test_gpus_are_detected_on_first_ask_once_through_the_shared_nvml(app_paths):
    nvml = Nvml(make_nvml(rtx_5090()), register_atexit=False)
    app = App.build(app_paths, telemetry=True, given=Given(nvml=nvml))
    try:
        assert app.nvml is nvml and app.sampler is not None
        report = app.gpus.report()
        assert report.gpus[0].name.endswith("RTX 5090")
        assert app.gpus.report() is report  # cached
    finally:
        app.close()


def test_a_failing_close_does_not_stop_the_others(app_paths, closed, monkeypatch):
    app = App.build(app_paths, history=True, server=True)

    def broken(self):
        closed.append("server")
        raise RuntimeError("boom")

    monkeypatch.setattr(ServerController, "close", broken)
    app.close()
    assert closed == ["server", "nvml", "history"]


def test_a_failed_build_closes_what_it_had_built(app_paths, closed, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no server for you")

    monkeypatch.setattr("wan22_gui.app._server", refuse)
    with pytest.raises(OSError):
        App.build(app_paths, history=True, server=True, jobs=True)
    assert closed == ["nvml", "history"]


def test_no_domain_module_sees_the_app():
    from pathlib import Path

    import wan22_gui

    core = Path(wan22_gui.__file__).parent / "core"
    offenders = [str(p) for p in core.rglob("*.py")
                 if "wan22_gui.app" in p.read_text(encoding="utf-8")]
    assert offenders == []
