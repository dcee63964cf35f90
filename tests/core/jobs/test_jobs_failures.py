"""Failure messages name the phase and offer a fix that really needs less memory."""

from __future__ import annotations

from wan22_gui.core.jobs import failures

PARAMS = {"frames": 81, "width": 832, "height": 1216, "seed": 7}


def test_oom_in_a_sampler_pass_names_the_pass_and_suggests_fewer_frames():
    err = failures.oom_error(PARAMS, "high_noise", "86", "KSamplerAdvanced", "CUDA out of memory")
    assert err["oom"] is True and err["phase"] == "high_noise"
    assert "high-noise pass" in err["message"] and "86" in err["message"]
    assert "81 → 65" in err["hint"] and "lower resolution" in err["hint"]
    assert "reserve" in err["hint"]
    assert err["fix"] == {"frames": 65}


def test_fix_steps_down_frames_then_resolution():
    assert failures.oom_fix({"frames": 65}, "low_noise") == {"frames": 49}
    assert failures.oom_fix({"frames": 21}, "vae_decode") == {"frames": 17}
    small = failures.oom_fix({"frames": 17, "width": 832, "height": 1216}, "vae_decode")
    assert small == {"width": 704, "height": 1024}
    assert all(v % 16 == 0 for v in small.values())
    assert failures.oom_fix({"frames": 17, "width": 256, "height": 256}, "high_noise") is None


def test_oom_while_loading_models_suggests_a_preset_not_a_smaller_clip():
    err = failures.oom_error(PARAMS, "model_load", "95", "UNETLoader")
    assert err["fix"] is None
    assert "preset" in err["hint"] and "fewer frames" not in err["hint"]


def test_applying_a_fix_keeps_everything_else():
    fixed = failures.apply_fix(PARAMS, {"frames": 65})
    assert fixed == {"frames": 65, "width": 832, "height": 1216, "seed": 7}
    named = failures.apply_fix({**PARAMS, "filename_prefix": "video/x_5.0s"}, {"frames": 65})
    assert named["filename_prefix"] is None  # the name is made again: it must say 4.0s
    assert PARAMS["frames"] == 81
    assert failures.fix_label(PARAMS, {"frames": 65}) == "Retry: 65 frames"


def test_crash_keeps_the_last_log_lines():
    lines = [f"line {i}" for i in range(100)]
    err = failures.crash_error("low_noise", lines)
    assert "stopped" in err["message"] and "low-noise pass" in err["message"]
    assert err["log_tail"][-1] == "line 99" and len(err["log_tail"]) == failures.LOG_TAIL_LINES


def test_other_node_errors_read_as_one_sentence():
    err = failures.node_error(PARAMS, "model_load", "90", "VAELoader",
                              "safetensors._safetensors_rust.SafetensorError",
                              "Error while deserializing header: header too small\n")
    assert err["message"] == ("ComfyUI failed in the model load, node 90 (VAELoader): "
                              "SafetensorError: Error while deserializing header: header too small")
    assert "download it again" in err["hint"] and err["oom"] is False
