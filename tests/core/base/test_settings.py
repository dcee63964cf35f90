from __future__ import annotations

import json

import pytest

from wan22_gui.core.base.settings import Settings, declare


def test_values_survive_a_restart(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings.load(path)
    settings.set("launcher.comfyui_path", "/opt/ComfyUI")
    assert Settings.load(path).get("launcher.comfyui_path") == "/opt/ComfyUI"
    assert json.loads(path.read_text())["schema_version"] == 1


def test_declared_default_is_used_until_set(tmp_path):
    declare("test.some_key", 42)
    settings = Settings.load(tmp_path / "s.json")
    assert settings.get("test.some_key") == 42
    seen = []
    settings.changed.connect(lambda k, v: seen.append((k, v)))
    settings.set("test.some_key", 7)
    assert settings.get("test.some_key") == 7 and seen == [("test.some_key", 7)]


def test_corrupt_file_gives_defaults_and_is_kept_aside(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    settings = Settings.load(path)
    assert settings.get("server.url") == "http://127.0.0.1:8188"
    assert (tmp_path / "settings.json.corrupt").read_text() == "{not json"


def test_unversioned_file_is_migrated(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"server.url": "http://10.0.0.5:8188"}), encoding="utf-8")
    assert Settings.load(path).get("server.url") == "http://10.0.0.5:8188"


@pytest.mark.parametrize("content", [
    '{"schema_version": "1", "values": {}}', '{"schema_version": 1.5, "values": {}}',
    '{"schema_version": 1, "values": [1, 2]}', '{"schema_version": 1, "values": "x"}',
    '{"a":' * 3000 + '1' + '}' * 3000,
], ids=["version_text", "version_float", "values_list", "values_text", "deep"])
def test_a_settings_file_of_the_wrong_shape_gives_defaults_and_is_kept(tmp_path, content):
    """It used to stop the app from starting (int("1.5"), dict([1, 2]), RecursionError)."""
    path = tmp_path / "settings.json"
    path.write_text(content, encoding="utf-8")
    settings = Settings.load(path)
    assert settings.get("server.url") == "http://127.0.0.1:8188"
    assert path.with_suffix(".json.corrupt").read_text(encoding="utf-8") == content


def test_threads_saving_at_once_all_succeed(tmp_path):
    """The launcher saves its choices on the GUI thread while an attach saves the server on a
    worker: both wrote the same temp file, and one save failed with FileNotFoundError."""
    import threading

    from wan22_gui.core.base.settings import Settings

    settings = Settings(tmp_path / "settings.json")
    errors = []

    def work(n):
        try:
            for i in range(40):
                settings.set(f"test.key{n}", i)
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Settings.load(tmp_path / "settings.json").get("test.key5") == 39
