"""`wan22 backends` and `--backend`: the user adds, lists, pauses and removes backends, and
a generate run goes to the backend named."""

from __future__ import annotations

from wan22_gui.cli.main import main


def test_backends_are_added_listed_paused_and_removed(standin, capsys):
    assert main(["backends", "add", "lan", "--url", standin.url, "--pin", "4090"]) == 0
    assert main(["backends", "add", "gpu1", "--local", "--cuda-device", "1",
                 "--port", "8190"]) == 0
    assert main(["backends", "pause", "gpu1"]) == 0
    capsys.readouterr()
    assert main(["backends", "list"]) == 0  # the paused local one is not counted as down
    listed = capsys.readouterr().out
    assert f"lan ({standin.url}): connected" in listed and "[pins: 4090]" in listed
    assert "gpu1 (http://127.0.0.1:8190): paused (GPU 1)" in listed
    assert main(["backends", "remove", "gpu1"]) == 0
    capsys.readouterr()
    main(["backends", "list"])
    assert "gpu1" not in capsys.readouterr().out


def test_a_backend_that_does_not_answer_is_listed_with_the_reason(capsys):
    from tests.core.launcher_helpers import free_port

    assert main(["backends", "add", "gone", "--url", f"http://127.0.0.1:{free_port()}"]) == 0
    capsys.readouterr()
    assert main(["backends", "list"]) == 1
    assert "gone (http://127.0.0.1:" in capsys.readouterr().out


def test_wrong_names_and_incomplete_backends_are_refused_in_words(tmp_path, capsys):
    from PIL import Image

    picture = tmp_path / "fox.png"
    Image.new("RGB", (320, 224)).save(picture)
    assert main(["backends", "add", "gpu1", "--local", "--cuda-device", "1"]) == 2
    assert "needs a GPU index and a port" in capsys.readouterr().err
    assert main(["backends", "pause", "nope"]) == 2
    assert "There is no backend called 'nope'" in capsys.readouterr().err
    assert main(["generate", str(picture), "--backend", "nope"]) == 2
    assert "There is no backend called 'nope'" in capsys.readouterr().err


def test_a_url_that_is_no_comfyui_address_is_refused_when_added(capsys):
    """Refused at `add`, not found out later by `list`: a wrong scheme, no host, a bad port."""
    for url in ("ftp://gpu-box", "http://", "http://gpu-box:99999"):
        assert main(["backends", "add", "odd", "--url", url]) == 2, url
        assert "ComfyUI" in capsys.readouterr().err
    assert main(["backends", "add", "lan", "--url", "gpu-box:8188/"]) == 0
    capsys.readouterr()
    main(["backends", "list"])
    assert "lan (http://gpu-box:8188)" in capsys.readouterr().out
