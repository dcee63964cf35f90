"""A synthetic test scene that can be rendered at any instant.

Because the scene is defined for every t, the true in-between frames are known: the tests and
benchmarks use it to measure interpolation quality (PSNR against the truth) and to make clips of
any size, rate and length without shipping video files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wan22_gui.core.video.writer import ClipWriter

if TYPE_CHECKING:
    import numpy as np


class TestScene:
    """A textured background panning slowly, with a disc and a bar moving across it."""

    __test__ = False  # not a pytest class

    def __init__(self, width: int, height: int, *, speed: float = 1.0, seed: int = 7,
                 grain: int = 8) -> None:
        import cv2
        import numpy as np

        self.width, self.height, self.speed = width, height, speed
        rng = np.random.default_rng(seed)
        pad = max(width, height) // 2
        cells = ((height + 2 * pad) // grain + 1, (width + 2 * pad) // grain + 1, 3)
        noise = rng.integers(0, 256, cells, np.uint8)
        texture = cv2.resize(noise, (width + 2 * pad, height + 2 * pad), interpolation=cv2.INTER_CUBIC)
        self._texture = cv2.GaussianBlur(texture, (0, 0), max(2.0, grain / 4))
        self._pad = pad

    def frame(self, t: float) -> "np.ndarray":
        """The scene at time `t` (in frames of the source clip), BGR uint8."""
        import cv2
        import numpy as np

        s = self.speed * t
        dx, dy = 1.5 * s, 0.75 * s
        shift = np.array([[1, 0, -self._pad - dx], [0, 1, -self._pad - dy]], dtype=np.float32)
        out = cv2.warpAffine(self._texture, shift, (self.width, self.height), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)
        radius = max(3, min(self.width, self.height) // 8)
        cx = (0.2 * self.width + 0.015 * self.width * s) % self.width
        cy = 0.5 * self.height + 0.004 * self.height * s
        cv2.circle(out, (round(cx * 16), round(cy * 16)), radius * 16, (40, 200, 250), -1, cv2.LINE_AA, 4)
        bar_x = (0.7 * self.width - 0.01 * self.width * s) % self.width
        top_left = (round(bar_x * 16), round(0.2 * self.height * 16))
        bottom_right = (round((bar_x + self.width / 10) * 16), round(0.35 * self.height * 16))
        cv2.rectangle(out, top_left, bottom_right, (230, 60, 60), -1, cv2.LINE_AA, 4)
        return out


def write_test_clip(path: Path, *, frames: int, fps: float, size: tuple[int, int],
                    speed: float = 1.0, grain: int = 8) -> Path:
    """Write `frames` frames of the test scene (one scene step per frame) to `path`.

    `grain` is the size in pixels of the background's texture (large = smooth)."""
    scene = TestScene(size[0], size[1], speed=speed, grain=grain)
    with ClipWriter(Path(path), fps, size) as out:
        for i in range(frames):
            out.write(scene.frame(i))
    return Path(path)
