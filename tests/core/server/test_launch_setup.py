"""LaunchSetup, the launcher's Qt-free feature model, over a fake ComfyUI install (real probe,
real `main.py --help`, a real ServerController)."""

from __future__ import annotations

import json
import threading

import pytest

from tests.core.launcher_helpers import free_port
from tests.fakes.fake_comfyui_install import make_install
from tests.fakes.fake_nvml import make_nvml, rtx_5090
from wan22_gui.core.base.errors import LaunchError, PresetError
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.gpu import detect_gpus
from wan22_gui.core.presets import load_presets
from wan22_gui.core.server import launcher as L
from wan22_gui.core.server import setup as launch_setup_mod
from wan22_gui.core.server.setup import LaunchSetup


@pytest.fixture
def settings(tmp_path):
    values = Settings.load(tmp_path / "settings.json")
    values.set("launcher.port", free_port())
    return values


@pytest.fixture
def make_setup(settings, controller, app_paths):
    def _make(*, persist=True):
        report = detect_gpus(make_nvml(rtx_5090()))
        return LaunchSetup.for_services(settings, app_paths, load_presets(), controller,
                                        lambda: report, persist=persist)
    return _make


@pytest.fixture
def root(tmp_path):
    return make_install(tmp_path / "ComfyUI", fake_torch=True)


def test_the_pipeline_gives_a_plan_doctor_findings_and_events(make_setup, root, settings):
    setup = make_setup()
    parts = []
    setup.changed.connect(parts.append)
    setup.detect_gpus()
    assert setup.recommended.name == "rtx-5090" and setup.plan is None  # no install yet
    install = setup.load_install(str(root))
    assert install is setup.install and setup.install.version == "0.3.64"
    assert setup.probe.torch_version == "2.8.0+cu128" and setup.table is not None
    assert not setup.flags_pending and setup.help_problem is None
    assert setup.plan.preset.name == "rtx-5090" and setup.plan.port == settings.get("launcher.port")
    assert any("Nothing reads TORCH_COMPILE" in f.message for f in setup.findings)
    assert setup.used_gpu_index() == 0
    assert {"gpus", "install", "probe", "flags", "plan"} <= set(parts)
    assert settings.get("launcher.comfyui_path") == str(install.home)


def test_choices_rebuild_the_plan_rerun_the_doctor_and_are_saved(make_setup, root, settings):
    setup = make_setup()
    setup.detect_gpus()
    setup.load_install(str(root))
    setup.choose(extra_args="--lowvram --highvram", listen="0.0.0.0")
    assert "--lowvram" in setup.plan.flags and setup.plan.listen == "0.0.0.0"
    assert any("cannot be used together" in f.message for f in setup.findings)
    assert any("no authentication" in f.message for f in setup.findings)
    assert settings.get("launcher.extra_args") == "--lowvram --highvram"
    assert settings.get("launcher.listen") == "0.0.0.0"
    setup.choose(preset="cpu", extra_args='--bad "quote')
    assert setup.plan.flags[0] == "--cpu" and setup.extra_problem
    assert setup.extra_problem in setup.problems
    with pytest.raises(PresetError):
        setup.choose(preset="nope")
    assert setup.choices.preset == "cpu"


def test_without_persist_nothing_is_saved(make_setup, root, settings):
    setup = make_setup(persist=False)
    setup.detect_gpus()
    setup.load_install(str(root))
    setup.choose(port=12345, preset="cpu")
    assert setup.plan.port == 12345
    assert settings.get("launcher.port") != 12345 and settings.get("launcher.preset") == "auto"
    assert settings.get("launcher.comfyui_path") == ""


def test_a_bad_folder_is_a_recorded_problem(make_setup, tmp_path):
    setup = make_setup()
    setup.detect_gpus()
    with pytest.raises(LaunchError):
        setup.load_install(str(tmp_path))
    assert "no main.py" in setup.install_problem and setup.install is None
    assert setup.plan is None and setup.install_problem in setup.problems
    with pytest.raises(LaunchError):
        setup.start()


def test_a_slower_older_lookup_does_not_win_over_a_newer_one(make_setup, root, tmp_path,
                                                             monkeypatch):
    other = make_install(tmp_path / "Other")
    real = launch_setup_mod.resolve_install
    release, entered = threading.Event(), threading.Event()

    def slow_for_root(path, settings):
        if path == str(root):
            entered.set()
            release.wait(10)
        return real(path, settings)

    monkeypatch.setattr(launch_setup_mod, "resolve_install", slow_for_root)
    setup = make_setup()
    results = []
    older = threading.Thread(target=lambda: results.append(setup.load_install(str(root))))
    older.start()
    assert entered.wait(10)
    newer = setup.load_install(str(other))
    release.set()
    older.join(30)
    assert results == [None]
    assert setup.install is newer and setup.install.home == other.resolve()


def test_start_stop_export_and_snapshot(make_setup, root, controller, tmp_path):
    setup = make_setup()
    setup.detect_gpus()
    setup.load_install(str(root))
    setup.choose(preset="cpu")
    script = setup.export_script("sh", tmp_path / "start.sh")
    assert "--cpu" in script.read_text()
    plan = setup.start()
    assert controller.wait_ready(20) and controller.state == L.STATE_READY
    snap = json.loads(setup.snapshot(tmp_path / "env.json").read_text())
    assert snap["comfyui"]["torch_version"] == "2.8.0+cu128"
    assert snap["launch"]["preset"] == "cpu" and snap["server"]["url"] == plan.url
    assert snap["gpus"]["gpus"][0]["name"] == "NVIDIA GeForce RTX 5090"
    setup.stop()
    assert controller.state == L.STATE_STOPPED
