"""`wan22`: an exception no command expected is one clear line naming the log file, where its
traceback went; a Wan22Error stays a plain message."""

from __future__ import annotations

from wan22_gui.cli import gpus
from wan22_gui.cli.main import EXIT_ERROR, main
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.paths import AppPaths


def test_an_unexpected_exception_is_one_line_and_the_traceback_is_in_the_log(
        monkeypatch, capsys):
    def broken(args):
        raise KeyError("frames")

    monkeypatch.setattr(gpus, "run", broken)
    assert main(["gpus"]) == EXIT_ERROR
    err = capsys.readouterr().err
    log_file = AppPaths.default().log_file
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("wan22 gpus: unexpected error: KeyError: 'frames'")
    assert str(log_file) in err
    logged = log_file.read_text(encoding="utf-8")
    assert "wan22 gpus failed unexpectedly" in logged and "KeyError: 'frames'" in logged


def test_a_wan22_error_is_still_its_message(monkeypatch, capsys):
    def refuses(args):
        raise InputError("No start image.", "Pass --image.")

    monkeypatch.setattr(gpus, "run", refuses)
    assert main(["gpus"]) == EXIT_ERROR
    assert capsys.readouterr().err == "wan22 gpus: No start image.\nPass --image.\n"
