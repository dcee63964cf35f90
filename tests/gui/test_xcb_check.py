"""Before Qt starts on X11 the app names every missing xcb library and its apt package."""

from __future__ import annotations

import os
import subprocess
import sys

from wan22_gui.gui import xcb_check

LDD_OUTPUT = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2c)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def fake_ldd(stdout: str, code: int = 0):
    def run(argv, **_kwargs):
        assert argv[0] == "ldd"
        return subprocess.CompletedProcess(argv, code, stdout, "")
    return run


def test_names_the_libraries_ldd_cannot_find_and_their_packages(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    message = xcb_check.check_before_qt({"DISPLAY": ":0"}, plugin=plugin,
                                        run=fake_ldd(LDD_OUTPUT))
    assert message is not None
    assert "libxcb-icccm.so.4" in message and "libxcb-keysyms.so.1" in message
    assert "libxcb-cursor" not in message  # present: Qt's own message would have blamed it
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in message


def test_nothing_to_say_when_all_libraries_are_there(tmp_path):
    ok = "\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n"
    assert xcb_check.check_before_qt({"DISPLAY": ":0"}, plugin=tmp_path,
                                     run=fake_ldd(ok)) is None


def test_without_ldd_each_known_library_is_loaded(tmp_path):
    def no_ldd(*_a, **_k):
        raise FileNotFoundError("ldd")

    def loader(name):
        if name == "libxcb-keysyms.so.1":
            raise OSError(name)

    message = xcb_check.check_before_qt({"DISPLAY": ":0"}, plugin=tmp_path, run=no_ldd,
                                        loader=loader)
    assert "libxcb-keysyms.so.1" in message and "libxcb-keysyms1" in message
    assert "libxcb-icccm.so.4" not in message


def test_only_when_qt_will_use_xcb():
    assert xcb_check.uses_xcb({}, "linux")
    assert xcb_check.uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not xcb_check.uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not xcb_check.uses_xcb({"WAYLAND_DISPLAY": "wayland-0",
                                   "XDG_SESSION_TYPE": "wayland"}, "linux")
    assert not xcb_check.uses_xcb({}, "win32")


def test_the_app_prints_the_missing_libraries_and_exits_1(tmp_path):
    """Run the real start-up with the xcb platform; on a machine with every library the check
    passes and Qt is left to fail on the missing display, so only the message's shape is
    asserted when it appears."""
    plugin = xcb_check.xcb_plugin()
    missing = xcb_check.missing_libraries(plugin)
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "WAN22_HOME": str(tmp_path)}
    env.pop("DISPLAY", None)  # should the check pass, Qt fails at once for want of a display
    result = subprocess.run([sys.executable, "-m", "wan22_gui"], env=env, capture_output=True,
                            text=True, timeout=60)
    if missing:
        assert result.returncode == 1
        for name in missing:
            assert name in result.stderr
        assert "sudo apt-get install" in result.stderr
        assert "Traceback" not in result.stderr
    else:
        assert "not installed" not in result.stderr
