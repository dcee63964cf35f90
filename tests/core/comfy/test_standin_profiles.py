"""The stand-in plays two ComfyUI eras: 0.3.64 (the recordings) and 0.38.1 (the newer core nodes:
ComfySwitchNode, ComfyMathExpression, FrameInterpolationModelLoader/FrameInterpolate)."""

from __future__ import annotations

import pytest

from wan22_gui.core.comfy.client import ComfyClient

NEWER = ("ComfySwitchNode", "ComfyMathExpression", "FrameInterpolationModelLoader",
         "FrameInterpolate")


@pytest.mark.parametrize("comfy_profile", ["0.3.64", "0.38.1"])
def test_profile_sets_version_node_classes_and_model_folders(standin, comfy_profile):
    client = ComfyClient(standin.url)
    try:
        stats = client.system_stats()
        info = client.object_info()
    finally:
        client.close()
    assert stats["system"]["comfyui_version"] == comfy_profile
    newer = comfy_profile != "0.3.64"
    assert all((name in info) == newer for name in NEWER)
    assert "WanImageToVideo" in info and "WanFirstLastFrameToVideo" in info
    import requests
    folders = requests.get(standin.url + "/models", timeout=5).json()
    assert ("frame_interpolation" in folders) == newer


@pytest.mark.parametrize("comfy_profile", ["0.38.1"])
def test_newer_profile_lists_frame_interpolation_models_from_its_folder(standin):
    standin.models.add("frame_interpolation", "rife_v4.26.safetensors")
    standin.models.add("frame_interpolation", "film_net_fp16.safetensors")
    client = ComfyClient(standin.url)
    try:
        loader = client.object_info("FrameInterpolationModelLoader")["FrameInterpolationModelLoader"]
    finally:
        client.close()
    options = loader["input"]["required"]["model_name"][1]["options"]
    assert options == ["film_net_fp16.safetensors", "rife_v4.26.safetensors"]


def test_unknown_profile_is_refused(tmp_path):
    from tests.fakes.comfy_standin import StandinServer

    with pytest.raises(ValueError, match="0.3.64"):
        StandinServer(tmp_path, profile="9.9")
