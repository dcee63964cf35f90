"""Start images: upright as the user sees them, and bad files refused with a clear message."""

from __future__ import annotations

import pytest
from PIL import Image

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.images import load_image


def _portrait_shot_sideways(path):
    """A phone photo: pixels stored 400 wide x 300 high, EXIF says rotate 90° (tag 6)."""
    img = Image.new("RGB", (400, 300), (200, 30, 30))
    exif = img.getexif()
    exif[0x0112] = 6
    img.save(path, "JPEG", exif=exif)


def test_exif_orientation_makes_a_sideways_photo_portrait(tmp_path):
    path = tmp_path / "phone.jpg"
    _portrait_shot_sideways(path)
    loaded = load_image(path)
    assert (loaded.width, loaded.height) == (300, 400)
    assert loaded.rotated and loaded.aspect < 1
    assert loaded.image.size == (300, 400)


def test_preview_is_scaled_but_reports_the_full_size(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (1600, 800)).save(path)
    loaded = load_image(path, max_side=200)
    assert (loaded.width, loaded.height) == (1600, 800)
    assert max(loaded.image.size) == 200 and not loaded.rotated


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("notes.txt", b"hello, I am text", "not an image"),
        ("empty.png", b"", "empty"),
        ("half.png", None, "damaged"),
    ],
)
def test_bad_files_are_refused_with_a_message(tmp_path, name, content, words):
    path = tmp_path / name
    if content is None:  # a PNG cut in half
        Image.new("RGB", (300, 300), (1, 2, 3)).save(tmp_path / "full.png")
        path.write_bytes((tmp_path / "full.png").read_bytes()[:200])
    else:
        path.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_image(path)
    assert words in str(err.value) and name in str(err.value)
    assert err.value.hint


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="folder"):
        load_image(tmp_path)


def test_tiny_and_palette_images(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "tiny.png")
    with pytest.raises(InputError, match="8×8"):
        load_image(tmp_path / "tiny.png")
    Image.new("P", (64, 48)).save(tmp_path / "pal.gif")
    assert load_image(tmp_path / "pal.gif").image.mode == "RGB"


@pytest.mark.parametrize("fmt, kind", [("GIF", "frames"), ("TIFF", "pages"), ("WEBP", "frames")])
def test_a_picture_of_several_frames_is_refused(tmp_path, fmt, kind):
    """ComfyUI's LoadImage feeds every frame: an 8-frame GIF gave a 40-frame video."""
    frames = [Image.new("RGB", (64, 64), (30 * i, 0, 0)) for i in range(8)]
    path = tmp_path / f"anim.{fmt.lower()}"
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match=f"holds 8 {kind}") as caught:
        load_image(path)
    assert "Save the frame you want as a PNG or JPEG" in caught.value.hint


def test_a_single_frame_gif_is_fine(tmp_path):
    path = tmp_path / "still.gif"
    Image.new("RGB", (64, 64), (0, 90, 0)).save(path)
    assert load_image(path).width == 64
