"""The doctor's word on the Wan experts: does the install's pair fit the GPU, and which GGUF
format would (for 16-24 GB cards)."""

from __future__ import annotations

from tests.fakes.fake_comfyui_install import make_install
from tests.fakes.fake_nvml import make_nvml, rtx_4090, unknown_16gb
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.gpu import detect_gpus
from wan22_gui.core.presets import load_presets
from wan22_gui.core.server.doctor import expert_fit, installed_experts
from wan22_gui.core.server.setup import LaunchSetup

FP8 = ("wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
       "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors")
Q4 = ("Wan2.2-I2V-A14B-HighNoise-Q4_K_M.gguf", "Wan2.2-I2V-A14B-LowNoise-Q4_K_M.gguf")
GIB = 2**30


def _put(root, folder, names):
    for name in names:
        path = root / "models" / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_the_experts_of_both_folders_are_found(tmp_path):
    _put(tmp_path, "diffusion_models", FP8)
    _put(tmp_path, "unet", (*Q4, "flux1-dev.safetensors"))
    assert installed_experts(tmp_path) == sorted((*FP8, *Q4))


def test_on_16_gb_the_fp8_pair_is_a_warning_that_names_the_gguf_pair():
    [finding] = expert_fit(16 * GIB, [*FP8, *Q4])
    assert finding.level == "warning" and finding.subject == "models"
    assert "more than the 16 GB GPU has" in finding.message
    assert f"The server's Q4_K_M pair fits ({Q4[0]}, {Q4[1]})" in finding.message
    assert "--model-format" in finding.fix


def test_on_24_gb_the_fp8_pair_fits_and_without_a_gpu_nothing_is_said():
    [finding] = expert_fit(24 * GIB, list(FP8))
    assert finding.level == "info" and "fp8 experts fit in 24 GB" in finding.message
    assert expert_fit(None, list(FP8)) == [] and expert_fit(24 * GIB, []) == []


def test_the_launch_setup_shows_the_fit_for_the_detected_gpu(tmp_path, controller, app_paths):
    root = make_install(tmp_path / "ComfyUI", fake_torch=True)
    _put(root, "diffusion_models", FP8)
    settings = Settings.load(tmp_path / "settings.json")
    for gpu, level in ((unknown_16gb(), "warning"), (rtx_4090(), "info")):
        report = detect_gpus(make_nvml(gpu))
        setup = LaunchSetup.for_services(settings, app_paths, load_presets(), controller,
                                         lambda r=report: r, persist=False)
        setup.detect_gpus()
        setup.load_install(str(root))
        [finding] = [f for f in setup.findings if f.subject == "models"]
        assert finding.level == level
