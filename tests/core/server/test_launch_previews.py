"""A launch asks ComfyUI for sampler previews (the Generate tab shows them), unless the user
chose a preview method of their own."""

from __future__ import annotations

from wan22_gui.core.presets import load_presets
from wan22_gui.core.server.command import build_plan
from wan22_gui.core.server.install import find_install
from tests.fakes.fake_comfyui_install import make_install


def _plan(tmp_path, extra=()):
    install = find_install(make_install(tmp_path / "ComfyUI"))
    preset = load_presets().get("rtx-5090")
    return build_plan(install, preset, port=8299, extra_args=list(extra))


def test_previews_are_asked_for(tmp_path):
    flags = _plan(tmp_path).flags
    at = flags.index("--preview-method")
    assert flags[at + 1] == "latent2rgb"


def test_the_users_preview_method_wins(tmp_path):
    flags = _plan(tmp_path, ["--preview-method", "none"]).flags
    assert flags.count("--preview-method") == 1
    assert flags[flags.index("--preview-method") + 1] == "none"
