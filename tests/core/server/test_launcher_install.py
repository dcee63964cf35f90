"""Finding ComfyUI (portable, venv clone, picked folder), its version, and probing its Python."""

from __future__ import annotations

import os

import pytest

from wan22_gui.core.base.errors import LaunchError
from wan22_gui.core.server.cache import JsonCache
from wan22_gui.core.server.install import auto_find, find_install
from wan22_gui.core.server.probe import probe_python
from tests.fakes.fake_comfyui_install import make_install, make_portable, make_windows_venv


def test_git_clone_with_venv(tmp_path):
    install = find_install(make_install(tmp_path / "ComfyUI", git=True), windows=False)
    assert install.kind == "venv" and install.python.name == "python"
    assert install.version == "0.3.64" and install.commit.startswith("a125cd84")
    assert install.command() == [str(install.python), "main.py"]
    assert install.fixed_args == [] and install.cwd == install.root
    assert "ComfyUI 0.3.64 (a125cd84), venv install" in install.describe()


def test_windows_clone_with_dot_venv(tmp_path):
    install = find_install(make_windows_venv(tmp_path / "ComfyUI"), windows=True)
    assert install.python.parts[-3:] == (".venv", "Scripts", "python.exe")


@pytest.mark.parametrize("pick", ["root", "inner"])
def test_windows_portable_is_run_with_embedded_python_never_the_bat(tmp_path, pick):
    root = make_portable(tmp_path / "ComfyUI_windows_portable")
    install = find_install(root if pick == "root" else root / "ComfyUI", windows=True)
    assert install.kind == "portable" and install.home == root.resolve()
    assert install.python == root.resolve() / "python_embeded" / "python.exe"
    assert install.command()[1:] == ["-s", os.path.join("ComfyUI", "main.py")]
    assert install.fixed_args == ["--windows-standalone-build", "--disable-auto-launch"]
    assert install.cwd == root.resolve()
    assert not any(".bat" in part for part in install.command())


def test_version_falls_back_to_pyproject(tmp_path):
    root = make_install(tmp_path / "c")
    (root / "comfyui_version.py").unlink()
    (root / "pyproject.toml").write_text('[project]\nname = "ComfyUI"\nversion = "0.3.70"\n')
    assert find_install(root).version == "0.3.70"


def test_folder_without_venv_uses_python_from_path_and_says_so(tmp_path):
    root = make_install(tmp_path / "c")
    for child in (root / "venv" / "bin").iterdir():
        child.unlink()
    install = find_install(root, windows=False)
    assert install.kind == "system" and "No venv or .venv" in install.notes[0]


@pytest.mark.parametrize("make,words", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: p, "there is no main.py"),
])
def test_wrong_folder_gives_a_message_and_a_hint(tmp_path, make, words):
    with pytest.raises(LaunchError) as info:
        find_install(make(tmp_path))
    assert words in str(info.value) and "main.py" in info.value.hint


def test_auto_find_looks_in_the_usual_places(tmp_path):
    assert auto_find(tmp_path) is None
    make_install(tmp_path / "ComfyUI")
    assert auto_find(tmp_path).root == (tmp_path / "ComfyUI").resolve()


def test_probe_reports_python_torch_and_attention_packages_and_is_cached(tmp_path):
    install = find_install(make_install(tmp_path / "c"))
    cache = JsonCache(tmp_path / "cache.json")
    probe = probe_python(install, cache)
    assert probe.error is None and probe.python_version.count(".") == 2
    assert probe.attention_backends() == ["sdpa"]  # no sageattention / flash_attn here
    assert "sageattention" in probe.errors
    (install.root / "site" / "sageattention.py").write_text("")
    assert probe_python(install, cache).attention_backends() == ["sdpa"]  # cached answer
    assert probe_python(install, cache, refresh=True).attention_backends() == ["sdpa", "sage"]


def test_probe_of_a_broken_interpreter_says_so(tmp_path):
    install = find_install(make_install(tmp_path / "c"))
    install.python.unlink()
    probe = probe_python(install, None)
    assert probe.error and "does not exist" in probe.error
    assert probe.summary() == probe.error
