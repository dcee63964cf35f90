"""Loading the start image of a job: upright (EXIF orientation applied), checked, or refused.

Phone photos store pixels sideways and say so in EXIF; ComfyUI's LoadImage applies that tag, so
the size and aspect the form works with must apply it too, or a portrait photo would be fitted
as landscape.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wan22_gui.core.base.errors import InputError

SUPPORTED_HINT = "Use a JPEG, PNG, WebP, BMP or TIFF picture."
MIN_SIDE = 16  # smaller than one latent block: nothing sensible comes out


@dataclass(frozen=True)
class LoadedImage:
    """A start image, decoded and turned upright.

    Attributes:
        path: the file as given (absolute).
        width, height: upright size in pixels (after EXIF orientation).
        format: Pillow's format name ("JPEG", "PNG", ...).
        rotated: True when EXIF orientation changed the image.
        image: the upright Pillow image, RGB or RGBA.
    """

    path: Path
    width: int
    height: int
    format: str
    rotated: bool
    image: object  # PIL.Image.Image (kept untyped so this module imports without Pillow)

    @property
    def aspect(self) -> float:
        return self.width / self.height


def load_image(path: str | Path, *, max_side: int | None = None) -> LoadedImage:
    """Open an image file, apply its EXIF orientation and check it is usable.

    Args:
        path: the file.
        max_side: when given, the returned pixels are scaled down to fit this many pixels on
            the long side (for previews); `width`/`height` still give the full upright size.

    Raises:
        InputError: missing file, a folder, not an image, damaged, or too small.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path).expanduser()
    _check_file(path)
    try:
        with Image.open(path) as raw:
            fmt = raw.format or path.suffix.lstrip(".").upper()
            _refuse_many_frames(path, raw, fmt)
            upright = ImageOps.exif_transpose(raw)
            upright.load()
            rotated = upright.size != raw.size or _orientation(raw) not in (None, 1)
    except InputError:
        raise
    except UnidentifiedImageError:
        if _looks_like_an_image(path):  # a picture's signature, but Pillow cannot parse it
            raise InputError(f"{path.name} is damaged or incomplete (its header is broken).",
                             "Open it in an image editor and save it again, or pick another "
                             "file.") from None
        raise InputError(f"{path.name} is not an image this app can read.", SUPPORTED_HINT) from None
    except PermissionError:
        raise InputError(f"{path.name} cannot be read: permission denied.",
                         "Check the file's permissions, or copy it somewhere you can read."
                         ) from None
    except Image.DecompressionBombError:
        raise InputError(f"{path.name} is too large to open safely.",
                         "Scale it down below about 90 megapixels first.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path.name} is damaged or incomplete ({exc}).",
                         "Open it in an image editor and save it again, or pick another file."
                         ) from None
    width, height = upright.size
    if min(width, height) < MIN_SIDE:
        raise InputError(f"{path.name} is only {width}×{height} pixels.",
                         f"Use a picture at least {MIN_SIDE} pixels on each side.")
    if upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    if max_side and max(width, height) > max_side:
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return LoadedImage(path.resolve(), width, height, fmt, rotated, upright)


_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM",
               b"II*\x00", b"MM\x00*")


def _looks_like_an_image(path: Path) -> bool:
    """True when the file starts like a PNG, JPEG, GIF, BMP, TIFF or WebP does."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _refuse_many_frames(path: Path, raw: object, fmt: str) -> None:
    """An animated GIF/WebP/PNG or a multi-page TIFF is refused: the preview would show one
    picture, but ComfyUI's LoadImage feeds every frame into the job (8 GIF frames gave a
    40-frame video), so the clip would not be the one the user saw."""
    frames = int(getattr(raw, "n_frames", 1) or 1)
    if frames > 1:
        kind = "pages" if fmt == "TIFF" else "frames"
        raise InputError(
            f"{path.name} holds {frames} {kind} ({fmt}); the start image must be a single "
            "picture, because ComfyUI would use every frame and the video would not start "
            "from the picture shown here.",
            "Save the frame you want as a PNG or JPEG and pick that file.")


def _check_file(path: Path) -> None:
    if not path.exists() and path.is_symlink():
        raise InputError(f"{path} is a link that leads nowhere (broken, or it loops back on "
                         "itself).", "Pick the picture itself, not the link.")
    if not path.exists():
        raise InputError(f"Image not found: {path}", "Check the path, or pick the file again.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an image.", "Pick one image file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes).", "Pick another file.")


def _orientation(image: object) -> int | None:
    try:
        return image.getexif().get(0x0112)  # type: ignore[attr-defined]
    except Exception:  # broken EXIF blocks are common; orientation then counts as unknown
        return None
