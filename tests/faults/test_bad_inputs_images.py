"""Bad-input corpus: start images (`wan22 generate IMAGE`). Each file is made here from a
table; every case must give a clear message, a non-zero exit and leave the history alone."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image

from tests.faults.bad_inputs import (  # noqa: F401 (fixtures)
    CASE_TIMEOUT_S, DEAD_URL, ROOT_SKIP, _corpus_summary, assert_nothing_lost, expect, run_cli,
    seeded_history,
)

pytestmark = pytest.mark.timeout(CASE_TIMEOUT_S)
SERVER_DOWN = "No ComfyUI answers"  # the image was accepted; the next step says why it stops


def _png(path: Path, size=(64, 48), mode="RGB") -> Path:
    colour = {"L": 90, "I;16": 9000, "LA": (90, 255), "P": 3}.get(mode, (90, 120, 200))
    Image.new(mode, size, colour).save(path)
    return path


def truncated_png(d: Path) -> Path:
    full = _png(d / "full.png", (256, 256)).read_bytes()
    path = d / "cut.png"
    path.write_bytes(full[: len(full) // 2])
    return path


def truncated_jpeg(d: Path) -> Path:
    src = d / "full.jpg"
    Image.effect_noise((256, 256), 60).convert("RGB").save(src, quality=95)
    path = d / "cut.jpg"
    path.write_bytes(src.read_bytes()[:2000])
    return path


def zero_bytes(d: Path) -> Path:
    path = d / "empty.png"
    path.write_bytes(b"")
    return path


def html_as_png(d: Path) -> Path:
    path = d / "page.png"
    path.write_text("<!doctype html><html><body>Not found</body></html>")
    return path


def text_as_jpg(d: Path) -> Path:
    path = d / "notes.jpg"
    path.write_text("shopping list: eggs, milk")
    return path


def mp4_as_image(d: Path) -> Path:
    from wan22_gui.core.video.testclip import write_test_clip

    return write_test_clip(d / "clip.mp4", frames=5, fps=16, size=(32, 32))


def png_bad_crc(d: Path) -> Path:
    data = bytearray(_png(d / "ok.png", (64, 64)).read_bytes())
    data[29:33] = b"\x00\x00\x00\x00"  # the IHDR checksum
    path = d / "crc.png"
    path.write_bytes(bytes(data))
    return path


def one_pixel(d: Path) -> Path:
    return _png(d / "dot.png", (1, 1))


def thin_strip(d: Path) -> Path:
    return _png(d / "strip.png", (15, 400))


def huge_header(d: Path) -> Path:
    """A PNG whose header claims 20000×20000 pixels (400 megapixels)."""
    path = _png(d / "huge.png", (16, 16))
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 20000, 20000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # a valid IHDR checksum
    path.write_bytes(bytes(data))
    return path


def animated_gif(d: Path) -> Path:
    frames = [Image.new("RGB", (64, 64), (30 * i, 0, 0)) for i in range(8)]
    path = d / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80)
    return path


def multipage_tiff(d: Path) -> Path:
    pages = [Image.new("RGB", (64, 64), (0, 40 * i, 0)) for i in range(3)]
    path = d / "scan.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


def animated_webp(d: Path) -> Path:
    frames = [Image.new("RGB", (64, 64), (0, 0, 50 * i)) for i in range(4)]
    path = d / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80)
    return path


def animated_png(d: Path) -> Path:
    frames = [Image.new("RGB", (64, 64), (20 * i, 20 * i, 0)) for i in range(5)]
    path = d / "anim.png"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80)
    return path


def a_folder(d: Path) -> Path:
    path = d / "photos.png"
    path.mkdir()
    return path


def missing(d: Path) -> Path:
    return d / "not_there.png"


def symlink_loop(d: Path) -> Path:
    a, b = d / "a.png", d / "b.png"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def broken_symlink(d: Path) -> Path:
    path = d / "gone.png"
    path.symlink_to(d / "deleted.png")
    return path


def unreadable(d: Path) -> Path:
    path = _png(d / "locked.png")
    path.chmod(0)
    return path


def non_utf8_missing(d: Path) -> Path:
    return d / os.fsdecode(b"caf\xe9_missing.png")


# Files the app accepts (odd but valid): the case then stops at the dead server, which shows
# the image was read without a crash.
def sixteen_bit(d: Path) -> Path:
    return _png(d / "depth16.png", (64, 64), "I;16")


def cmyk_jpeg(d: Path) -> Path:
    path = d / "print.jpg"
    Image.new("CMYK", (64, 64), (10, 200, 30, 0)).save(path)
    return path


def png_named_jpg(d: Path) -> Path:
    return _png(d / "really_a_png.jpg")


def grey_with_alpha(d: Path) -> Path:
    return _png(d / "grey_alpha.png", (64, 64), "LA")


def palette_png(d: Path) -> Path:
    return _png(d / "palette.png", (64, 64), "P")


def non_utf8_name(d: Path) -> Path:
    return _png(d / os.fsdecode(b"caf\xe9.png"))


CASES: list[tuple[Callable[[Path], Path], str, int | None]] = [
    (truncated_png, "damaged or incomplete", 2),
    (truncated_jpeg, "damaged or incomplete", 2),
    (zero_bytes, "empty (0 bytes)", 2),
    (html_as_png, "not an image", 2),
    (text_as_jpg, "not an image", 2),
    (mp4_as_image, "not an image", 2),
    (png_bad_crc, "damaged or incomplete", 2),
    (one_pixel, "only 1×1 pixels", 2),
    (thin_strip, "only 15×400 pixels", 2),
    (huge_header, "too large to open safely", 2),
    (animated_gif, "holds 8 frames", 2),
    (multipage_tiff, "holds 3 pages", 2),
    (animated_webp, "holds 4 frames", 2),
    (animated_png, "holds 5 frames", 2),
    (a_folder, "is a folder", 2),
    (missing, "Image not found", 2),
    (symlink_loop, "link that leads nowhere", 2),
    (broken_symlink, "link that leads nowhere", 2),
    pytest.param(unreadable, "permission denied", 2, marks=ROOT_SKIP, id="unreadable"),
    (non_utf8_missing, "Image not found", 2),
    (sixteen_bit, SERVER_DOWN, 3),
    (cmyk_jpeg, SERVER_DOWN, 3),
    (png_named_jpg, SERVER_DOWN, 3),
    (grey_with_alpha, SERVER_DOWN, 3),
    (palette_png, SERVER_DOWN, 3),
    (non_utf8_name, SERVER_DOWN, 3),
]


def _id(case) -> str:
    return case.__name__ if callable(case) else ""


@pytest.mark.parametrize("make, phrase, code", CASES, ids=_id)
def test_generate_refuses_or_reports(make, phrase, code, tmp_path, seeded_history):
    image = make(tmp_path)
    outcome = run_cli(["generate", image, "--frames", "17", "--server", DEAD_URL])
    expect(outcome, phrase, code=code)
    assert outcome.out == ""  # stdout holds result paths only: none here
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("make, phrase", [(animated_gif, "holds 8 frames"),
                                          (non_utf8_name, SERVER_DOWN)], ids=_id)
def test_as_a_real_process(make, phrase, tmp_path):
    """The same through a real `python -m wan22_gui.cli.main` (real stdio encodings)."""
    image = make(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "wan22_gui.cli.main", "generate", image, "--server", DEAD_URL],
        capture_output=True, text=True, errors="backslashreplace", timeout=CASE_TIMEOUT_S,
        env=dict(os.environ))
    assert proc.returncode in (2, 3)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert phrase in proc.stderr
